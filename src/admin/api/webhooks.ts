// The webhooks admin API: event types, applications and endpoints (with their signing secrets),
// publishing, and the operations that keep deliveries flowing (messages and attempts with filters,
// resend, replay since a time, test-send, statistics). Paths live under /admin/webhooks.
import Type, { type TSchema } from 'typebox';
import type { ApplicationRecord, AttemptRecord, EventTypeRecord } from '../../store/webhooks/records.ts';
import { presentDelivery, presentEndpoint, presentMessage } from '../../webhooks/present.ts';
import { ApplicationInputSchema, EndpointInputSchema, EventTypeInputSchema, PublishSchema, ReplaySchema, ResendSchema, RotateSchema, TestSendSchema } from '../../webhooks/schemas.ts';
import type { WebhookService } from '../../webhooks/service.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, etagOf, expectedVersion, pageBody, pageParams, pageSchema, type OpInput, type OpResult, type Operation, type QueryParam } from './types.ts';

const TAG = 'Webhooks';
const Nullable = (s: TSchema) => Type.Union([s, Type.Null()]);
const Versioned = { created_at: Timestamp, updated_at: Timestamp, version: Type.Integer({ minimum: 1 }) };

const EventTypeOut = Type.Object({ id: Type.String(), name: Type.String(), description: Type.String(), schemas: Type.Record(Type.String(), Type.Unknown()), example: Type.Unknown(), platform: Type.Boolean(), archived: Type.Boolean(), ...Versioned }, { title: 'WebhookEventType' });
const ApplicationOut = Type.Object({ id: Type.String(), name: Type.String(), consumer: Nullable(Type.String()), description: Type.String(), metadata: Type.Record(Type.String(), Type.String()), ...Versioned }, { title: 'WebhookApplication' });
const EndpointOut = Type.Object({
  id: Type.String(), application_id: Type.String(), url: Type.String(), description: Type.String(), event_types: Nullable(Type.Array(Type.String())), channels: Nullable(Type.Array(Type.String())),
  disabled: Type.Boolean(), disabled_reason: Nullable(Type.String()), allow_http: Type.Boolean(), rate_limit: Nullable(Type.Integer()), max_in_flight: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String()), secrets: Type.Integer({ description: 'How many secrets sign right now (more than one during a rotation).' }),
  failing_since: Nullable(Timestamp), last_success_at: Nullable(Timestamp), ...Versioned,
}, { title: 'WebhookEndpoint' });
const MessageOut = Type.Object({ id: Type.String({ description: 'The `webhook-id` every delivery of it carries.' }), application_id: Nullable(Type.String()), event_type: Type.String(), event_id: Nullable(Type.String()), channels: Nullable(Type.Array(Type.String())), payload: Type.Unknown(), created_at: Timestamp }, { title: 'WebhookMessage' });
const DeliveryOut = Type.Object({ id: Type.String(), message_id: Type.String(), endpoint_id: Type.String(), status: Type.Union(['pending', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s)), { description: 'failed = dead-lettered after the last attempt (resend or replay it).' }), trigger: Type.String(), attempts: Type.Integer(), next_attempt_at: Nullable(Timestamp), last_status: Nullable(Type.Integer()), last_error: Nullable(Type.String()), created_at: Timestamp, updated_at: Timestamp }, { title: 'WebhookDelivery' });
const AttemptOut = Type.Object({ id: Type.String(), delivery_id: Type.String(), message_id: Type.String(), endpoint_id: Type.String(), attempt: Type.Integer(), trigger: Type.String(), outcome: Type.String(), status_code: Nullable(Type.Integer()), error_code: Nullable(Type.String()), error: Nullable(Type.String()), latency_ms: Type.Integer(), response_excerpt: Type.String(), at: Timestamp }, { title: 'WebhookAttempt' });
const SecretOut = Type.Object({ secret: Type.String({ description: '`whsec_…`: verify the `webhook-signature` header with it.' }), created_at: Timestamp, expires_at: Nullable(Timestamp) });
const StatsOut = Type.Object({ window_hours: Type.Integer(), since: Timestamp, deliveries: Type.Record(Type.String(), Type.Integer()), attempts: Type.Unknown(), success_rate: Nullable(Type.Number()), latency_ms: Type.Unknown() }, { title: 'WebhookEndpointStats' });

