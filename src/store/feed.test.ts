// Change feeds follow the database's revision wherever it goes: forward as writes commit, and back
// when the database is restored from an older backup; a stale read never undoes a newer write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openStore } from './open.ts';
import { RevisionFeed } from './feed-base.ts';

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a revision that goes back (backup restored) is announced, and the next write after it too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-feed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.db');
  const store = await openStore(`sqlite:${file}`, { pollMs: 20 });
  t.after(() => store.close());
  const seen: number[] = [];
  store.feed.onChange((r) => seen.push(r));
  for (let i = 0; i < 3; i++) await store.write(async () => undefined, { bump: true });
  await until(() => seen.at(-1) === 3);
  // "Restore": another connection puts the revision back, as an older backup would.
  const raw = new DatabaseSync(file);
  raw.exec('UPDATE config_state SET revision = 1 WHERE id = 1');
  raw.close();
  await until(() => seen.at(-1) === 1);
  await store.write(async () => undefined, { bump: true });
  await until(() => seen.at(-1) === 2);
  assert.deepEqual(seen.slice(-3), [3, 1, 2], 'forward to 3, back to 1 with the restore, forward again');
});

class ManualFeed extends RevisionFeed {
  read(revision: number, seen: number): void { this.announce(revision, seen); }
  notify(revision: number): void { this.announce(revision); }
  get mark(): number { return this.announcements; }
  async stop(): Promise<void> { /* nothing to stop */ }
}

test('a lower revision read before a newer announcement is stale and ignored; read after it, it is followed', () => {
  const feed = new ManualFeed();
  const seen: number[] = [];
  feed.onChange((r) => seen.push(r));
  feed.notify(4);
  const before = feed.mark; // a poll starts reading…
  feed.committed(5); // …a write of this process commits meanwhile…
  feed.read(4, before); // …and the poll's older answer arrives: ignored
  assert.deepEqual(seen, [4, 5]);
  feed.notify(3); // a notification never moves the revision back
  assert.deepEqual(seen, [4, 5]);
  feed.read(3, feed.mark); // a fresh read that finds it lower: a restore
  assert.deepEqual(seen, [4, 5, 3]);
  feed.read(3, feed.mark);
  assert.deepEqual(seen, [4, 5, 3], 'the same revision is announced once');
});
