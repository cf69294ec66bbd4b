// The gateway role across worker processes (node:cluster): one listening socket shared by
// `workers` processes, config pushed over IPC, crashed workers replaced.
import { probePort } from './port-probe.ts';
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import type { Config } from '../core/config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { isFromWorker, type FromWorker, type ToWorker } from './ipc.ts';
import { answerCounts, isLeaseReturn, isLeaseReturnMessage } from './counter-channel.ts';
import { RateLeases } from './rate-leases.ts';
import { LeaseBook } from './lease-book.ts';
import { QuotaLeases } from './quota-leases.ts';
import { nodeMemoryRateCounter } from '../store/counters/local.ts';
import { answerReservation, isReserveMessage } from './control-number-channel.ts';
import { isSlotMessage, NodeSlots } from './slot-channel.ts';
import { isFlightRequest, NodeFlightRegistry } from './flight-channel.ts';
import type { HealthRegistry } from './health/registry.ts';
import type { GatewayRole, WorkerBreakers } from './role.ts';
import type { AuthServerControl } from './auth-server/endpoints.ts';
import type { PurgeRequest } from '../store/cache/ports.ts';
import { isUsageRow, type UsageRow } from '../telemetry/usage/aggregate.ts';

interface WorkerSlot {
  id: number;
  worker: Worker | undefined;
  version: string | undefined;
  restarts: number[];
  /** The port its worker was told to listen on (the key of the listening handle it shares). */
  listenPort: number;
}

interface ClusterOptions {
  logger: Logger;
  health: HealthRegistry;
  port: number;
  host: string;
  workers: number;
  /** Where workers' OAuth2 revocations are recorded. */
  authControl?: AuthServerControl;
  /** Where workers' usage aggregates go (the node's usage writer). */
  onUsage?: (rows: readonly UsageRow[]) => void;
  /** A worker's memory cache invalidated a key after an unsafe request (for the other nodes). */
  onInvalidate?: (key: string) => void;
}

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

