// Postgres: the connection pool, and the change feed that makes a write on one node reach every
// other node at once: each write NOTIFYs the new revision in its transaction; every node LISTENs
// on a dedicated connection (cache purges travel the same way, store/cache/purge-notice.ts). A slow revision poll backs it up (a notification sent while a
// listener was reconnecting is otherwise missed) and tells whether the database is reachable.
import { Client, Pool } from 'pg';
import { RevisionFeed } from '../feed-base.ts';
import { CONFIG_CHANNEL } from '../session.ts';
import { WEBHOOK_CHANNEL } from '../webhooks/log.ts';
import { CACHE_PURGE_CHANNEL, decodeCachePurgeNotice } from '../cache/purge-notice.ts';

export function openPostgresPool(connectionString: string): Pool {
  const pool = new Pool({ connectionString, max: 10, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000, query_timeout: 15_000, application_name: 'portcullis' });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => undefined);
  // So does a checked-out client whose connection dies between two queries of a transaction
  // (pg-pool listens only while a client is idle): the error reaches the next query instead, and
  // the pool discards the client when it is released.
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  return pool;
}

export class PostgresChangeFeed extends RevisionFeed {
  readonly #connectionString: string;
  readonly #readRevision: () => Promise<number>;
  readonly #pollMs: number;
  #client: Client | undefined;
  #stopped = false;
  #retryMs = 250;
  #timer: NodeJS.Timeout | undefined;
  #poller: NodeJS.Timeout | undefined;

  constructor(connectionString: string, readRevision: () => Promise<number>, pollMs = 5000) {
    super();
    this.#connectionString = connectionString;
    this.#readRevision = readRevision;
    this.#pollMs = pollMs;
  }

  async start(): Promise<void> {
    await this.#connect();
    this.#poller = setInterval(() => void this.#poll(), this.#pollMs);
    this.#poller.unref();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new Client({ connectionString: this.#connectionString, connectionTimeoutMillis: 3000, application_name: 'portcullis-listener' });
    client.on('notification', (msg) => {
      const revision = Number(msg.payload);
      if (msg.channel === CONFIG_CHANNEL && Number.isFinite(revision)) this.announce(revision);
      if (msg.channel === WEBHOOK_CHANNEL) this.announceWebhooksDue();
      if (msg.channel === CACHE_PURGE_CHANNEL) {
        const notice = decodeCachePurgeNotice(msg.payload);
        if (notice !== undefined) this.announceCachePurge(notice);
      }
    });
    const lost = (err?: Error) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.setHealth(false, err?.message ?? 'connection closed');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CONFIG_CHANNEL}`);
      await client.query(`LISTEN ${WEBHOOK_CHANNEL}`);
      await client.query(`LISTEN ${CACHE_PURGE_CHANNEL}`);
      this.#client = client;
      this.#retryMs = 250;
      this.setHealth(true);
      // Whatever was announced while we were away: compare with the current revision now.
      const seen = this.announcements;
      this.announce(await this.#readRevision(), seen);
    } catch (err) {
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      this.setHealth(false, (err as Error).message);
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, 5000);
    this.#timer = setTimeout(() => { this.#timer = undefined; void this.#connect(); }, wait);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      const seen = this.announcements;
      this.announce(await this.#readRevision(), seen);
      if (this.#client) this.setHealth(true);
    } catch (err) {
      this.setHealth(false, (err as Error).message);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#poller);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
