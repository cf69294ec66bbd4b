// `portcullis webhooks publish|messages|attempts|dead-letters|resend|replay|test|stats`: events and
// what became of them. The CLI only writes to the store; the nodes' worker role sends (Postgres
// wakes it at once, a SQLite worker notices at its next poll).
import type { PublishResult } from '../webhooks/publish.ts';
import { WebhookNotFoundError } from '../webhooks/service.ts';
import { UsageError } from './args.ts';
import {
  applicationNames, DEFAULT_LIMIT, firstItems, flag, instant, intIn, LIMIT_OPTION, list, MAX_LIMIT, payload, PAYLOAD_OPTIONS, printRows, str, type Command, type Ctx,
} from './webhooks-common.ts';
import { clean, deliveryJson, fields, json, messageJson, plural, shorten, table, when } from './webhooks-output.ts';

const LIMIT_FLAG = `--limit N           at most N, newest first (default ${DEFAULT_LIMIT}, up to ${MAX_LIMIT})`;
const limitOf = (ctx: Ctx) => intIn(ctx, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);

function moreNote(ctx: Ctx, more: boolean, shown: number): void {
  if (more) ctx.io.err(`showing the newest ${shown}; there are more (--limit, or narrow with the filters)`);
}

function printPublished(ctx: Ctx, r: PublishResult): void {
  if (ctx.json) return ctx.io.out(json({ ...messageJson(r.message), deliveries: r.deliveries, duplicate: r.duplicate }));
  for (const l of fields(r.duplicate
    ? [['message', r.message.id], ['duplicate', 'yes: published before with this key within 24 h; nothing new sent']]
    : [['message', r.message.id], ['deliveries', r.deliveries]])) ctx.io.out(l);
}

const attemptStatus = (code: number | null, errorCode: string | null) => (code !== null ? String(code) : errorCode ?? '-');

