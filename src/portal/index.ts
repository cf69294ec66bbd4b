// The portal API, assembled: its operation table and the session gate. The admin listener mounts
// it under /portal/api (src/admin/server.ts) with its OpenAPI document (./openapi.ts);
// src/cli/platform.ts builds it.
import type { ConfigService } from '../admin/config-service.ts';
import type { Store } from '../store/ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { WebhookService } from '../webhooks/service.ts';
import { accountOperations } from './api/accounts.ts';
import { appOperations } from './api/apps.ts';
import { catalogOperations } from './api/catalog.ts';
import { configOperations } from './api/config.ts';
import { brandingPortalOperations } from './branding/operations.ts';
import { throttlesFor, type PortalContext, type PortalOperation } from './api/context.ts';
import { teamOperations } from './api/teams.ts';
import { webhookSelfServiceOperations } from './api/webhooks.ts';
import { billingOperations } from './api/billing.ts';
import { usageOperations } from './api/usage.ts';
import { providerFor, billingSettings, type BillingSettings } from './billing/settings.ts';
import { createMailTransport, type MailTransport } from './mail/transport.ts';
import { PortalSessions, portalGate } from './sessions.ts';
import type { PortalSettings } from './settings.ts';

export interface PortalDeps {
  readonly store: Store;
  readonly service: ConfigService;
  readonly logger: Logger;
  readonly settings: PortalSettings;
  /** Defaults to the transport the settings name. */
  readonly mail?: MailTransport;
  readonly webhooks?: WebhookService;
  /** How often expired sessions and tokens are pruned (0: never; default 15 minutes). */
  readonly pruneEveryMs?: number;
  /** Billing (payment provider); defaults to the manual provider without payee details. */
  readonly billing?: BillingSettings;
}

/** Every portal API operation, in the order the OpenAPI document lists them. */
export function portalOperations(ctx: PortalContext, billing: BillingSettings = billingSettings({})): PortalOperation[] {
  return [
    ...accountOperations(ctx), ...teamOperations(ctx), ...appOperations(ctx), ...(ctx.webhooks ? webhookSelfServiceOperations(ctx, ctx.webhooks) : []), ...catalogOperations(ctx), ...configOperations(ctx),
    ...usageOperations(ctx), ...billingOperations(ctx, providerFor(billing)), ...brandingPortalOperations(ctx),
  ];
}

export interface Portal {
  readonly operations: readonly PortalOperation[];
  readonly gate: ReturnType<typeof portalGate>;
  readonly mail: MailTransport;
  /** Deletes sessions past their end or idle too long, and expired mailed tokens. */
  prune(): Promise<{ sessions: number; tokens: number }>;
  close(): Promise<void>;
}

/** How often a node prunes the portal's expired rows (every node may; the deletes are idempotent). */
const PRUNE_EVERY_MS = 15 * 60_000;

export function createPortal(deps: PortalDeps): Portal {
  const mail = deps.mail ?? createMailTransport(deps.settings.mail, deps.logger);
  const sessions = new PortalSessions(deps.store, deps.settings);
  const ctx: PortalContext = {
    store: deps.store, service: deps.service, settings: deps.settings, sessions, mail, logger: deps.logger,
    throttles: throttlesFor(deps.settings), ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
  };
  const operations = portalOperations(ctx, deps.billing);
  const { store, settings } = deps;
  const prune = () => store.write(async (tx) => {
    const now = settings.now();
    return {
      sessions: await tx.portal.deleteExpiredSessions(new Date(now).toISOString(), new Date(now - settings.sessionIdleMs).toISOString()),
      tokens: await tx.portal.deleteExpiredTokens(new Date(now).toISOString()),
    };
  });
  // Expired rows are already refused on use; pruning only keeps the tables small.
  const timer = deps.pruneEveryMs === 0 ? undefined : setInterval(() => {
    prune().catch((err: unknown) => deps.logger.warn({ error: (err as Error).message }, 'portal clean-up failed; trying again later'));
  }, deps.pruneEveryMs ?? PRUNE_EVERY_MS);
  timer?.unref();
  return {
    operations, gate: portalGate(sessions, settings), mail, prune,
    async close() {
      clearInterval(timer);
      await mail.close();
    },
  };
}
