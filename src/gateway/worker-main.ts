// Entry point of a gateway worker process (node:cluster). Everything it serves arrives from
// the supervisor: the config, config changes, health verdicts, and the order to drain.
import client from 'prom-client';
import { ConfigError } from '../core/config/errors.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { createLogger, flushLogger } from '../telemetry/logger.ts';
import { collectProcessMetrics } from '../telemetry/metrics.ts';
import { Gateway } from './gateway.ts';
import { isBreakerVerdict, type FromWorker, type ToWorker } from './ipc.ts';
import { adoptBreakerVerdict, breakerReport, shareBreakerVerdicts } from './resilience.ts';
import type { AuthServerControl } from './auth-server/endpoints.ts';
import { SupervisorCounters } from './counter-channel.ts';
import { installLocalCounters } from '../store/counters/local.ts';
import { SupervisorControlNumbers } from './control-number-channel.ts';
import { SupervisorSlots } from './slot-channel.ts';
import { SupervisorFlights } from './flight-channel.ts';
import { installNodeFlights } from '../plugins/proxy-cache/node-flights.ts';
import { installSlotSource } from '../plugins/concurrency-limit/slots.ts';
import { installControlNumbers } from '../store/counters/control-numbers.ts';
import { purgeMemoryStores, relayMemoryInvalidations } from '../store/cache/memory.ts';
import { localUsage } from '../telemetry/usage/recorder.ts';
import { usageSettings } from '../telemetry/usage/settings.ts';

const logger = createLogger({ base: { role: 'gateway', worker: Number(process.env.PORTCULLIS_WORKER_ID ?? 0) } });
collectProcessMetrics();
// Installs prom-client's listener that answers the supervisor's metric requests.
export const metricsResponder = new client.AggregatorRegistry();

let gateway: Gateway | undefined;
const send = (m: FromWorker) => process.send?.(m);
/**
 * Sends to the supervisor; false only when the channel is gone. process.send's own false means
 * "backlog above a threshold", yet the message is queued and will arrive: a caller treating that
 * as "not sent" would act twice (refuse a request the supervisor still counts, say).
 */
const toSupervisor = (m: FromWorker): boolean => {
  if (!process.connected || process.send === undefined) return false;
  process.send(m);
  return true;
};

// Rate limits and quotas are counted node-wide, in the supervisor: this worker asks it.
const counters = new SupervisorCounters(toSupervisor);
installLocalCounters({ rate: counters, quota: counters });
// Concurrency caps hold for the node: slots are claimed from the supervisor's limiters.
const slots = new SupervisorSlots(toSupervisor);
installSlotSource(slots);
// Cache misses for one key are fetched once for the node: the supervisor names the leader.
const flights = new SupervisorFlights(toSupervisor);
installNodeFlights(flights);
// EDI control numbers come in blocks from the supervisor's sequences (the store's in store mode).
const controlNumbers = new SupervisorControlNumbers(toSupervisor);
installControlNumbers(controlNumbers);
// An unsafe request's invalidation must reach the copies the other workers' memory caches hold.
relayMemoryInvalidations((key) => { if (process.connected) send({ type: 'portcullis:cache-invalidate', key }); });
// A breaker that opens (or closes) on this worker's traffic opens (closes) on the others too.
shareBreakerVerdicts((verdict) => { if (process.connected) send({ type: 'portcullis:breaker-verdict', verdict }); });

// Revocations go to the supervisor, which holds the store; each waits for its answer.
const pendingRevocations = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
let nextRevocation = 0;
const authControl: AuthServerControl = {
  revokeToken: (token) => new Promise<void>((resolve, reject) => {
    const id = ++nextRevocation;
    const timer = setTimeout(() => { pendingRevocations.delete(id); reject(new Error('the supervisor did not answer')); }, 10_000);
    pendingRevocations.set(id, { resolve: () => { clearTimeout(timer); resolve(); }, reject: (err) => { clearTimeout(timer); reject(err); } });
    send({ type: 'portcullis:revoke', id, token });
  }),
};

