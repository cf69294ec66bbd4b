// `portcullis webhooks event-types|apps|endpoints …`: the webhook model, through WebhookService
// (the same operations, checks and errors as the admin API).
import type { EndpointRecord } from '../store/webhooks/records.ts';
import { WebhookNotFoundError } from '../webhooks/service.ts';
import { UsageError } from './args.ts';
import { allPages, applicationNames, flag, int, jsonFile, list, pairs, printRows, secretFromFile, str, type Command, type Ctx } from './webhooks-common.ts';
import { clean, endpointJson, fields, json, plural, shorten, table, when } from './webhooks-output.ts';
import { validSecrets } from '../webhooks/secrets.ts';

const schemaVersions = (schemas: Readonly<Record<string, unknown>>) => Object.keys(schemas).sort((a, b) => Number(a) - Number(b)).join(',');

// --- event types -----------------------------------------------------------------------------------

const eventTypes: Record<string, Command> = {
  'event-types list': {
    usage: 'event-types list [--archived]', summary: 'event types, by name',
    options: { archived: { type: 'boolean' } }, flags: ['--archived          archived types too'],
    async run(ctx) {
      const types = await allPages((q) => ctx.store.read().webhookModel.listEventTypes({ ...q, include_archived: flag(ctx, 'archived') }));
      if (ctx.json) return ctx.io.out(json(types));
      printRows(ctx, 'no event types', table(['NAME', 'SCHEMAS', 'FLAGS', 'DESCRIPTION'], types.map((t) => [
        t.name, schemaVersions(t.schemas), [t.platform ? 'platform' : '', t.archived ? 'archived' : ''].filter(Boolean).join(','), shorten(t.description, 60),
      ])));
    },
  },
  'event-types create': {
    usage: 'event-types create NAME [--description T] [--schema FILE.json] [--example FILE.json]', summary: 'a new event type (its payload schema is version 1)',
    args: ['NAME'],
    options: { description: { type: 'string' }, schema: { type: 'string' }, example: { type: 'string' } },
    flags: ['--description T     what the event means', '--schema FILE       JSON Schema (2020-12) of the payload; published payloads must match it', '--example FILE      an example payload (what `webhooks test` sends)'],
    sources: { '/name': 'NAME', '/description': '--description', '/schemas': '--schema', '/example': '--example' },
    async run(ctx) {
      const schema = str(ctx, 'schema');
      const example = str(ctx, 'example');
      const t = await ctx.service.createEventType({
        name: ctx.args[0], ...(str(ctx, 'description') !== undefined ? { description: str(ctx, 'description') } : {}),
        ...(schema !== undefined ? { schemas: { 1: jsonFile(schema) } } : {}), ...(example !== undefined ? { example: jsonFile(example) } : {}),
      });
      if (ctx.json) return ctx.io.out(json(t));
      ctx.io.out(`created event type ${t.name}${schema !== undefined ? ' (schema version 1)' : ' (any payload)'}`);
    },
  },
  'event-types show': {
    usage: 'event-types show NAME', summary: 'an event type with its schemas and example', args: ['NAME'],
    async run(ctx) {
      const t = await ctx.store.read().webhookModel.getEventType(ctx.args[0]!);
      if (!t) throw new WebhookNotFoundError(`no event type "${ctx.args[0]}"`);
      if (ctx.json) return ctx.io.out(json(t));
      for (const l of fields([['name', t.name], ['id', t.id], ['description', t.description], ['platform', t.platform ? 'yes' : 'no'], ['archived', t.archived ? 'yes' : 'no'], ['created', when(t.created_at)], ['updated', when(t.updated_at)]])) ctx.io.out(l);
      for (const [v, schema] of Object.entries(t.schemas)) ctx.io.out(`schema version ${v}:\n${json(schema)}`);
      if (t.example !== null) ctx.io.out(`example:\n${json(t.example)}`);
    },
  },
  'event-types delete': {
    usage: 'event-types delete NAME', summary: 'delete an event type (published messages keep its name)', args: ['NAME'],
    async run(ctx) {
      await ctx.service.deleteEventType(ctx.args[0]!);
      ctx.io.out(ctx.json ? json({ deleted: ctx.args[0] }) : `deleted event type ${ctx.args[0]}`);
    },
  },
};

// --- applications ----------------------------------------------------------------------------------