export const OPS_COMMANDS: Record<string, Command> = {
  publish: {
    usage: 'publish EVENT_TYPE [--app NAME] [--payload JSON | --payload-file FILE] [options]', summary: 'publish an event: its message id and deliveries',
    args: ['EVENT_TYPE'],
    options: { app: { type: 'string' }, ...PAYLOAD_OPTIONS, 'idempotency-key': { type: 'string' }, channel: { type: 'string', multiple: true }, 'event-id': { type: 'string' }, 'schema-version': { type: 'string' } },
    flags: [
      '--app NAME          to this application (default: broadcast to every application)', '--payload JSON      the event data (default {})',
      '--payload-file FILE the event data from a file (- for standard input)', '--idempotency-key K publishing again with K within 24 h sends nothing new',
      '--channel C         publish on this channel (repeatable)', '--event-id ID       your id of the event (dedupes like an idempotency key)',
      '--schema-version N  validate against this schema version (default the latest)',
    ],
    sources: { '/event_type': 'EVENT_TYPE', '/application': '--app', '/channels': '--channel', '/event_id': '--event-id', '/schema_version': '--schema-version' },
    async run(ctx) {
      const key = str(ctx, 'idempotency-key');
      if (key !== undefined && (key.length === 0 || key.length > 256)) throw new UsageError('--idempotency-key must be 1-256 characters');
      const channels = list(ctx, 'channel');
      const r = await ctx.service.publish({
        event_type: ctx.args[0], payload: payload(ctx) ?? {}, ...(str(ctx, 'app') !== undefined ? { application: str(ctx, 'app') } : {}),
        ...(channels ? { channels } : {}), ...(str(ctx, 'event-id') !== undefined ? { event_id: str(ctx, 'event-id') } : {}),
        ...(str(ctx, 'schema-version') !== undefined ? { schema_version: str(ctx, 'schema-version') } : {}),
      }, key);
      printPublished(ctx, r);
    },
  },
  messages: {
    usage: 'messages [MESSAGE_ID] [--app NAME] [--type T] [--channel C] [--since TIME] [--until TIME] [--limit N]', summary: 'messages, newest first; or one with its deliveries',
    args: ['MESSAGE_ID?'],
    options: { app: { type: 'string' }, type: { type: 'string' }, channel: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, ...LIMIT_OPTION },
    flags: ['--app NAME          only messages to this application', '--type T            only this event type', '--channel C         only messages on this channel', '--since TIME        at or after (2025-05-01T12:00:00Z, or a time ago: 15m, 6h, 7d)', '--until TIME        before', LIMIT_FLAG],
    async run(ctx) {
      if (ctx.args[0] !== undefined) return showMessage(ctx, ctx.args[0]);
      const app = str(ctx, 'app') !== undefined ? await ctx.service.application(str(ctx, 'app')!) : undefined;
      const since = instant(ctx, 'since');
      const until = instant(ctx, 'until');
      const { items, more } = await firstItems((q) => ctx.store.read().webhookLog.listMessages({
        ...q, ...(app ? { application_id: app.id } : {}), ...(str(ctx, 'type') !== undefined ? { event_type: str(ctx, 'type') } : {}),
        ...(str(ctx, 'channel') !== undefined ? { channel: str(ctx, 'channel') } : {}), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
      }), limitOf(ctx));
      if (ctx.json) return ctx.io.out(json(items.map(messageJson)));
      const names = await applicationNames(ctx.store);
      printRows(ctx, 'no messages', table(['ID', 'CREATED', 'EVENT TYPE', 'APPLICATION', 'CHANNELS'], items.map((m) => [
        m.id, when(m.created_at), m.event_type, m.application_id === null ? '(all)' : names.get(m.application_id) ?? m.application_id, m.channels?.join(','),
      ])));
      moreNote(ctx, more, items.length);
    },
  },
  attempts: {
    usage: 'attempts [--endpoint ID] [--message ID] [--failed] [--since TIME] [--limit N]', summary: 'delivery attempts, newest first',
    options: { endpoint: { type: 'string' }, message: { type: 'string' }, failed: { type: 'boolean' }, since: { type: 'string' }, ...LIMIT_OPTION },
    flags: ['--endpoint ID       only to this endpoint', '--message ID        only of this message', '--failed            only failed attempts', '--since TIME        at or after', LIMIT_FLAG],
    async run(ctx) {
      const since = instant(ctx, 'since');
      const { items, more } = await firstItems((q) => ctx.store.read().webhookLog.listAttempts({
        ...q, ...(str(ctx, 'endpoint') !== undefined ? { endpoint_id: str(ctx, 'endpoint') } : {}), ...(str(ctx, 'message') !== undefined ? { message_id: str(ctx, 'message') } : {}),
        ...(flag(ctx, 'failed') ? { outcome: 'failed' as const } : {}), ...(since !== undefined ? { since } : {}),
      }), limitOf(ctx));
      if (ctx.json) return ctx.io.out(json(items));
      printRows(ctx, 'no attempts', table(['AT', 'ENDPOINT', 'MESSAGE', '#', 'TRIGGER', 'OUTCOME', 'STATUS', 'MS', 'ERROR'], items.map((a) => [
        when(a.at), a.endpoint_id, a.message_id, a.attempt, a.trigger, a.outcome, attemptStatus(a.status_code, a.error_code), a.latency_ms, shorten(clean(a.error ?? ''), 60),
      ])));
      moreNote(ctx, more, items.length);
    },
  },
  'dead-letters': {
    usage: 'dead-letters [--endpoint ID] [--limit N]', summary: 'deliveries whose last attempt failed',
    options: { endpoint: { type: 'string' }, ...LIMIT_OPTION }, flags: ['--endpoint ID       only to this endpoint', LIMIT_FLAG],
    async run(ctx) {
      const { items, more } = await firstItems((q) => ctx.store.read().webhookLog.listDeliveries({ ...q, status: 'failed', ...(str(ctx, 'endpoint') !== undefined ? { endpoint_id: str(ctx, 'endpoint') } : {}) }), limitOf(ctx));
      if (ctx.json) return ctx.io.out(json(items.map(deliveryJson)));
      printRows(ctx, 'no dead letters', table(['DELIVERY', 'ENDPOINT', 'MESSAGE', 'ATTEMPTS', 'LAST STATUS', 'FAILED AT', 'LAST ERROR'], items.map((d) => [
        d.id, d.endpoint_id, d.message_id, d.attempts, d.last_status, when(d.updated_at), shorten(clean(d.last_error ?? ''), 60),
      ])));
      moreNote(ctx, more, items.length);
      if (items.length > 0) ctx.io.err('send one again: portcullis webhooks resend MESSAGE --endpoint ENDPOINT; all since a time: portcullis webhooks replay ENDPOINT --since TIME');
    },
  },
  resend: {
    usage: 'resend MESSAGE_ID [--endpoint ID]', summary: 'a new delivery of a message, due now', args: ['MESSAGE_ID'],
    options: { endpoint: { type: 'string' } }, flags: ['--endpoint ID       only to this endpoint (default: every endpoint it went to)'],
    async run(ctx) {
      const created = await ctx.service.resend(ctx.args[0]!, str(ctx, 'endpoint') !== undefined ? { endpoint: str(ctx, 'endpoint') } : {});
      if (ctx.json) return ctx.io.out(json(created.map(deliveryJson)));
      ctx.io.out(`queued ${plural(created.length, 'delivery', 'deliveries')} of ${ctx.args[0]}`);
      for (const l of table(['DELIVERY', 'ENDPOINT'], created.map((d) => [d.id, d.endpoint_id]))) ctx.io.out(l);
    },
  },
  replay: {
    usage: 'replay ENDPOINT_ID --since TIME [--until TIME] [--all]', summary: 'deliver again what an endpoint missed since a time', args: ['ENDPOINT_ID'],
    options: { since: { type: 'string' }, until: { type: 'string' }, all: { type: 'boolean' } },
    flags: ['--since TIME        messages created at or after (required)', '--until TIME        and before', '--all               every matching message again, not only those it did not receive'],
    sources: { '/since': '--since', '/until': '--until' },
    async run(ctx) {
      const since = instant(ctx, 'since');
      if (since === undefined) throw new UsageError('replay needs --since TIME');
      const until = instant(ctx, 'until');
      const r = await ctx.service.replay(ctx.args[0]!, { since, ...(until !== undefined ? { until } : {}), mode: flag(ctx, 'all') ? 'all' : 'failed' });
      if (ctx.json) return ctx.io.out(json(r));
      ctx.io.out(`replayed ${plural(r.replayed, 'message')} to ${ctx.args[0]}`);
      if (r.truncated) ctx.io.err('stopped at 100000 messages: replay again from the last one replayed');
    },
  },
  test: {
    usage: 'test ENDPOINT_ID [--type T] [--payload JSON | --payload-file FILE]', summary: 'send an example event to one endpoint', args: ['ENDPOINT_ID'],
    options: { type: { type: 'string' }, ...PAYLOAD_OPTIONS },
    flags: ['--type T            the event type (default: the first one the endpoint receives)', '--payload JSON      the data (default: the type\'s example)', '--payload-file FILE'],
    sources: { '/event_type': '--type' },
    async run(ctx) {
      const data = payload(ctx);
      const r = await ctx.service.testSend(ctx.args[0]!, { ...(str(ctx, 'type') !== undefined ? { event_type: str(ctx, 'type') } : {}), ...(data !== undefined ? { payload: data } : {}) });
      printPublished(ctx, r);
      if (!ctx.json) ctx.io.err(`follow it with: portcullis webhooks attempts --message ${r.message.id}`);
    },
  },
  stats: {
    usage: 'stats ENDPOINT_ID [--hours N]', summary: 'an endpoint\'s deliveries, success rate, latency', args: ['ENDPOINT_ID'],
    options: { hours: { type: 'string' } }, flags: ['--hours N           window of the attempt figures (1-720, default 24)'],
    async run(ctx) {
      const s = await ctx.service.stats(ctx.args[0]!, intIn(ctx, 'hours', 1, 720, 24));
      if (ctx.json) return ctx.io.out(json(s));
      const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
      for (const l of fields([
        ['deliveries', `${s.deliveries.pending} pending, ${s.deliveries.succeeded} succeeded, ${s.deliveries.failed} failed, ${s.deliveries.cancelled} cancelled`],
        [`attempts (${s.window_hours} h)`, `${s.attempts.total}: ${s.attempts.succeeded} succeeded, ${s.attempts.failed} failed`],
        ['by status', Object.entries(s.attempts.by_status).map(([k, n]) => `${k} ${n}`).join(', ') || '-'],
        ['success rate', s.success_rate === null ? '-' : `${(s.success_rate * 100).toFixed(1)} %`],
        ['latency', `p50 ${ms(s.latency_ms.p50)}, p95 ${ms(s.latency_ms.p95)}, p99 ${ms(s.latency_ms.p99)}`],
      ])) ctx.io.out(l);
    },
  },
};