// Usage metering: this worker's aggregate goes to the supervisor (which writes it) every hand-off.
const handOffUsage = (): Promise<void> => new Promise((resolve) => {
  const { rows } = localUsage().take();
  if (rows.length === 0 || !process.connected || process.send === undefined) return resolve();
  process.send({ type: 'portcullis:usage', rows } satisfies FromWorker, undefined, {}, () => resolve());
});
setInterval(() => void handOffUsage(), usageSettings().handoffMs).unref();

process.on('message', async (raw: unknown) => {
  const m = raw as ToWorker;
  switch (m?.type) {
    case 'portcullis:start': {
      try {
        gateway = new Gateway(m.config, { logger, catalog: BUNDLED_CATALOG, authControl });
        for (const h of m.health) gateway.state.health.setActive(h.key, h.healthy);
        const addr = await gateway.listen(m.port, m.host);
        send({ type: 'portcullis:listening', version: gateway.version, port: addr.port });
      } catch (err) {
        send({ type: 'portcullis:fatal', message: describe(err) });
        flushLogger(logger);
        process.exitCode = 1;
        setTimeout(() => process.exit(1), 100);
      }
      break;
    }
    case 'portcullis:apply': {
      try {
        const version = gateway!.apply(m.config);
        send({ type: 'portcullis:applied', seq: m.seq, version });
      } catch (err) {
        send({ type: 'portcullis:apply-failed', seq: m.seq, message: describe(err) });
      }
      break;
    }
    case 'portcullis:counted':
      counters.receive(m);
      break;
    case 'portcullis:lease-recall':
      counters.recall(m);
      break;
    case 'portcullis:slotted':
      slots.receive(m);
      break;
    case 'portcullis:flight-answer':
      flights.receive(m);
      break;
    case 'portcullis:edi-reserved':
      controlNumbers.receive(m);
      break;
    case 'portcullis:revoked': {
      const pending = pendingRevocations.get(m.id);
      pendingRevocations.delete(m.id);
      if (m.ok) pending?.resolve();
      else pending?.reject(new Error(m.error ?? 'revocation failed'));
      break;
    }
    case 'portcullis:breakers':
      send({ type: 'portcullis:breaker-report', id: m.id, breakers: gateway ? breakerReport() : [] });
      break;
    case 'portcullis:cache-purge': {
      const removed = await purgeMemoryStores(m.request);
      send({ type: 'portcullis:cache-purged', id: m.id, removed });
      break;
    }
    case 'portcullis:breaker-verdict':
      if (isBreakerVerdict(m.verdict)) adoptBreakerVerdict(m.verdict);
      break;
    case 'portcullis:cache-invalidate':
      void purgeMemoryStores({ key: m.key });
      break;
    case 'portcullis:health':
      gateway?.state.health.setActive(m.key, m.healthy);
      break;
    case 'portcullis:drain': {
      const result = gateway ? await gateway.drain(m.timeoutMs) : { completed: true, inFlight: 0 };
      if (!result.completed) logger.warn({ in_flight: result.inFlight }, 'drain timed out');
      // Every finished exchange is recorded by now: hand the last of it over before exiting.
      await handOffUsage();
      flushLogger(logger);
      process.exit(0);
    }
  }
});

// The supervisor going away (killed) must not leave orphan workers serving.
process.on('disconnect', () => {
  void (gateway?.drain(1000) ?? Promise.resolve()).finally(() => process.exit(0));
});
// SIGTERM/SIGINT go to the whole process group; the supervisor orchestrates the drain.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

function describe(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return `port ${e.message.split(':').pop()} is already in use`;
  if (e?.code === 'EACCES') return `no permission to listen (${e.message})`;
  return e?.message ?? String(err);
}