const apps: Record<string, Command> = {
  'apps list': {
    usage: 'apps list [--consumer C]', summary: 'applications (the subscribers), by name',
    options: { consumer: { type: 'string' } }, flags: ['--consumer C        only the applications of this consumer'],
    async run(ctx) {
      const consumer = str(ctx, 'consumer');
      const all = await allPages((q) => ctx.store.read().webhookModel.listApplications({ ...q, ...(consumer !== undefined ? { consumer } : {}) }));
      if (ctx.json) return ctx.io.out(json(all));
      printRows(ctx, 'no applications', table(['NAME', 'ID', 'CONSUMER', 'CREATED', 'DESCRIPTION'], all.map((a) => [a.name, a.id, a.consumer, when(a.created_at), shorten(a.description, 60)])));
    },
  },
  'apps create': {
    usage: 'apps create NAME [--consumer C] [--description T] [--meta K=V ...]', summary: 'a new application', args: ['NAME'],
    options: { consumer: { type: 'string' }, description: { type: 'string' }, meta: { type: 'string', multiple: true } },
    flags: ['--consumer C        the consumer it belongs to (its platform events reach it too)', '--description T', '--meta K=V          metadata (repeatable)'],
    sources: { '/name': 'NAME', '/consumer': '--consumer', '/description': '--description', '/metadata': '--meta' },
    async run(ctx) {
      const meta = pairs(ctx, 'meta');
      const a = await ctx.service.createApplication({
        name: ctx.args[0], ...(str(ctx, 'consumer') !== undefined ? { consumer: str(ctx, 'consumer') } : {}),
        ...(str(ctx, 'description') !== undefined ? { description: str(ctx, 'description') } : {}), ...(meta ? { metadata: meta } : {}),
      });
      ctx.io.out(ctx.json ? json(a) : `created application ${a.name} (${a.id})`);
    },
  },
  'apps delete': {
    usage: 'apps delete NAME', summary: 'delete an application and its endpoints', args: ['NAME'],
    async run(ctx) {
      await ctx.service.deleteApplication(ctx.args[0]!);
      ctx.io.out(ctx.json ? json({ deleted: ctx.args[0] }) : `deleted application ${ctx.args[0]} and its endpoints`);
    },
  },
};

// --- endpoints -------------------------------------------------------------------------------------

const ENDPOINT_SOURCES = {
  '/url': 'URL', '/event_types': '--types', '/channels': '--channels', '/allow_http': '--allow-http', '/rate_limit': '--rate-limit',
  '/max_in_flight': '--max-in-flight', '/headers': '--header', '/description': '--description', '/secret': '--secret-file',
};

const state = (e: EndpointRecord) => (e.disabled ? 'disabled' : e.failing_since !== null ? 'failing' : 'enabled');

/** The endpoint as an update body, for changes of one field (the service checks it all again). */
function endpointBody(e: EndpointRecord, patch: { disabled: boolean }) {
  return {
    url: e.url, description: e.description, allow_http: e.allow_http, max_in_flight: e.max_in_flight, headers: { ...e.headers }, disabled: patch.disabled,
    ...(e.event_types ? { event_types: [...e.event_types] } : {}), ...(e.channels ? { channels: [...e.channels] } : {}), ...(e.rate_limit !== null ? { rate_limit: e.rate_limit } : {}),
  };
}

/**
 * Before sealing a new secret: the master key must open those already in the store, or the worker
 * (which has the nodes' key) could not sign with what this command writes.
 */
async function checkMasterKeyOpensStore(ctx: Ctx): Promise<void> {
  const sealed = (await ctx.store.read().webhookModel.listEndpoints({ limit: 50 })).data.find((e) => validSecrets(e.secrets).length > 0);
  if (sealed) await ctx.service.secrets(sealed.id);
}

async function setDisabled(ctx: Ctx, disabled: boolean): Promise<void> {
  const e = await ctx.service.endpoint(ctx.args[0]!);
  const word = disabled ? 'disabled' : 'enabled';
  if (e.disabled === disabled) {
    ctx.io.out(ctx.json ? json(endpointJson(e)) : `${e.id} is already ${word}`);
    return;
  }
  const updated = await ctx.service.updateEndpoint(e.id, endpointBody(e, { disabled }), e.version);
  if (ctx.json) return ctx.io.out(json(endpointJson(updated)));
  ctx.io.out(`${word} ${updated.id}`);
  if (!disabled) ctx.io.err(`what is pending for it goes now; messages it missed while disabled: portcullis webhooks replay ${updated.id} --since TIME`);
}

