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

test('weights travel to the supervisor (rate and quota); a hostile weight counts as 1', async () => {
  const { installLocalCounters, localQuotaCounter } = await import('../store/counters/local.ts');
  const { QuotaLedger } = await import('../store/quota/ledger.ts');
  const before = localQuotaCounter();
  installLocalCounters({ quota: new QuotaLedger({ logger: { info: () => undefined, warn: () => undefined } }) });
  try {
    const ch = wired();
    const w = ch.make();
    const key = `k-${Math.random()}`;
    const windows = [{ seconds: 3600, limit: 10 }];
    assert.equal((await w.hit(key, windows, Date.now(), 8)).windows[0]!.remaining, 2);
    assert.equal((await w.hit(key, windows, Date.now(), 3)).allowed, false);
    assert.equal(ch.messages.at(-1)!.batch[0]!.weight, 3);
    const ask = { subject: `s-${Math.random()}`, period: 'day' as const, timeZone: 'UTC', limit: 10, consumer: 'c', plan: undefined };
    assert.deepEqual([(await w.consume(ask, Date.now(), 9)).used, (await w.consume(ask, Date.now(), 2)).allowed], [9, false]);
    const forged = await answerCounts({ type: 'portcullis:count', batch: [{ id: 1, op: 'rate', key: `f-${Math.random()}`, windows, weight: -5 }] }, Date.now());
    assert.equal(('rate' in forged.results[0]! && forged.results[0].rate.windows[0]!.remaining), 9);
  } finally {
    installLocalCounters({ quota: before });
  }
});
