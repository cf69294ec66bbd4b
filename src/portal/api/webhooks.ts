// Webhooks self-service: a team's application manages its own webhook endpoints (create, update,
// delete, rotate the signing secret), sees their deliveries and attempts, resends and replays —
// all through the WebhookService, and only on the webhook applications linked to the application's
// consumer (one is made on the first endpoint). Anything else is "not found".
import Type from 'typebox';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, pageBody, pageParams, pageSchema, Timestamp } from '../../admin/api/types.ts';
import type { EndpointRecord } from '../../store/webhooks/records.ts';
import type { PortalAppRow } from '../../store/schema.ts';
import { presentDelivery, presentEndpoint } from '../../webhooks/present.ts';
import { EndpointInputSchema, ReplaySchema, RotateSchema } from '../../webhooks/schemas.ts';
import type { WebhookService } from '../../webhooks/service.ts';
import { bodyOf, principalOf, requireMember, type PortalContext, type PortalOperation } from './context.ts';

const Nullable = (s: ReturnType<typeof Type.String>) => Type.Union([s, Type.Null()]);
const EndpointOut = Type.Object({
  id: Type.String(), url: Type.String(), description: Type.String(), event_types: Type.Union([Type.Array(Type.String()), Type.Null()]), channels: Type.Union([Type.Array(Type.String()), Type.Null()]),
  disabled: Type.Boolean(), disabled_reason: Nullable(Type.String()), secrets: Type.Integer(), failing_since: Nullable(Timestamp), last_success_at: Nullable(Timestamp), created_at: Timestamp, updated_at: Timestamp,
}, { title: 'PortalWebhookEndpoint' });
const DeliveryOut = Type.Object({ id: Type.String(), message_id: Type.String(), endpoint_id: Type.String(), status: Type.String(), trigger: Type.String(), attempts: Type.Integer(), next_attempt_at: Nullable(Timestamp), last_status: Type.Union([Type.Integer(), Type.Null()]), last_error: Nullable(Type.String()), created_at: Timestamp, updated_at: Timestamp }, { title: 'PortalWebhookDelivery' });
const AttemptOut = Type.Object({ id: Type.String(), delivery_id: Type.String(), message_id: Type.String(), attempt: Type.Integer(), outcome: Type.String(), status_code: Type.Union([Type.Integer(), Type.Null()]), error_code: Nullable(Type.String()), latency_ms: Type.Integer(), response_excerpt: Type.String(), at: Timestamp }, { title: 'PortalWebhookAttempt' });
const EventTypeOut = Type.Object({
  name: Type.String(), description: Type.String(),
  schemas: Type.Record(Type.String(), Type.Unknown(), { description: 'The payload\'s JSON Schema per version ("1", "2", …).' }),
  example: Type.Unknown({ description: 'An example payload (null when the operator gave none).' }),
}, { title: 'PortalWebhookEventType' });
const TestInput = Type.Object({ event_type: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Default: the first type the endpoint receives.' })) }, { additionalProperties: false, title: 'PortalWebhookTest' });
const ResendInput = Type.Object({ message: Type.String({ minLength: 1, maxLength: 128, description: 'The message (`webhook-id`) to send to this endpoint again.' }) }, { additionalProperties: false, title: 'PortalWebhookResend' });

/** What a developer sees of an endpoint: no admin-only fields (rate limits, custom headers stay as set). */
const present = (e: EndpointRecord) => {
  const p = presentEndpoint(e) as Record<string, unknown>;
  return { id: p.id, url: p.url, description: p.description, event_types: p.event_types, channels: p.channels, disabled: p.disabled, disabled_reason: p.disabled_reason, secrets: p.secrets, failing_since: p.failing_since, last_success_at: p.last_success_at, created_at: p.created_at, updated_at: p.updated_at };
};

export function webhookSelfServiceOperations(ctx: PortalContext, webhooks: WebhookService): PortalOperation[] {
  const { store } = ctx;
  const BASE = '/portal/api/teams/{team}/apps/{app}/webhooks/endpoints';

  const appOf = async (input: { principal: Parameters<typeof principalOf>[0]['principal']; params: Record<string, string> }): Promise<PortalAppRow> => {
    await requireMember(ctx, principalOf(input), input.params.team!);
    const app = await store.read().portal.getApp(input.params.team!, input.params.app!);
    if (!app) throw new ApiProblem('not-found', 'no such application');
    return app;
  };
  /** The webhook applications linked to this application's consumer. */
  const linked = async (app: PortalAppRow) => (await store.read().webhookModel.listApplications({ limit: 100, consumer: app.consumer })).data;
  const endpointOf = async (input: Parameters<typeof appOf>[0]) => {
    const app = await appOf(input);
    const e = await store.read().webhookModel.getEndpoint(input.params.endpoint!);
    if (!e || !(await linked(app)).some((a) => a.id === e.application_id)) throw new ApiProblem('not-found', 'no such webhook endpoint');
    return e;
  };
  /** Developers give the URL, what to receive and a description; delivery tuning stays the operator's. */
  const DeveloperEndpointInput = Type.Object({
    url: EndpointInputSchema.properties.url, description: EndpointInputSchema.properties.description,
    event_types: EndpointInputSchema.properties.event_types, channels: EndpointInputSchema.properties.channels, disabled: EndpointInputSchema.properties.disabled,
  }, { additionalProperties: false, title: 'PortalWebhookEndpointInput' });
  const developerBody = (body: unknown) => {
    // allow_http, custom headers, rate limits and bring-your-own secrets are admin settings.
    const b = (body ?? {}) as Record<string, unknown>;
    const extra = Object.keys(b).filter((k) => !(k in DeveloperEndpointInput.properties));
    if (extra.length > 0) throw new ApiProblem('validation-failed', `not settable here: ${extra.join(', ')}`, extra.map((k) => ({ pointer: `/${k}`, detail: 'is not a known field' })));
    return b;
  };

  return [
    {
      // The endpoint form's event-type filter offers these; archived types are not offered.
      id: 'portal-list-webhook-event-types', method: 'GET', path: '/portal/api/webhooks/event-types', tag: 'Webhooks', role: 'user',
      summary: 'The event types an endpoint can receive, with their payload schemas and an example',
      responses: { 200: { description: 'Every published event type, by name.', schema: Type.Object({ data: Type.Array(EventTypeOut) }) } },
      async handler() {
        const page = await store.read().webhookModel.listEventTypes({ limit: 1000 });
        return { body: { data: page.data.map((t) => ({ name: t.name, description: t.description, schemas: t.schemas, example: t.example ?? null })) } };
      },
    },
    {
      id: 'portal-list-webhook-endpoints', method: 'GET', path: BASE, tag: 'Webhooks', role: 'user',
      summary: 'The application’s webhook endpoints',
      responses: { 200: { description: 'Endpoints.', schema: Type.Object({ data: Type.Array(EndpointOut) }) } },
      problems: ['not-found'],
      async handler(input) {
        const apps = await linked(await appOf(input));
        const out: EndpointRecord[] = [];
        for (const a of apps) out.push(...(await store.read().webhookModel.listEndpoints({ limit: 1000, application_id: a.id })).data);
        return { body: { data: out.map(present) } };
      },
    },
    {
      id: 'portal-create-webhook-endpoint', method: 'POST', path: BASE, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Add a webhook endpoint (its signing secret is in the answer)',
      description: 'The URL must be https and pass the SSRF guard (no private, loopback or link-local addresses unless the operator allows them).',
      body: DeveloperEndpointInput,
      responses: { 201: { description: 'Created.', schema: Type.Object({ ...EndpointOut.properties, secret: Type.String({ description: '`whsec_…`: verify `webhook-signature` with it.' }) }) } },
      problems: ['not-found'],
      async handler(input) {
        const app = await appOf(input);
        const body = developerBody(input.body);
        let hook = (await linked(app))[0];
        hook ??= await webhooks.createApplication({ name: `portal-${app.consumer}`, consumer: app.consumer, description: `Portal application ${app.id}` });
        const { endpoint, secret } = await webhooks.createEndpoint(hook.id, body);
        return { status: 201, body: { ...present(endpoint), secret }, headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'portal-get-webhook-endpoint', method: 'GET', path: `${BASE}/{endpoint}`, tag: 'Webhooks', role: 'user',
      summary: 'A webhook endpoint',
      responses: { 200: { description: 'The endpoint.', schema: EndpointOut } },
      problems: ['not-found'],
      async handler(input) { return { body: present(await endpointOf(input)) }; },
    },
    {
      id: 'portal-update-webhook-endpoint', method: 'PUT', path: `${BASE}/{endpoint}`, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Replace a webhook endpoint’s URL, filters, description or disabled flag',
      body: DeveloperEndpointInput,
      responses: { 200: { description: 'Updated.', schema: EndpointOut } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        const body = developerBody(input.body);
        // Operator settings the developer cannot see are kept as they are.
        const updated = await webhooks.updateEndpoint(e.id, { ...body, allow_http: e.allow_http, headers: e.headers, max_in_flight: e.max_in_flight, ...(e.rate_limit !== null ? { rate_limit: e.rate_limit } : {}) });
        return { body: present(updated) };
      },
    },
    {
      id: 'portal-delete-webhook-endpoint', method: 'DELETE', path: `${BASE}/{endpoint}`, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Delete a webhook endpoint',
      responses: { 204: { description: 'Deleted.' } },
      problems: ['not-found'],
      async handler(input) {
        await webhooks.deleteEndpoint((await endpointOf(input)).id);
        return { status: 204 };
      },
    },
    {
      id: 'portal-rotate-webhook-secret', method: 'POST', path: `${BASE}/{endpoint}/secret/rotate`, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Rotate the endpoint’s signing secret (the old one keeps signing for the overlap)',
      body: RotateSchema, bodyRequired: false,
      responses: { 200: { description: 'The new secret.', schema: Type.Object({ secret: Type.String(), endpoint: EndpointOut }) } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        const b = (input.body ?? {}) as Record<string, unknown>;
        if ('secret' in b) throw new ApiProblem('validation-failed', 'secrets are generated here', [{ pointer: '/secret', detail: 'is not a known field' }]);
        const r = await webhooks.rotateSecret(e.id, b);
        return { body: { secret: r.secret, endpoint: present(r.endpoint) }, headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'portal-list-webhook-deliveries', method: 'GET', path: `${BASE}/{endpoint}/deliveries`, tag: 'Webhooks', role: 'user',
      summary: 'The endpoint’s deliveries, newest first',
      query: [LIMIT_PARAM, CURSOR_PARAM],
      responses: { 200: { description: 'One page.', schema: pageSchema(DeliveryOut) } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        return { body: pageBody(await store.read().webhookLog.listDeliveries({ ...pageParams(input.query), endpoint_id: e.id }), presentDelivery) };
      },
    },
    {
      id: 'portal-list-webhook-attempts', method: 'GET', path: `${BASE}/{endpoint}/attempts`, tag: 'Webhooks', role: 'user',
      summary: 'The endpoint’s delivery attempts, newest first (status, latency, the start of the answer)',
      query: [LIMIT_PARAM, CURSOR_PARAM, { name: 'delivery', description: 'Only this delivery’s attempts.', schema: Type.String() }],
      responses: { 200: { description: 'One page.', schema: pageSchema(AttemptOut) } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        const page = await store.read().webhookLog.listAttempts({ ...pageParams(input.query), endpoint_id: e.id, ...(input.query.delivery !== undefined ? { delivery_id: input.query.delivery } : {}) });
        return { body: pageBody(page, (a) => ({ id: a.id, delivery_id: a.delivery_id, message_id: a.message_id, attempt: a.attempt, outcome: a.outcome, status_code: a.status_code, error_code: a.error_code, latency_ms: a.latency_ms, response_excerpt: a.response_excerpt, at: a.at })) };
      },
    },
    {
      id: 'portal-test-webhook', method: 'POST', path: `${BASE}/{endpoint}/test`, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Send a test event (the type\'s example) to this endpoint only',
      body: TestInput, bodyRequired: false,
      responses: { 202: { description: 'The test message and how many deliveries it made.', schema: Type.Object({ message_id: Type.String(), deliveries: Type.Integer() }) } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        const b = bodyOf<{ event_type?: string }>(TestInput, input.body ?? {});
        const r = await webhooks.testSend(e.id, b.event_type !== undefined ? { event_type: b.event_type } : {});
        return { status: 202, body: { message_id: r.message.id, deliveries: r.deliveries } };
      },
    },
    {
      id: 'portal-resend-webhook', method: 'POST', path: `${BASE}/{endpoint}/resend`, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Send one message to this endpoint again',
      body: ResendInput,
      responses: { 202: { description: 'The new delivery.', schema: Type.Object({ data: Type.Array(DeliveryOut) }) } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        const { message } = bodyOf<{ message: string }>(ResendInput, input.body);
        return { status: 202, body: { data: (await webhooks.resend(message, { endpoint: e.id })).map(presentDelivery) } };
      },
    },
    {
      id: 'portal-replay-webhooks', method: 'POST', path: `${BASE}/{endpoint}/replay`, tag: 'Webhooks', role: 'user', write: true,
      summary: 'Replay what the endpoint missed since a time',
      body: ReplaySchema,
      responses: { 202: { description: 'Deliveries created.', schema: Type.Object({ replayed: Type.Integer(), truncated: Type.Boolean() }) } },
      problems: ['not-found'],
      async handler(input) {
        const e = await endpointOf(input);
        return { status: 202, body: await webhooks.replay(e.id, input.body) };
      },
    },
  ];
}