const endpoints: Record<string, Command> = {
  'endpoints list': {
    usage: 'endpoints list [--app NAME] [--disabled | --enabled]', summary: 'endpoints, oldest first',
    options: { app: { type: 'string' }, disabled: { type: 'boolean' }, enabled: { type: 'boolean' } },
    flags: ['--app NAME          only the endpoints of this application', '--disabled          only disabled ones (--enabled: only enabled ones)'],
    async run(ctx) {
      if (flag(ctx, 'disabled') && flag(ctx, 'enabled')) throw new UsageError('--disabled and --enabled exclude each other');
      const app = str(ctx, 'app') !== undefined ? await ctx.service.application(str(ctx, 'app')!) : undefined;
      const disabled = flag(ctx, 'disabled') ? true : flag(ctx, 'enabled') ? false : undefined;
      const all = await allPages((q) => ctx.store.read().webhookModel.listEndpoints({ ...q, ...(app ? { application_id: app.id } : {}), ...(disabled !== undefined ? { disabled } : {}) }));
      if (ctx.json) return ctx.io.out(json(all.map((e) => endpointJson(e))));
      const names = await applicationNames(ctx.store);
      printRows(ctx, 'no endpoints', table(['ID', 'APPLICATION', 'STATE', 'URL', 'EVENT TYPES', 'CHANNELS'], all.map((e) => [
        e.id, names.get(e.application_id) ?? e.application_id, state(e), e.url, e.event_types?.join(',') ?? '(all)', e.channels?.join(',') ?? '(all)',
      ])));
    },
  },
  'endpoints add': {
    usage: 'endpoints add APP URL [options]', summary: 'a new endpoint; prints its id and signing secret', args: ['APP', 'URL'], secrets: true,
    options: {
      types: { type: 'string', multiple: true }, channels: { type: 'string', multiple: true }, 'allow-http': { type: 'boolean' }, 'rate-limit': { type: 'string' },
      'max-in-flight': { type: 'string' }, header: { type: 'string', multiple: true }, description: { type: 'string' }, disabled: { type: 'boolean' }, 'secret-file': { type: 'string' },
    },
    flags: [
      '--types a.b,c.*     event types it receives (`c.*`: every type under c); default all',
      '--channels x,y      only messages published on one of these channels; default all',
      '--allow-http        allow a plain http:// URL', '--rate-limit N      deliveries per second at most', '--max-in-flight N   concurrent deliveries at most (default 16)',
      '--header K=V        an extra request header (repeatable)', '--description T', '--disabled          add it disabled',
      '--secret-file FILE  use this signing secret (whsec_…) instead of a new random one',
    ],
    sources: ENDPOINT_SOURCES,
    async run(ctx) {
      await checkMasterKeyOpensStore(ctx);
      const types = list(ctx, 'types');
      const channels = list(ctx, 'channels');
      const headers = pairs(ctx, 'header');
      const rateLimit = int(ctx, 'rate-limit');
      const maxInFlight = int(ctx, 'max-in-flight');
      const secret = secretFromFile(ctx);
      const { endpoint, secret: signing } = await ctx.service.createEndpoint(ctx.args[0]!, {
        url: ctx.args[1], allow_http: flag(ctx, 'allow-http'), disabled: flag(ctx, 'disabled'),
        ...(types ? { event_types: types } : {}), ...(channels ? { channels } : {}), ...(headers ? { headers } : {}),
        ...(rateLimit !== undefined ? { rate_limit: rateLimit } : {}), ...(maxInFlight !== undefined ? { max_in_flight: maxInFlight } : {}),
        ...(str(ctx, 'description') !== undefined ? { description: str(ctx, 'description') } : {}), ...(secret !== undefined ? { secret } : {}),
      });
      if (ctx.json) ctx.io.out(json({ endpoint: endpointJson(endpoint), secret: signing }));
      else for (const l of fields([['endpoint', endpoint.id], ['secret', signing]])) ctx.io.out(l);
      ctx.io.err(`keep the secret: the receiver verifies the webhook-signature header with it (shown again by: portcullis webhooks endpoints secret ${endpoint.id})`);
    },
  },
  'endpoints show': {
    usage: 'endpoints show ID', summary: 'an endpoint (no header values, no secrets)', args: ['ID'],
    async run(ctx) {
      const e = await ctx.service.endpoint(ctx.args[0]!);
      if (ctx.json) return ctx.io.out(json(endpointJson(e)));
      const app = (await ctx.store.read().webhookModel.getApplication(e.application_id))?.name ?? e.application_id;
      const secrets = validSecrets(e.secrets);
      const expiring = secrets.map((s) => s.expires_at).filter((x) => x !== null).sort()[0];
      for (const l of fields([
        ['id', e.id], ['application', app], ['url', e.url], ['state', e.disabled ? `disabled (${clean(e.disabled_reason ?? 'by an operator')})` : state(e)],
        ['event types', e.event_types?.join(', ') ?? '(all)'], ['channels', e.channels?.join(', ') ?? '(all)'], ['allow http', e.allow_http ? 'yes' : 'no'],
        ['rate limit', e.rate_limit === null ? 'none' : `${e.rate_limit}/s`], ['max in flight', e.max_in_flight],
        ['headers', Object.keys(e.headers).join(', ') || '(none)'], ['secrets', `${secrets.length}${expiring ? ` (rotating: the older one signs until ${when(expiring)})` : ''}`],
        ['failing since', e.failing_since === null ? null : when(new Date(e.failing_since).toISOString())], ['last success', when(e.last_success_at)],
        ['description', e.description], ['created', when(e.created_at)], ['updated', when(e.updated_at)],
      ])) ctx.io.out(l);
    },
  },
  'endpoints disable': { usage: 'endpoints disable ID', summary: 'stop deliveries to an endpoint (they wait, pending)', args: ['ID'], run: (ctx) => setDisabled(ctx, true) },
  'endpoints enable': { usage: 'endpoints enable ID', summary: 'resume deliveries to an endpoint', args: ['ID'], run: (ctx) => setDisabled(ctx, false) },
  'endpoints delete': {
    usage: 'endpoints delete ID', summary: 'delete an endpoint (its pending deliveries are cancelled)', args: ['ID'],
    async run(ctx) {
      await ctx.service.deleteEndpoint(ctx.args[0]!);
      ctx.io.out(ctx.json ? json({ deleted: ctx.args[0] }) : `deleted endpoint ${ctx.args[0]}`);
    },
  },
  'endpoints secret': {
    usage: 'endpoints secret ID', summary: 'the signing secrets in use, newest first', args: ['ID'], secrets: true,
    async run(ctx) {
      const secrets = await ctx.service.secrets(ctx.args[0]!);
      if (ctx.json) return ctx.io.out(json(secrets));
      printRows(ctx, 'no valid secret', table(['SECRET', 'CREATED', 'EXPIRES'], secrets.map((s) => [s.secret, when(s.created_at), s.expires_at === null ? 'never' : when(s.expires_at)])));
    },
  },
  'endpoints rotate': {
    usage: 'endpoints rotate ID [--overlap SECONDS] [--secret-file FILE]', summary: 'a new signing secret (the old one overlaps)', args: ['ID'], secrets: true,
    options: { overlap: { type: 'string' }, 'secret-file': { type: 'string' } },
    flags: ['--overlap SECONDS   how long the old secret signs too (default 86400; 0: it stops now)', '--secret-file FILE  the new secret (default: a random one)'],
    sources: { '/overlap_seconds': '--overlap', '/secret': '--secret-file' },
    async run(ctx) {
      // Opens the current secrets first: a wrong master key must not add a secret the worker cannot open.
      await ctx.service.secrets(ctx.args[0]!);
      const overlap = int(ctx, 'overlap');
      const secret = secretFromFile(ctx);
      const r = await ctx.service.rotateSecret(ctx.args[0]!, { ...(overlap !== undefined ? { overlap_seconds: overlap } : {}), ...(secret !== undefined ? { secret } : {}) });
      const old = validSecrets(r.endpoint.secrets).slice(1).map((s) => s.expires_at).filter((x) => x !== null).sort().at(-1);
      if (ctx.json) ctx.io.out(json({ secret: r.secret, endpoint: endpointJson(r.endpoint) }));
      else for (const l of fields([['secret', r.secret]])) ctx.io.out(l);
      ctx.io.err(old ? `the previous secret keeps signing until ${when(old)}: ${plural(validSecrets(r.endpoint.secrets).length, 'signature')} per delivery until then` : 'the previous secret no longer signs');
    },
  },
};

export const MODEL_COMMANDS: Record<string, Command> = { ...eventTypes, ...apps, ...endpoints };