const presentEventType = (t: EventTypeRecord) => ({ ...t });
const presentApplication = (a: ApplicationRecord) => ({ ...a });
const presentAttempt = (a: AttemptRecord) => ({ ...a });

const q = (name: string, description: string, schema: TSchema = Type.String()): QueryParam => ({ name, description, schema });
const since = q('since', 'Only items at or after this instant (RFC 3339).', Type.String({ format: 'date-time' }));
const until = q('until', 'Only items before this instant.', Type.String({ format: 'date-time' }));

function instant(query: Record<string, string>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new ApiProblem('validation-failed', `${name} must be an RFC 3339 date-time`, [{ pointer: '', detail: `query parameter ${name} must be an RFC 3339 date-time` }]);
  return new Date(t).toISOString();
}

function oneOf<T extends string>(query: Record<string, string>, name: string, values: readonly T[]): T | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) throw new ApiProblem('validation-failed', `${name} must be one of ${values.join(', ')}`, [{ pointer: '', detail: `query parameter ${name} must be one of ${values.join(', ')}` }]);
  return v as T;
}

const ifMatch = (input: OpInput, current: number) => expectedVersion(input.headers, current);

export function webhookOperations(service: WebhookService): Operation[] {
  const read = () => service.store.read();
  const withEtag = <T extends { version: number }>(body: unknown, record: T, status = 200): OpResult => ({ status, body, headers: { etag: etagOf(record.version) } });
  const eventTypeOf = async (name: string) => {
    const t = await read().webhookModel.getEventType(name);
    if (!t) throw new ApiProblem('not-found', `no event type "${name}"`);
    return t;
  };
  return [
    // --- event types ---
    {
      id: 'list-webhook-event-types', method: 'GET', path: '/admin/webhooks/event-types', tag: TAG, role: 'viewer', summary: 'List event types',
      query: [LIMIT_PARAM, CURSOR_PARAM, q('include_archived', 'true: archived types too.', Type.Boolean())],
      responses: { 200: { description: 'One page, by name.', schema: pageSchema(EventTypeOut) } },
      handler: async (input) => ({ body: pageBody(await read().webhookModel.listEventTypes({ ...pageParams(input.query), include_archived: input.query.include_archived === 'true' }), presentEventType) }),
    },
    {
      id: 'create-webhook-event-type', method: 'POST', path: '/admin/webhooks/event-types', tag: TAG, role: 'editor', write: true, summary: 'Create an event type',
      description: 'A name like `shipment.delivered`, a description, and the JSON Schema of its payload per version. Published payloads are validated against it.',
      body: EventTypeInputSchema, responses: { 201: { description: 'Created.', schema: EventTypeOut, etag: true } }, problems: ['conflict'],
      handler: async (input) => { const t = await service.createEventType(input.body); return withEtag(presentEventType(t), t, 201); },
    },
    {
      id: 'get-webhook-event-type', method: 'GET', path: '/admin/webhooks/event-types/{name}', tag: TAG, role: 'viewer', summary: 'Get an event type',
      responses: { 200: { description: 'The event type.', schema: EventTypeOut, etag: true } }, problems: ['not-found'],
      handler: async (input) => { const t = await eventTypeOf(input.params.name!); return withEtag(presentEventType(t), t); },
    },
    {
      id: 'update-webhook-event-type', method: 'PUT', path: '/admin/webhooks/event-types/{name}', tag: TAG, role: 'editor', write: true, summary: 'Update an event type',
      description: 'New schema versions are added; existing versions cannot change (payloads already published were checked against them).',
      body: EventTypeInputSchema, responses: { 200: { description: 'Updated.', schema: EventTypeOut, etag: true } }, problems: ['not-found', 'conflict', 'precondition-failed'],
      handler: async (input) => {
        const current = await eventTypeOf(input.params.name!);
        const t = await service.updateEventType(current.name, input.body, ifMatch(input, current.version));
        return withEtag(presentEventType(t), t);
      },
    },
    {
      id: 'delete-webhook-event-type', method: 'DELETE', path: '/admin/webhooks/event-types/{name}', tag: TAG, role: 'editor', write: true, summary: 'Delete an event type',
      description: 'Messages already published keep their type name. Prefer archiving (`archived: true`) when endpoints filter on it.',
      responses: { 204: { description: 'Deleted.' } }, problems: ['not-found', 'conflict', 'precondition-failed'],
      handler: async (input) => { const t = await eventTypeOf(input.params.name!); await service.deleteEventType(t.name, ifMatch(input, t.version)); return { status: 204 }; },
    },

    // --- applications ---
    {
      id: 'list-webhook-applications', method: 'GET', path: '/admin/webhooks/applications', tag: TAG, role: 'viewer', summary: 'List applications',
      description: 'Applications are the subscribing tenants (usually one per consumer). `platform` receives the events Portcullis publishes itself.',
      query: [LIMIT_PARAM, CURSOR_PARAM, q('consumer', 'Only applications of this consumer.')],
      responses: { 200: { description: 'One page, by name.', schema: pageSchema(ApplicationOut) } },
      handler: async (input) => ({ body: pageBody(await read().webhookModel.listApplications({ ...pageParams(input.query), ...(input.query.consumer !== undefined ? { consumer: input.query.consumer } : {}) }), presentApplication) }),
    },
    {
      id: 'create-webhook-application', method: 'POST', path: '/admin/webhooks/applications', tag: TAG, role: 'editor', write: true, summary: 'Create an application',
      body: ApplicationInputSchema, responses: { 201: { description: 'Created.', schema: ApplicationOut, etag: true } }, problems: ['conflict'],
      handler: async (input) => { const a = await service.createApplication(input.body); return withEtag(presentApplication(a), a, 201); },
    },
    {
      id: 'get-webhook-application', method: 'GET', path: '/admin/webhooks/applications/{id}', tag: TAG, role: 'viewer', summary: 'Get an application (by id or name)',
      responses: { 200: { description: 'The application.', schema: ApplicationOut, etag: true } }, problems: ['not-found'],
      handler: async (input) => { const a = await service.application(input.params.id!); return withEtag(presentApplication(a), a); },
    },
    {
      id: 'update-webhook-application', method: 'PUT', path: '/admin/webhooks/applications/{id}', tag: TAG, role: 'editor', write: true, summary: 'Replace an application',
      body: ApplicationInputSchema, responses: { 200: { description: 'Updated.', schema: ApplicationOut, etag: true } }, problems: ['not-found', 'conflict', 'precondition-failed'],
      handler: async (input) => {
        const current = await service.application(input.params.id!);
        const a = await service.updateApplication(current.id, input.body, ifMatch(input, current.version));
        return withEtag(presentApplication(a), a);
      },
    },
    {
      id: 'delete-webhook-application', method: 'DELETE', path: '/admin/webhooks/applications/{id}', tag: TAG, role: 'editor', write: true, summary: 'Delete an application',
      description: 'Its endpoints go with it, and their pending deliveries are cancelled.',
      responses: { 204: { description: 'Deleted.' } }, problems: ['not-found', 'precondition-failed'],
      handler: async (input) => { const a = await service.application(input.params.id!); await service.deleteApplication(a.id, ifMatch(input, a.version)); return { status: 204 }; },
    },

    // --- endpoints ---
    {
      id: 'create-webhook-endpoint', method: 'POST', path: '/admin/webhooks/applications/{id}/endpoints', tag: TAG, role: 'editor', write: true, summary: 'Add an endpoint to an application',
      description: 'The answer carries the signing secret once more in `secret` (also readable later with GET …/secret).',
      body: EndpointInputSchema, responses: { 201: { description: 'Created.', schema: Type.Object({ ...EndpointOut.properties, secret: Type.String() }), etag: true } }, problems: ['not-found'],
      handler: async (input) => {
        const { endpoint, secret } = await service.createEndpoint(input.params.id!, input.body);
        return { ...withEtag({ ...presentEndpoint(endpoint), secret }, endpoint, 201), headers: { etag: etagOf(endpoint.version), location: `/admin/webhooks/endpoints/${endpoint.id}` } };
      },
    },
    {
      id: 'list-webhook-endpoints', method: 'GET', path: '/admin/webhooks/endpoints', tag: TAG, role: 'viewer', summary: 'List endpoints',
      query: [LIMIT_PARAM, CURSOR_PARAM, q('application', 'Application id or name.'), q('disabled', 'true: only disabled ones; false: only enabled ones.', Type.Boolean())],
      responses: { 200: { description: 'One page, oldest first.', schema: pageSchema(EndpointOut) } }, problems: ['not-found'],
      handler: async (input) => {
        const app = input.query.application !== undefined ? await service.application(input.query.application) : undefined;
        const disabled = oneOf(input.query, 'disabled', ['true', 'false']);
        const page = await read().webhookModel.listEndpoints({ ...pageParams(input.query), ...(app ? { application_id: app.id } : {}), ...(disabled !== undefined ? { disabled: disabled === 'true' } : {}) });
        return { body: pageBody(page, (e) => presentEndpoint(e)) };
      },
    },
    {
      id: 'get-webhook-endpoint', method: 'GET', path: '/admin/webhooks/endpoints/{id}', tag: TAG, role: 'viewer', summary: 'Get an endpoint',
      responses: { 200: { description: 'The endpoint.', schema: EndpointOut, etag: true } }, problems: ['not-found'],
      handler: async (input) => { const e = await service.endpoint(input.params.id!); return withEtag(presentEndpoint(e), e); },
    },
    {
      id: 'update-webhook-endpoint', method: 'PUT', path: '/admin/webhooks/endpoints/{id}', tag: TAG, role: 'editor', write: true, summary: 'Replace an endpoint',
      description: 'Re-enabling a disabled endpoint (`disabled: false`) sends what is pending for it; replay recovers what it missed.',
      body: EndpointInputSchema, responses: { 200: { description: 'Updated.', schema: EndpointOut, etag: true } }, problems: ['not-found', 'precondition-failed'],
      handler: async (input) => {
        const current = await service.endpoint(input.params.id!);
        const e = await service.updateEndpoint(current.id, input.body, ifMatch(input, current.version));
        return withEtag(presentEndpoint(e), e);
      },
    },
    {
      id: 'delete-webhook-endpoint', method: 'DELETE', path: '/admin/webhooks/endpoints/{id}', tag: TAG, role: 'editor', write: true, summary: 'Delete an endpoint',
      description: 'Its pending deliveries are cancelled; its history stays until pruned.',
      responses: { 204: { description: 'Deleted.' } }, problems: ['not-found', 'precondition-failed'],
      handler: async (input) => { const e = await service.endpoint(input.params.id!); await service.deleteEndpoint(e.id, ifMatch(input, e.version)); return { status: 204 }; },
    },
    {
      id: 'get-webhook-endpoint-secret', method: 'GET', path: '/admin/webhooks/endpoints/{id}/secret', tag: TAG, role: 'editor', summary: 'The endpoint’s signing secrets',
      description: 'Every secret that signs right now, newest first; during a rotation the old one is listed with its `expires_at`. Stored encrypted under the node’s master key.',
      responses: { 200: { description: 'The secrets.', schema: Type.Object({ data: Type.Array(SecretOut) }) } }, problems: ['not-found'],
      handler: async (input) => ({ body: { data: await service.secrets(input.params.id!) } }),
    },
    {
      id: 'rotate-webhook-endpoint-secret', method: 'POST', path: '/admin/webhooks/endpoints/{id}/secret/rotate', tag: TAG, role: 'editor', write: true, summary: 'Rotate the signing secret',
      description: 'A new secret signs from now on; the old one keeps signing too (a second signature in `webhook-signature`) for `overlap_seconds`, so the receiver can switch without rejecting a delivery.',
      body: RotateSchema, bodyRequired: false, responses: { 200: { description: 'The new secret.', schema: Type.Object({ secret: Type.String(), endpoint: EndpointOut }) } }, problems: ['not-found'],
      handler: async (input) => { const r = await service.rotateSecret(input.params.id!, input.body); return { body: { secret: r.secret, endpoint: presentEndpoint(r.endpoint) } }; },
    },
    {
      id: 'replay-webhook-endpoint', method: 'POST', path: '/admin/webhooks/endpoints/{id}/replay', tag: TAG, role: 'editor', write: true, summary: 'Replay messages to an endpoint since a time',
      description: 'Recovery after an outage: every message since `since` that the endpoint’s filters match and that it has not received (`mode: failed`, the default) or every one (`mode: all`) is delivered again, oldest first. Messages already on their way are not doubled.',
      body: ReplaySchema, responses: { 202: { description: 'Deliveries created.', schema: Type.Object({ replayed: Type.Integer(), truncated: Type.Boolean({ description: 'More than 100 000 messages: replay again from the last one.' }) }) } }, problems: ['not-found'],
      handler: async (input) => ({ status: 202, body: await service.replay(input.params.id!, input.body) }),
    },
    {
      id: 'test-webhook-endpoint', method: 'POST', path: '/admin/webhooks/endpoints/{id}/test', tag: TAG, role: 'editor', write: true, summary: 'Send an example event to an endpoint',
      description: 'Publishes the event type’s example (or `payload`) to this endpoint only, signed like any delivery; follow it with GET /admin/webhooks/attempts?message=….',
      body: TestSendSchema, bodyRequired: false, responses: { 202: { description: 'On its way.', schema: MessageOut } }, problems: ['not-found'],
      handler: async (input) => ({ status: 202, body: presentMessage((await service.testSend(input.params.id!, input.body)).message) }),
    },
    {
      id: 'webhook-endpoint-stats', method: 'GET', path: '/admin/webhooks/endpoints/{id}/stats', tag: TAG, role: 'viewer', summary: 'Delivery statistics of an endpoint',
      query: [q('hours', 'Window of the attempt statistics (1-720, default 24).', Type.Integer({ minimum: 1, maximum: 720 }))],
      responses: { 200: { description: 'Deliveries by status, attempts, success rate and latency percentiles.', schema: StatsOut } }, problems: ['not-found'],
      handler: async (input) => {
        const hours = input.query.hours === undefined ? 24 : Number(input.query.hours);
        if (!Number.isInteger(hours) || hours < 1 || hours > 720) throw new ApiProblem('validation-failed', 'hours must be a whole number from 1 to 720', [{ pointer: '', detail: 'query parameter hours must be a whole number from 1 to 720' }]);
        return { body: await service.stats(input.params.id!, hours) };
      },
    },

    // --- messages, deliveries, attempts ---
    {
      id: 'publish-webhook-message', method: 'POST', path: '/admin/webhooks/messages', tag: TAG, role: 'editor', write: true, summary: 'Publish an event',
      description: 'To one application, or to every application (no `application`). The payload is validated against the event type’s schema; the message and one delivery per matching endpoint are written in one transaction. An `Idempotency-Key` header (or `event_id`) makes a repeat within 24 h answer 200 with the first message instead of publishing again.',
      body: PublishSchema, responses: { 202: { description: 'Published.', schema: Type.Object({ ...MessageOut.properties, deliveries: Type.Integer() }) }, 200: { description: 'Already published with this idempotency key: the first message.', schema: MessageOut } }, problems: ['not-found'],
      handler: async (input) => {
        const raw = input.headers['idempotency-key'];
        const key = Array.isArray(raw) ? raw[0] : raw;
        if (key !== undefined && (key.length === 0 || key.length > 256)) throw new ApiProblem('validation-failed', 'Idempotency-Key must be 1-256 characters', [{ pointer: '', detail: 'header Idempotency-Key must be 1-256 characters' }]);
        const r = await service.publish(input.body, key);
        return r.duplicate ? { status: 200, body: presentMessage(r.message) } : { status: 202, body: { ...presentMessage(r.message), deliveries: r.deliveries }, headers: { location: `/admin/webhooks/messages/${r.message.id}` } };
      },
    },
    {
      id: 'list-webhook-messages', method: 'GET', path: '/admin/webhooks/messages', tag: TAG, role: 'viewer', summary: 'List messages, newest first',
      query: [LIMIT_PARAM, CURSOR_PARAM, q('application', 'Application id or name.'), q('event_type', 'Only this type.'), q('channel', 'Only messages on this channel.'), since, until],
      responses: { 200: { description: 'One page.', schema: pageSchema(MessageOut) } }, problems: ['not-found'],
      handler: async (input) => {
        const query = input.query;
        const app = query.application !== undefined ? await service.application(query.application) : undefined;
        const s = instant(query, 'since');
        const u = instant(query, 'until');
        const page = await read().webhookLog.listMessages({
          ...pageParams(query), ...(app ? { application_id: app.id } : {}), ...(query.event_type !== undefined ? { event_type: query.event_type } : {}),
          ...(query.channel !== undefined ? { channel: query.channel } : {}), ...(s !== undefined ? { since: s } : {}), ...(u !== undefined ? { until: u } : {}),
        });
        return { body: pageBody(page, presentMessage) };
      },
    },
    {
      id: 'get-webhook-message', method: 'GET', path: '/admin/webhooks/messages/{id}', tag: TAG, role: 'viewer', summary: 'A message and its deliveries',
      responses: { 200: { description: 'The message.', schema: Type.Object({ ...MessageOut.properties, deliveries: Type.Array(DeliveryOut) }) } }, problems: ['not-found'],
      handler: async (input) => {
        const m = await read().webhookLog.getMessage(input.params.id!);
        if (!m) throw new ApiProblem('not-found', `no message "${input.params.id}"`);
        return { body: { ...presentMessage(m), deliveries: (await read().webhookLog.deliveriesOf(m.id)).map(presentDelivery) } };
      },
    },
    {
      id: 'resend-webhook-message', method: 'POST', path: '/admin/webhooks/messages/{id}/resend', tag: TAG, role: 'editor', write: true, summary: 'Send a message again',
      description: 'A new delivery, due now, to one endpoint (`endpoint`) or to every endpoint the message went to; it has its own retry schedule.',
      body: ResendSchema, bodyRequired: false, responses: { 202: { description: 'The new deliveries.', schema: Type.Object({ data: Type.Array(DeliveryOut) }) } }, problems: ['not-found', 'conflict'],
      handler: async (input) => ({ status: 202, body: { data: (await service.resend(input.params.id!, input.body)).map(presentDelivery) } }),
    },
    {
      id: 'list-webhook-deliveries', method: 'GET', path: '/admin/webhooks/deliveries', tag: TAG, role: 'viewer', summary: 'List deliveries, newest first',
      description: '`status=failed` lists the dead letters: deliveries whose last attempt failed.',
      query: [LIMIT_PARAM, CURSOR_PARAM, q('endpoint', 'Only to this endpoint.'), q('status', 'pending, succeeded, failed or cancelled.')],
      responses: { 200: { description: 'One page.', schema: pageSchema(DeliveryOut) } },
      handler: async (input) => {
        const status = oneOf(input.query, 'status', ['pending', 'succeeded', 'failed', 'cancelled'] as const);
        const page = await read().webhookLog.listDeliveries({ ...pageParams(input.query), ...(input.query.endpoint !== undefined ? { endpoint_id: input.query.endpoint } : {}), ...(status ? { status } : {}) });
        return { body: pageBody(page, presentDelivery) };
      },
    },
    {
      id: 'list-webhook-attempts', method: 'GET', path: '/admin/webhooks/attempts', tag: TAG, role: 'viewer', summary: 'List delivery attempts, newest first',
      description: 'Each attempt: status code, latency, the start of the receiver’s answer, or what went wrong (timeout, refused by the SSRF guard, …).',
      query: [LIMIT_PARAM, CURSOR_PARAM, q('endpoint', 'Only to this endpoint.'), q('message', 'Only of this message.'), q('delivery', 'Only of this delivery.'), q('outcome', 'succeeded or failed.'), since],
      responses: { 200: { description: 'One page.', schema: pageSchema(AttemptOut) } },
      handler: async (input) => {
        const query = input.query;
        const outcome = oneOf(query, 'outcome', ['succeeded', 'failed'] as const);
        const s = instant(query, 'since');
        const page = await read().webhookLog.listAttempts({
          ...pageParams(query), ...(query.endpoint !== undefined ? { endpoint_id: query.endpoint } : {}), ...(query.message !== undefined ? { message_id: query.message } : {}),
          ...(query.delivery !== undefined ? { delivery_id: query.delivery } : {}), ...(outcome ? { outcome } : {}), ...(s !== undefined ? { since: s } : {}),
        });
        return { body: pageBody(page, presentAttempt) };
      },
    },
  ];
}
