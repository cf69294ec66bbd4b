// The worker role: the delivery worker, the relay of platform events, and the clean-up of old
// messages. Runs in any node started with the `worker` role, as many as you like on Postgres (they
// share the load through the store); on SQLite one node owns the file anyway.
import type { MasterKey } from '../core/identity/sealed.ts';
import type { Store } from '../store/ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import { relayPlatformEvents } from './relay.ts';
import { WebhookSender } from './sender.ts';
import { retentionCutoff, type WebhookSettings } from './settings.ts';
import { compileSsrfPolicy } from './ssrf.ts';
import { DeliveryWorker } from './worker.ts';

const RELAY_INTERVAL_MS = 1000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface WebhookRole {
  /** Stops claiming, finishes what is in flight, records it. */
  stop(): Promise<void>;
  readonly worker: DeliveryWorker;
}

export function startWebhookRole(opts: { store: Store; masterKey: MasterKey; settings: WebhookSettings; logger: Logger }): WebhookRole {
  const { store, settings, logger } = opts;
  const sender = new WebhookSender({ policy: compileSsrfPolicy({ allow: settings.allowNetworks }) });
  const worker = new DeliveryWorker({
    store, sender, masterKey: opts.masterKey, logger, timeoutMs: settings.timeoutMs, leaseMs: settings.leaseMs,
    concurrency: settings.concurrency, pollMs: settings.pollMs, disableAfterMs: settings.disableAfterMs,
  });
  const stopWake = store.feed.onWebhooksDue(() => worker.wake());
  worker.start();

  let relaying = false;
  let relayFailing = false;
  const relay = async () => {
    if (relaying) return;
    relaying = true;
    try {
      while (await relayPlatformEvents(store) >= 100) { /* a full batch: there may be more */ }
      if (relayFailing) logger.info({}, 'platform events relay: working again');
      relayFailing = false;
    } catch (err) {
      if (!relayFailing) logger.warn({ error: (err as Error).message }, 'platform events relay failed; retrying');
      relayFailing = true;
    } finally {
      relaying = false;
    }
  };
  const relayTimer = setInterval(() => void relay(), RELAY_INTERVAL_MS);
  relayTimer.unref();
  void relay();

  const prune = async () => {
    try {
      let removed = 0;
      for (let n = -1; n !== 0;) {
        n = await store.write((tx) => tx.webhookLog.prune(retentionCutoff(settings, Date.now()), 1000));
        removed += n;
      }
      if (removed > 0) logger.info({ removed, retention_days: settings.retentionDays }, 'webhook messages past retention pruned');
    } catch (err) {
      logger.warn({ error: (err as Error).message }, 'webhook prune failed; trying again in an hour');
    }
  };
  const pruneTimer = setInterval(() => void prune(), PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  return {
    worker,
    async stop() {
      clearInterval(relayTimer);
      clearInterval(pruneTimer);
      stopWake();
      await worker.stop();
      await sender.close();
    },
  };
}
