// The admin listener (never the proxy socket): health, readiness and metrics today; the admin
// REST API joins it with the control plane.
import Fastify, { type FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../core/errors/problem.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface ReadinessReport {
  ready: boolean;
  status: 'starting' | 'ready' | 'draining';
  /** Version of the config the supervisor last accepted. */
  config_version: string | undefined;
  /** What each gateway process serves; a differing entry is a stale process. */
  gateway_versions: string[];
  last_reload: { at: string; ok: boolean; error?: string } | undefined;
}

export interface AdminDeps {
  readonly logger: Logger;
  readiness(): ReadinessReport;
  metrics(): Promise<string>;
}

export function createAdminServer(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, return503OnClosing: true });

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

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problemBody('route-not-found', { instance: req.url.split('?')[0], requestId: req.id }));
  });

  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problemBody('bad-request', { instance: req.url.split('?')[0], requestId: req.id }));
      return;
    }
    deps.logger.error({ err, path: req.url.split('?')[0] }, 'admin request failed');
    reply.code(500).type(PROBLEM_CONTENT_TYPE).send(problemBody('internal-error', { instance: req.url.split('?')[0], requestId: req.id }));
  });

  return app;
}
