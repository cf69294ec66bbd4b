// Redis for integration and conformance tests. PORTCULLIS_TEST_REDIS names a server
// (e.g. redis://127.0.0.1:6390); tests that need it skip locally without it and fail on CI.
import { randomBytes } from 'node:crypto';
import { onCi } from './postgres.ts';

export const REDIS_ENV = 'PORTCULLIS_TEST_REDIS';

/** The server URL from PORTCULLIS_TEST_REDIS, or undefined when it is not set. */
export function redisUrl(): string | undefined {
  const url = process.env[REDIS_ENV]?.trim();
  return url ? url : undefined;
}

/** A key prefix of its own per test run, so runs sharing one server never see each other's keys. */
export function testKeyPrefix(): string {
  return `pt-${randomBytes(6).toString('hex')}:`;
}

/** How a test that needs Redis behaves without it: skip locally, fail on CI. */
export function redisMissing(): { skip: string } | { fail: string } {
  return onCi() ? { fail: `${REDIS_ENV} is not set: CI must run the Redis tests` } : { skip: `${REDIS_ENV} is not set (e.g. redis://127.0.0.1:6379): Redis not tested` };
}

/** Waits until a shared connection is up (it refuses commands while connecting, by design). */
export async function whenReady(conn: { client(): { status: string; once(event: 'ready', fn: () => void): unknown } }): Promise<void> {
  const c = conn.client();
  if (c.status === 'ready') return;
  await new Promise<void>((resolve) => c.once('ready', resolve));
}
