// A team's applications, their subscriptions and their keys. An application IS a consumer (the
// config entity), created and changed through the admin ConfigService so audit, events and the
// gateway snapshot follow; the portal keeps the team link and the display name. Subscriptions are
// subscription entities; keys are credentials made by the CredentialService (the admin API's code):
// API keys (key-auth) and OAuth2 clients, each secret shown once.
import { randomBytes } from 'node:crypto';
import Type from 'typebox';
import { ApiProblem, Timestamp, Uuid } from '../../admin/api/types.ts';
import { CreatedCredentialSchema, CredentialResponseSchema } from '../../admin/api/credentials.ts';
import { CredentialService, presentCredential } from '../../admin/credential-service.ts';
import type { StoredEntity } from '../../store/ports.ts';
import type { CredentialRow, PortalAppRow } from '../../store/schema.ts';
import { actorOf, bodyOf, principalOf, requireMember, type PortalContext, type PortalOperation } from './context.ts';

const AppSchema = Type.Object({
  id: Uuid, name: Type.String(), description: Type.String(),
  consumer: Type.String({ description: 'The consumer this application is on the gateway (generated, unique).' }),
  created_at: Timestamp, updated_at: Timestamp,
}, { title: 'PortalApplication' });
const AppInputSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), description: Type.String({ maxLength: 2000, default: '' }) }, { additionalProperties: false, title: 'PortalApplicationInput' });
const AppPatchSchema = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), description: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false, title: 'PortalApplicationPatch' });
const SubscriptionSchema = Type.Object({
  id: Uuid, product: Type.String(), plan: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('suspended'), Type.Literal('cancelled')], { description: 'pending until an admin approves a plan that requires approval.' }),
  created_at: Timestamp, updated_at: Timestamp,
}, { title: 'PortalSubscription' });
const SubscribeSchema = Type.Object({ product: Type.String({ minLength: 1, maxLength: 128 }), plan: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false, title: 'PortalSubscribe' });
const KeyInputSchema = Type.Object({
  type: Type.Union([Type.Literal('key-auth'), Type.Literal('oauth2')], { default: 'key-auth', description: 'key-auth: an API key; oauth2: a client id and secret for the client-credentials grant.' }),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  client_name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
}, { additionalProperties: false, title: 'PortalKeyInput' });
const KeyPatchSchema = Type.Object({ expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the key stops working (null: never).' }) }, { additionalProperties: false, title: 'PortalKeyPatch' });
const RotateSchema = Type.Object({ overlap_seconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old key keeps working (default a day).' }) }, { additionalProperties: false, title: 'PortalKeyRotate' });

const presentApp = (a: PortalAppRow) => ({ id: a.id, name: a.name, description: a.description, consumer: a.consumer, created_at: a.created_at, updated_at: a.updated_at });
const presentSubscription = (s: StoredEntity) => ({ id: s.id, product: String(s.data.product), plan: String(s.data.plan), status: String(s.data.status), created_at: s.created_at, updated_at: s.updated_at });

export function appOperations(ctx: PortalContext): PortalOperation[] {
  const { store, service } = ctx;
  const credentials = new CredentialService(store);
  const APP = '/portal/api/teams/{team}/apps/{app}';

  /** The team's application named in the path, after checking the caller is a member. */
  const appOf = async (input: { principal: Parameters<typeof principalOf>[0]['principal']; params: Record<string, string> }) => {
    const p = principalOf(input);
    await requireMember(ctx, p, input.params.team!);
    const app = await store.read().portal.getApp(input.params.team!, input.params.app!);
    if (!app) throw new ApiProblem('not-found', 'no such application');
    return { p, app };
  };
  /** A credential of that application (another consumer's is "not found"). */
  const keyOf = async (app: PortalAppRow, id: string): Promise<CredentialRow> => {
    const row = await store.read().getCredential(id);
    if (!row || row.consumer !== app.consumer) throw new ApiProblem('not-found', 'no such key');
    return row;
  };
  const subscriptionOf = async (app: PortalAppRow, id: string): Promise<StoredEntity> => {
    const row = await store.read().get('subscription', id);
    if (!row || row.data.consumer !== app.consumer) throw new ApiProblem('not-found', 'no such subscription');
    return row;
  };

  return [
    {
      id: 'portal-list-apps', method: 'GET', path: '/portal/api/teams/{team}/apps', tag: 'Application', role: 'user',
      summary: 'The team’s applications',
      responses: { 200: { description: 'Applications.', schema: Type.Object({ data: Type.Array(AppSchema) }) } },
      problems: ['not-found'],
      async handler(input) {
        await requireMember(ctx, principalOf(input), input.params.team!);
        return { body: { data: (await store.read().portal.listApps(input.params.team!)).map(presentApp) } };
      },
    },
    {
      id: 'portal-create-app', method: 'POST', path: '/portal/api/teams/{team}/apps', tag: 'Application', role: 'user', write: true,
      summary: 'Create an application (a consumer on the gateway)',
      body: AppInputSchema,
      responses: { 201: { description: 'Created.', schema: AppSchema } },
      problems: ['not-found'],
      async handler(input) {
        const p = principalOf(input);
        const team = input.params.team!;
        await requireMember(ctx, p, team);
        const b = bodyOf<{ name: string; description: string }>(AppInputSchema, input.body);
        // A generated name: unique, says nothing about the team, and never collides with admin-made consumers in practice.
        const consumer = `app-${randomBytes(8).toString('hex')}`;
        const actor = actorOf(p, input.requestId);
        const created = await service.create('consumer', { name: consumer, tags: ['portal'] }, actor);
        try {
          const app = await store.write((tx) => tx.portal.insertApp({ team_id: team, consumer, name: b.name, description: b.description }));
          return { status: 201, body: presentApp(app), headers: { location: `/portal/api/teams/${team}/apps/${app.id}` } };
        } catch (err) {
          // Two transactions (the consumer's own write, then the link): undo the first if the second fails.
          await service.remove('consumer', created.id, undefined, actor).catch(() => undefined);
          throw err;
        }
      },
    },
    {
      id: 'portal-get-app', method: 'GET', path: APP, tag: 'Application', role: 'user',
      summary: 'An application',
      responses: { 200: { description: 'The application.', schema: AppSchema } },
      problems: ['not-found'],
      async handler(input) {
        return { body: presentApp((await appOf(input)).app) };
      },
    },
    {
      id: 'portal-update-app', method: 'PATCH', path: APP, tag: 'Application', role: 'user', write: true,
      summary: 'Rename or describe an application',
      body: AppPatchSchema,
      responses: { 200: { description: 'Updated.', schema: AppSchema } },
      problems: ['not-found'],
      async handler(input) {
        const { app } = await appOf(input);
        const b = bodyOf<{ name?: string; description?: string }>(AppPatchSchema, input.body);
        const updated = await store.write((tx) => tx.portal.updateApp(app.team_id, app.id, b));
        return { body: presentApp(updated!) };
      },
    },
    {
      id: 'portal-delete-app', method: 'DELETE', path: APP, tag: 'Application', role: 'user', write: true,
      summary: 'Delete an application: its consumer, subscriptions and keys go with it',
      responses: { 204: { description: 'Deleted.' } },
      problems: ['not-found'],
      async handler(input) {
        const { p, app } = await appOf(input);
        const consumer = await store.read().getByKey('consumer', app.consumer);
        if (consumer) await service.remove('consumer', consumer.id, undefined, actorOf(p, input.requestId));
        // Its webhook applications (and so their endpoints) go too: nothing is left sending for it.
        if (ctx.webhooks) {
          for (const hook of (await store.read().webhookModel.listApplications({ limit: 100, consumer: app.consumer })).data) await ctx.webhooks.deleteApplication(hook.id);
        }
        await store.write((tx) => tx.portal.deleteApp(app.team_id, app.id));
        return { status: 204 };
      },
    },
    {
      id: 'portal-list-subscriptions', method: 'GET', path: `${APP}/subscriptions`, tag: 'Subscription', role: 'user',
      summary: 'The application’s subscriptions',
      responses: { 200: { description: 'Subscriptions.', schema: Type.Object({ data: Type.Array(SubscriptionSchema) }) } },
      problems: ['not-found'],
      async handler(input) {
        const { app } = await appOf(input);
        const page = await store.read().list('subscription', { limit: 1000, filters: { consumer: app.consumer } });
        return { body: { data: page.data.map(presentSubscription) } };
      },
    },
    {
      id: 'portal-subscribe', method: 'POST', path: `${APP}/subscriptions`, tag: 'Subscription', role: 'user', write: true,
      summary: 'Subscribe the application to a published product’s plan',
      description: 'Active at once, or `pending` until an admin approves when the plan requires approval. Subscribing again to a product after cancelling reuses the subscription.',
      body: SubscribeSchema,
      responses: { 201: { description: 'Subscribed.', schema: SubscriptionSchema } },
      problems: ['not-found', 'conflict'],
      async handler(input) {
        const { p, app } = await appOf(input);
        const b = bodyOf<{ product: string; plan: string }>(SubscribeSchema, input.body);
        const product = await store.read().getByKey('product', b.product);
        if (!product || product.data.status !== 'published') throw new ApiProblem('not-found', `no published product "${b.product}"`);
        if (!(product.data.plans as string[]).includes(b.plan)) throw new ApiProblem('not-found', `product "${b.product}" has no plan "${b.plan}"`);
        const plan = await store.read().getByKey('plan', b.plan);
        if (!plan) throw new ApiProblem('not-found', `no plan "${b.plan}"`);
        const data = { consumer: app.consumer, product: b.product, plan: b.plan, status: plan.data.requires_approval === true ? 'pending' : 'active' };
        const actor = actorOf(p, input.requestId);
        const existing = await store.read().getByKey('subscription', `${app.consumer}/${b.product}`);
        if (existing && existing.data.status !== 'cancelled') throw new ApiProblem('conflict', `the application is already subscribed to "${b.product}" (cancel that subscription first)`);
        const row = existing ? await service.update('subscription', existing.id, data, existing.version, actor) : await service.create('subscription', data, actor);
        return { status: 201, body: presentSubscription(row) };
      },
    },
    {
      id: 'portal-cancel-subscription', method: 'DELETE', path: `${APP}/subscriptions/{subscription}`, tag: 'Subscription', role: 'user', write: true,
      summary: 'Cancel a subscription (it stays listed as cancelled)',
      responses: { 200: { description: 'Cancelled.', schema: SubscriptionSchema } },
      problems: ['not-found'],
      async handler(input) {
        const { p, app } = await appOf(input);
        const current = await subscriptionOf(app, input.params.subscription!);
        const row = await service.update('subscription', current.id, { ...current.data, status: 'cancelled' }, current.version, actorOf(p, input.requestId));
        return { body: presentSubscription(row) };
      },
    },
    {
      id: 'portal-list-keys', method: 'GET', path: `${APP}/keys`, tag: 'Key', role: 'user',
      summary: 'The application’s API keys and OAuth2 clients (a prefix or client id, never a secret)',
      responses: { 200: { description: 'Keys.', schema: Type.Object({ data: Type.Array(CredentialResponseSchema) }) } },
      problems: ['not-found'],
      async handler(input) {
        const { app } = await appOf(input);
        const page = await store.read().listCredentials({ limit: 1000, consumer: app.consumer });
        return { body: { data: page.data.map(presentCredential) } };
      },
    },
    {
      id: 'portal-create-key', method: 'POST', path: `${APP}/keys`, tag: 'Key', role: 'user', write: true,
      summary: 'Create an API key or an OAuth2 client (verified users); the secret is shown this once',
      body: KeyInputSchema, bodyRequired: false,
      responses: { 201: { description: 'Created, with its secret.', schema: CreatedCredentialSchema } },
      problems: ['not-found', 'email-not-verified'],
      async handler(input) {
        const { p, app } = await appOf(input);
        if (!p.verified) throw new ApiProblem('email-not-verified');
        const b = bodyOf<{ type: 'key-auth' | 'oauth2'; expires_at?: string; client_name?: string }>(KeyInputSchema, input.body);
        if (b.client_name !== undefined && b.type !== 'oauth2') throw new ApiProblem('validation-failed', 'only OAuth2 clients have a client_name', [{ pointer: '/client_name', detail: 'only for type oauth2' }]);
        const { row, secret } = await credentials.create({ consumer: app.consumer, type: b.type, tags: ['portal'], ...(b.expires_at !== undefined ? { expires_at: b.expires_at } : {}), ...(b.client_name !== undefined ? { client_name: b.client_name } : {}) }, actorOf(p, input.requestId));
        return { status: 201, body: { ...presentCredential(row), ...secret }, headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'portal-update-key', method: 'PATCH', path: `${APP}/keys/{key}`, tag: 'Key', role: 'user', write: true,
      summary: 'Set or clear a key’s expiry',
      body: KeyPatchSchema,
      responses: { 200: { description: 'Updated.', schema: CredentialResponseSchema } },
      problems: ['not-found'],
      async handler(input) {
        const { p, app } = await appOf(input);
        const key = await keyOf(app, input.params.key!);
        const b = bodyOf<{ expires_at: string | null }>(KeyPatchSchema, input.body);
        return { body: presentCredential(await credentials.update(key.id, { expires_at: b.expires_at }, undefined, actorOf(p, input.requestId))) };
      },
    },
    {
      id: 'portal-rotate-key', method: 'POST', path: `${APP}/keys/{key}/rotate`, tag: 'Key', role: 'user', write: true,
      summary: 'Rotate a key: a new one now (shown once), the old one working for the overlap',
      body: RotateSchema, bodyRequired: false,
      responses: { 201: { description: 'The new key, with its secret.', schema: CreatedCredentialSchema } },
      problems: ['not-found', 'email-not-verified'],
      async handler(input) {
        const { p, app } = await appOf(input);
        if (!p.verified) throw new ApiProblem('email-not-verified');
        const key = await keyOf(app, input.params.key!);
        const b = bodyOf<{ overlap_seconds: number }>(RotateSchema, input.body);
        const r = await credentials.rotate(key.id, b.overlap_seconds, undefined, actorOf(p, input.requestId), ctx.settings.now());
        return { status: 201, body: { ...presentCredential(r.row), ...r.secret, rotated_from: r.rotatedFrom, old_expires_at: r.oldExpiresAt }, headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'portal-revoke-key', method: 'DELETE', path: `${APP}/keys/{key}`, tag: 'Key', role: 'user', write: true,
      summary: 'Revoke a key (it stops working at once and stays listed as revoked)',
      responses: { 200: { description: 'Revoked.', schema: CredentialResponseSchema } },
      problems: ['not-found'],
      async handler(input) {
        const { p, app } = await appOf(input);
        const key = await keyOf(app, input.params.key!);
        return { body: presentCredential(await credentials.update(key.id, { revoked: true }, undefined, actorOf(p, input.requestId))) };
      },
    },
  ];
}