async function showMessage(ctx: Ctx, id: string): Promise<void> {
  const m = await ctx.store.read().webhookLog.getMessage(id);
  if (!m) throw new WebhookNotFoundError(`no message "${id}"`);
  const deliveries = await ctx.store.read().webhookLog.deliveriesOf(m.id);
  if (ctx.json) return ctx.io.out(json({ ...messageJson(m), deliveries: deliveries.map(deliveryJson) }));
  const app = m.application_id === null ? '(all)' : (await ctx.store.read().webhookModel.getApplication(m.application_id))?.name ?? m.application_id;
  for (const l of fields([['id', m.id], ['created', when(m.created_at)], ['event type', m.event_type], ['application', app], ['channels', m.channels?.join(', ')], ['event id', m.event_id]])) ctx.io.out(l);
  ctx.io.out(`payload:\n${json(messageJson(m).payload)}`);
  printRows(ctx, 'no deliveries', table(['DELIVERY', 'ENDPOINT', 'STATUS', 'TRIGGER', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST STATUS', 'LAST ERROR'], deliveries.map((d) => [
    d.id, d.endpoint_id, d.status, d.trigger, d.attempts, d.status === 'pending' ? when(new Date(d.due_at).toISOString()) : null, d.last_status, shorten(clean(d.last_error ?? ''), 60),
  ])));
}
