// The admin listener (never the proxy socket): health, readiness and metrics today; the admin
// REST API joins it with the control plane.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../core/errors/problem.ts';
import type { StoreHealth } from '../store/ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import { adminGate, installBodyParsers, mountOperations, problemOf, sendProblem, type Gate } from './api/mount.ts';
import type { AnyOperation, Operation } from './api/types.ts';
import type { AdminAuth } from './auth.ts';
import { openApiText } from './openapi.ts';
import { DEFAULT_WEB_ROOT, mountWebApp } from './web-assets.ts';

export interface ReadinessReport {
  ready: boolean;
  status: 'starting' | 'ready' | 'draining';
  /** Version of the config the supervisor last accepted. */
  config_version: string | undefined;
  /** What each gateway process serves; a differing entry is a stale process. */
  gateway_versions: string[];
  last_reload: { at: string; ok: boolean; error?: string } | undefined;
  /** Where the config comes from: a file (DB-less) or the store. */
  config_source: 'file' | 'store';
  /** Store revision the node serves (store mode). */
  config_revision?: number;
  /** Store reachability; while it is down the node serves its last snapshot. */
  store?: StoreHealth & { location: string; serving: 'live' | 'last-known-good' };
}

export interface AdminDeps {
  readonly logger: Logger;
  readiness(): ReadinessReport;
  metrics(): Promise<string>;
  /** The admin REST API; absent on a node without the control plane. */
  readonly api?: { operations: readonly Operation[]; auth: AdminAuth; readOnly: boolean; version: string };
  /**
   * The developer portal's API under /portal/api (src/portal builds it; admin never imports
   * portal, so it arrives as an operation table, its gate and its generated OpenAPI document).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the portal's principal type is its gate's business
  readonly portal?: { operations: readonly AnyOperation[]; gate: Gate<any, string>; document: string };
  /** Folder of the built web app (portal + console); default dist/web; false: no web app. */
  readonly webRoot?: string | false;
  /** URLs the web app's pages may call besides the admin origin (the gateway, for "try it"). */
  readonly connectSources?: () => readonly (string | undefined)[];
}

export function createAdminServer(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024, return503OnClosing: true, genReqId: () => randomUUID() });

  // Every answer names its request id, so a client can quote it and find the audit entry.
  app.addHook('onSend', async (req, reply) => { reply.header('x-request-id', String(req.id)); });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    const report = deps.readiness();
    reply.code(report.ready ? 200 : 503).header('cache-control', 'no-store');
    return report;
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return deps.metrics();
  });

  if (deps.api || deps.portal) installBodyParsers(app);
  if (deps.api) {
    const { operations, auth, readOnly, version } = deps.api;
    const document = openApiText(operations, version);
    app.get('/admin/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(document));
    mountOperations(app, operations, { gate: adminGate(auth), readOnly, logger: deps.logger });
  }
  if (deps.portal) {
    const { operations, gate, document } = deps.portal;
    app.get('/portal/api/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(document));
    mountOperations(app, operations, { gate, readOnly: false, logger: deps.logger });
  }

  const notFound = (req: FastifyRequest, reply: FastifyReply) => reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problemBody('route-not-found', { instance: req.url.split('?')[0], requestId: req.id }));
  // The web app answers every other GET (a missing build only logs: the APIs work without it).
  if (deps.webRoot !== false) {
    const root = deps.webRoot ?? DEFAULT_WEB_ROOT;
    if (mountWebApp(app, { root, notFound, ...(deps.connectSources ? { connectSources: deps.connectSources } : {}) }) === 0) deps.logger.warn({ root }, 'web app not built (npm run build:web): the portal and console are not served');
  }

  app.setNotFoundHandler(notFound);

  app.setErrorHandler((err, req, reply) => {
    const known = problemOf(err);
    if (known) return sendProblem(reply, req, known.code, known.detail, known.errors, known.headers);
    const e = err as { statusCode?: number; code?: string };
    const status = e.statusCode;
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, req, 'unsupported-media-type');
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, req, 'payload-too-large');
    if (status !== undefined && status >= 400 && status < 500) {
      const detail = e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'the body is not valid JSON' : e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the body is empty' : undefined;
      return sendProblem(reply, req, detail ? 'validation-failed' : 'bad-request', detail, detail ? [{ pointer: '', detail }] : undefined);
    }
    deps.logger.error({ err, path: req.url.split('?')[0] }, 'admin request failed');
    return sendProblem(reply, req, 'internal-error', 'The admin API could not process the request.');
  });

  return app;
}
