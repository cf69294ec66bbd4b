// The worker ↔ supervisor counting channel, both real sides wired back to back (the IPC pipe
// replaced by a function call on the next turn): batching, node-wide exactness, failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerCounts, SupervisorCounters, type CountMessage } from './counter-channel.ts';

function wired(opts: { drop?: boolean; refuse?: boolean } = {}) {
  const messages: CountMessage[] = [];
  const make = () => {
    const w: SupervisorCounters = new SupervisorCounters((m) => {
      if (opts.refuse) return false;
      messages.push(m);
      if (!opts.drop) setImmediate(async () => w.receive(await answerCounts(m, Date.now())));
      return true;
    }, { timeoutMs: 200 });
    return w;
  };
  return { messages, make };
}

test('requests of one turn travel in one message, and two workers share the node’s count', async () => {
  const ch = wired();
  const a = ch.make();
  const b = ch.make();
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 7 }];
  const results = await Promise.all([...Array.from({ length: 6 }, () => a.hit(key, windows)), ...Array.from({ length: 6 }, () => b.hit(key, windows))]);
  assert.equal(results.filter((r) => r.allowed).length, 7, 'exact across both workers');
  assert.equal(ch.messages.length, 2, 'one message per worker for the whole turn');
  assert.deepEqual(ch.messages.map((m) => m.batch.length), [6, 6]);
});

test('a supervisor that is gone or silent fails the count (the plugin’s fail policy decides)', async () => {
  const refused = wired({ refuse: true }).make();
  await assert.rejects(refused.hit('k', [{ seconds: 60, limit: 1 }]), /not reachable/);
  const silent = wired({ drop: true }).make();
  await assert.rejects(silent.hit('k', [{ seconds: 60, limit: 1 }]), /did not answer in time/);
});

test('quota asks without a quota counter on the node are answered with an error, not left hanging', async () => {
  const w = wired().make();
  await assert.rejects(w.consume({ subject: 's', period: 'day', timeZone: 'UTC', limit: 1, consumer: 'c', plan: undefined }), /not counted on this node|quota/);
});