export class ClusterGateway implements GatewayRole {
  private readonly opts: ClusterOptions;
  private readonly slots: WorkerSlot[] = [];
  private readonly aggregator = new client.AggregatorRegistry();
  private config: Config | undefined;
  /** Version every worker should serve (set by the last successful apply). */
  private version: string | undefined;
  private seq = 0;
  private breakerQueries = 0;
  private purges = 0;
  private stopping = false;
  /** The node's concurrency-limit slots, claimed by every worker. */
  private readonly concurrency = new NodeSlots();
  /** Units of rate-limit keys and quota allowances lent to workers (counted here already), so that a busy key costs no IPC per request. */
  private readonly leaseBook = new LeaseBook({
    workers: () => this.live().length,
    recall: (workerId, ids) => {
      const slot = this.slots.find((s) => s.worker?.id === workerId);
      if (slot?.worker === undefined || slot.worker.isDead()) return false;
      this.send(slot.worker, { type: 'portcullis:lease-recall', ids });
      return true;
    },
  });
  private readonly rateLeases = new RateLeases(nodeMemoryRateCounter(), this.leaseBook);
  /** Units of quota allowances lent to workers the same way (consumed in the node's ledger already). */
  private readonly quotaLeases = new QuotaLeases(this.leaseBook);
  /** The node's cache misses in progress: one leader per key among the workers. */
  private readonly flights = new NodeFlightRegistry();
  port = 0;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    // Workers accept on the shared socket themselves (SCHED_NONE) rather than the primary handing
    // connections out round-robin: with round-robin, a connection handed to a worker that has just
    // died hangs; with a shared socket, the kernel keeps it for a live worker. Busy workers accept
    // less, which balances the load well enough under traffic.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
  }

  async start(config: Config): Promise<void> {
    this.config = config;
    // Fail fast (before forking anything) when the port is taken.
    if (this.opts.port !== 0) await probePort(this.opts.port, this.opts.host);
    // The first worker binds (a clear error if the port is taken), then the rest join it. All
    // listen on the configured port, even 0: the primary shares one handle per (host, port) key,
    // so workers asking for the resolved port would try to bind it a second time.
    const first = this.newSlot(0);
    this.port = await this.spawn(first);
    await Promise.all(Array.from({ length: this.opts.workers - 1 }, (_, i) => this.spawn(this.newSlot(i + 1))));
  }

  private newSlot(id: number): WorkerSlot {
    const slot: WorkerSlot = { id, worker: undefined, version: undefined, restarts: [], listenPort: this.opts.port };
    this.slots.push(slot);
    return slot;
  }

  private spawn(slot: WorkerSlot): Promise<number> {
    const worker = cluster.fork({ PORTCULLIS_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    slot.version = undefined;
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (!isFromWorker(m)) return;
        if (m.type === 'portcullis:listening') {
          slot.version = m.version;
          cleanup();
          resolve(m.port);
          // It was started with a config that a reload has replaced since: bring it up to date.
          if (this.version !== undefined && m.version !== this.version) void this.applyTo([{ slot, worker }], this.config!).catch(() => undefined);
        }
        if (m.type === 'portcullis:fatal') { cleanup(); reject(new Error(m.message)); }
      };
      const onExit = (code: number | null) => { cleanup(); reject(new Error(`gateway worker exited during start (code ${code})`)); };
      const cleanup = () => { worker.off('message', onMessage); worker.off('exit', onExit); this.watch(slot, worker); };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.once('online', () => {
        // Decided now, not at fork: workers killed together are all gone by the time it is online.
        slot.listenPort = this.listenPort(slot);
        this.send(worker, { type: 'portcullis:start', config: this.config!, port: slot.listenPort, host: this.opts.host, health: this.opts.health.snapshot() });
      });
    });
  }

  /**
   * The port a worker listens on. Workers share the primary's listening handle only when they ask
   * for the same port: the one a listening worker asked for (the configured one, even 0). With
   * port 0, once every worker has died the handle is gone, and asking for 0 again would bind a new
   * random port: replacements then ask for the port the node has been serving on.
   */
  private listenPort(starting: WorkerSlot): number {
    const holder = this.slots.find((s) => s !== starting && s.version !== undefined && s.worker !== undefined && !s.worker.isDead());
    if (holder !== undefined) return holder.listenPort;
    return this.port !== 0 ? this.port : this.opts.port;
  }

  /** Replaces a worker that dies while we are not stopping (backing off if it keeps dying). */
  private watch(slot: WorkerSlot, worker: Worker): void {
    worker.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      if (m.type === 'portcullis:count') {
        // Rate limits and quotas of the whole node are counted here, in one place.
        answerCounts(m, Date.now(), (a) => this.send(worker, a), { worker: worker.id, book: this.leaseBook, rate: this.rateLeases, quota: this.quotaLeases });
      } else if (m.type === 'portcullis:lease-return') {
        if (isLeaseReturnMessage(m)) for (const r of m.returns) if (isLeaseReturn(r)) this.leaseBook.returned(worker.id, r);
      } else if (m.type === 'portcullis:slots') {
        // Concurrency caps of the whole node are kept here, in one place.
        if (isSlotMessage(m)) this.concurrency.handle(worker.id, m, (a) => this.send(worker, a));
      } else if (m.type === 'portcullis:flight-join' || m.type === 'portcullis:flight-done') {
        if (isFlightRequest(m)) this.flights.handle(worker.id, m, (a) => this.send(worker, a));
      } else if (m.type === 'portcullis:edi-reserve') {
        // EDI control number blocks: every worker's come from the node's one source.
        if (isReserveMessage(m)) void answerReservation(m).then((a) => this.send(worker, a));
      } else if (m.type === 'portcullis:cache-invalidate') {
        // A memory cache invalidation (RFC 9111 §4.4) holds for the node: every other worker drops the key too.
        if (typeof m.key !== 'string') return;
        for (const other of this.live()) if (other.worker !== worker) this.send(other.worker, { type: 'portcullis:cache-invalidate', key: m.key });
        this.opts.onInvalidate?.(m.key);
      } else if (m.type === 'portcullis:breaker-verdict') {
        // A worker's breaker opened or closed on its traffic: the node's other workers follow.
        for (const other of this.live()) if (other.worker !== worker) this.send(other.worker, { type: 'portcullis:breaker-verdict', verdict: m.verdict });
      } else if (m.type === 'portcullis:revoke') this.revoke(worker, m.id, m.token);
      else if (m.type === 'portcullis:usage' && Array.isArray(m.rows)) this.opts.onUsage?.(m.rows.filter(isUsageRow));
    });
    worker.once('exit', (code, signal) => {
      // What it held of the node's concurrency caps goes back to the other workers.
      this.concurrency.workerGone(worker.id);
      // Its rate-limit and quota leases stay counted (it may have used them); nothing waits for them any more.
      this.leaseBook.workerGone(worker.id);
      this.flights.workerGone(worker.id);
      if (this.stopping || slot.worker !== worker) return;
      const now = Date.now();
      slot.restarts = slot.restarts.filter((t) => now - t < 60_000);
      slot.restarts.push(now);
      const delay = slot.restarts.length > 3 ? 1000 * Math.min(30, slot.restarts.length) : 0;
      this.opts.logger.error({ worker: slot.id, code, signal, restart_in_ms: delay }, 'gateway worker died; replacing it');
      setTimeout(() => {
        if (this.stopping) return;
        this.spawn(slot).catch((err) => this.opts.logger.error({ worker: slot.id, err }, 'replacement worker failed to start'));
      }, delay).unref();
    });
  }

  private revoke(worker: Worker, id: number, token: Parameters<AuthServerControl['revokeToken']>[0]): void {
    const control = this.opts.authControl;
    if (!control) return this.send(worker, { type: 'portcullis:revoked', id, ok: false, error: 'no store on this node' });
    control.revokeToken(token).then(
      () => this.send(worker, { type: 'portcullis:revoked', id, ok: true }),
      (err: unknown) => this.send(worker, { type: 'portcullis:revoked', id, ok: false, error: (err as Error).message }),
    );
  }

  private send(worker: Worker, m: ToWorker): void {
    if (worker.isConnected()) worker.send(m);
  }

  private live(): { slot: WorkerSlot; worker: Worker }[] {
    return this.slots.filter((s) => s.worker?.isConnected() && s.version !== undefined).map((s) => ({ slot: s, worker: s.worker! }));
  }

  async apply(config: Config): Promise<string> {
    const previous = this.config;
    // Workers starting from now on get the new config at once.
    this.config = config;
    let version: string;
    try {
      version = await this.applyTo(this.live(), config);
    } catch (err) {
      this.config = previous;
      throw err;
    }
    this.version = version;
    this.concurrency.dropIdle();
    return version;
  }

  private async applyTo(targets: { slot: WorkerSlot; worker: Worker }[], config: Config): Promise<string> {
    const seq = ++this.seq;
    const results = await Promise.all(targets.map(({ slot, worker }) => new Promise<FromWorker>((resolve) => {
      const timer = setTimeout(() => { worker.off('message', onMessage); resolve({ type: 'portcullis:apply-failed', seq, message: 'worker did not answer' }); }, 10_000);
      const onMessage = (m: unknown) => {
        if (!isFromWorker(m) || !('seq' in m) || m.seq !== seq) return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        if (m.type === 'portcullis:applied') slot.version = m.version;
        resolve(m);
      };
      worker.on('message', onMessage);
      this.send(worker, { type: 'portcullis:apply', seq, config });
    })));
    const failed = results.find((r) => r.type === 'portcullis:apply-failed');
    // Workers compile the same config deterministically, so a failure is all-or-nothing;
    // replacements started from now on get the new config either way.
    if (failed && failed.type === 'portcullis:apply-failed') throw new Error(failed.message);
    return results[0] && results[0].type === 'portcullis:applied' ? results[0].version : (this.version ?? '');
  }

  versions(): string[] {
    return this.slots.map((s) => s.version ?? 'starting');
  }

  metrics(): Promise<string> {
    return this.aggregator.clusterMetrics();
  }

  /** Asks every live worker for its breakers; a worker that does not answer in 2 s is left out. */
  breakers(): Promise<WorkerBreakers[]> {
    const id = ++this.breakerQueries;
    return Promise.all(this.live().map(({ slot, worker }) => new Promise<WorkerBreakers | undefined>((resolve) => {
      const timer = setTimeout(() => { worker.off('message', onMessage); resolve(undefined); }, 2000);
      const onMessage = (m: unknown) => {
        if (!isFromWorker(m) || m.type !== 'portcullis:breaker-report' || m.id !== id) return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve({ worker: slot.id, breakers: m.breakers });
      };
      worker.on('message', onMessage);
      this.send(worker, { type: 'portcullis:breakers', id });
    }))).then((all) => all.filter((w): w is WorkerBreakers => w !== undefined));
  }

  setTargetHealth(key: string, healthy: boolean): void {
    for (const { worker } of this.live()) this.send(worker, { type: 'portcullis:health', key, healthy });
  }

  /** Broadcasts a purge to every live worker and sums what they removed (a worker that does not answer within 5 s counts 0). */
  async purgeCache(request: PurgeRequest): Promise<number> {
    const id = ++this.purges;
    const counts = await Promise.all(this.live().map(({ worker }) => new Promise<number>((resolve) => {
      const timer = setTimeout(() => { worker.off('message', onMessage); resolve(0); }, 5000);
      const onMessage = (m: unknown) => {
        if (!isFromWorker(m) || m.type !== 'portcullis:cache-purged' || m.id !== id) return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(m.removed);
      };
      worker.on('message', onMessage);
      this.send(worker, { type: 'portcullis:cache-purge', id, request });
    })));
    return counts.reduce((a, b) => a + b, 0);
  }

  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const workers = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + 3000);
      worker.once('exit', () => { clearTimeout(kill); resolve(); });
      this.send(worker, { type: 'portcullis:drain', timeoutMs });
    })));
  }
}
