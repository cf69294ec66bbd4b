// The worker ↔ supervisor counting channel, both real sides wired back to back (the IPC pipe
// replaced by a function call on the next turn): batching, node-wide exactness, failures, and the
// rate-limit leases a worker is lent on a key it keeps counting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerCounts, SupervisorCounters, type CountedMessage, type CountMessage, type LeaseReturnMessage } from './counter-channel.ts';
import { RateLeases } from './rate-leases.ts';
import { LeaseBook } from './lease-book.ts';
import { QuotaLeases } from './quota-leases.ts';
import { MemoryRateCounter } from '../store/counters/memory.ts';
import type { QuotaDecision, RateDecision, RateWindow } from '../store/counters/ports.ts';

/** Workers wired to one supervisor; with `leases`, the supervisor lends leases from its own counter. */
function wired(opts: { drop?: boolean; refuse?: boolean; leases?: boolean } = {}) {
  const messages: CountMessage[] = [];
  const workers: SupervisorCounters[] = [];
  const returned = { n: 0 };
  const counter = new MemoryRateCounter();
  const leases = new LeaseBook({
    workers: () => workers.length,
    recall: (id, ids) => { setImmediate(() => workers[id]!.recall({ type: 'portcullis:lease-recall', ids })); return true; },
    recallTimeoutMs: 300,
  });
  const rate = new RateLeases(counter, leases);
  const quota = new QuotaLeases(leases);
  const make = () => {
    const id = workers.length;
    const w: SupervisorCounters = new SupervisorCounters((m) => {
      if (opts.refuse) return false;
      if (m.type === 'portcullis:lease-return') {
        returned.n += m.returns.length;
        setImmediate(() => { for (const r of m.returns) leases.returned(id, r); });
        return true;
      }
      messages.push(m);
      // Answers and recalls reach the worker in the order they are sent, a turn later (as over IPC).
      if (!opts.drop) setImmediate(() => answerCounts(m, Date.now(), (a) => setImmediate(() => w.receive(a)), opts.leases ? { worker: id, book: leases, rate, quota } : undefined));
      return true;
    }, { timeoutMs: 200 });
    workers.push(w);
    return w;
  };
  return { messages, make, leases, counter, returned };
}

/** `n` requests on one worker, `perTurn` at a time (as one event-loop turn of a busy worker counts them). */
async function counts(w: SupervisorCounters, key: string, windows: readonly RateWindow[], n: number, perTurn = 5): Promise<RateDecision[]> {
  const out: RateDecision[] = [];
  while (out.length < n) out.push(...await Promise.all(Array.from({ length: Math.min(perTurn, n - out.length) }, () => w.hit(key, windows, Date.now()))));
  return out;
}

const allowed = (ds: RateDecision[]) => ds.filter((d) => d.allowed).length;

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
  await assert.rejects(async () => refused.hit('k', [{ seconds: 60, limit: 1 }]), /not reachable/);
  const silent = wired({ drop: true }).make();
  await assert.rejects(async () => silent.hit('k', [{ seconds: 60, limit: 1 }]), /did not answer in time/);
});

test('quota asks without a quota counter on the node are answered with an error, not left hanging', async () => {
  const w = wired().make();
  await assert.rejects(async () => w.consume({ subject: 's', period: 'day', timeZone: 'UTC', limit: 1, consumer: 'c', plan: undefined }), /not counted on this node|quota/);
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
    const forged = await new Promise<CountedMessage>((resolve) => answerCounts({ type: 'portcullis:count', batch: [{ id: 1, op: 'rate', key: `f-${Math.random()}`, windows, weight: -5 }] }, Date.now(), resolve));
    assert.equal(('rate' in forged.results[0]! && forged.results[0].rate.windows[0]!.remaining), 9);
  } finally {
    installLocalCounters({ quota: before });
  }
});

test('a worker that keeps counting a key is lent a lease: it decides by itself, and the node stays exact', async () => {
  const ch = wired({ leases: true });
  const [a, b] = [ch.make(), ch.make()];
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 1000 }];
  const [ra, rb] = await Promise.all([counts(a, key, windows, 700), counts(b, key, windows, 700)]);
  assert.equal(allowed(ra) + allowed(rb), 1000, 'exactly the limit across both workers');
  // Refusals are always asked (400 here); of the 1,000 admissions, most come from leases.
  const asked = ch.messages.reduce((n, m) => n + m.batch.length, 0);
  assert.ok(asked - 400 < 200, `most admissions came from leases (${asked} counts asked for, 400 of them refused)`);
  assert.ok(allowed(ra) > 0 && allowed(rb) > 0);
  // Refusals waited for every lease to come back: none is out, and the count is the limit.
  assert.equal(ch.leases.outstanding, 0);
  assert.equal(ch.counter.hit(key, windows, Date.now()).allowed, false);
  // Decisions from a lease carry RateLimit figures that fall as it is used.
  const leased = ra.filter((d) => d.allowed).map((d) => d.windows[0]!.remaining);
  assert.ok(leased.every((r) => r >= 0 && r < 1000));
  assert.ok(leased.at(-1)! < leased[0]!);
});

test('a request that does not fit waits for the other workers’ unused units, then gets them', async () => {
  const ch = wired({ leases: true });
  const [a, b] = [ch.make(), ch.make()];
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 100 }];
  // A counts a few in quick turns and is lent a lease it then stops using.
  await counts(a, key, windows, 6, 3);
  assert.equal(a.leasesHeld, 1, 'A holds a lease');
  assert.ok(ch.leases.outstanding === 1);
  // B takes everything else: its refusals only come once A's lease is back, so B gets all 94.
  const rb = await counts(b, key, windows, 150, 10);
  assert.equal(allowed(rb), 94);
  assert.equal(a.leasesHeld, 0, 'A gave its lease back when recalled');
  assert.equal(ch.leases.outstanding, 0);
});

/**
 * Two workers, worker A holding a lease on a fresh key after 30 counts in turns of 10 (the first
 * turn lends a lease of 2, sized by the one count before it; leases grow and are renewed from there).
 */
async function holdingLease() {
  const ch = wired({ leases: true });
  const a = ch.make();
  ch.make();
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 1000 }];
  await counts(a, key, windows, 30, 10);
  return { ch, a, key, windows };
}

test('an expired lease goes back by itself, and what it did not use is counted no more', async () => {
  const { ch, a, key, windows } = await holdingLease();
  assert.equal(a.leasesHeld, 1);
  await new Promise((r) => setTimeout(r, 20)); // a renewal on its way is in
  const unused = a.unusedUnits;
  assert.ok(unused > 0);
  // The supervisor counted the lease's units already.
  const during = ch.counter.hit(key, windows, Date.now()).windows[0]!.remaining;
  assert.equal(during, 1000 - 30 - unused - 1, `the lease's ${unused} unused units are counted`);
  // Leases last at most a second; the worker's sweep returns it.
  const deadline = Date.now() + 3000;
  while (ch.leases.outstanding > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(ch.leases.outstanding, 0);
  assert.equal(a.leasesHeld, 0);
  // 30 counted by A and 1 by this test's own hit above; the next leaves 968.
  assert.equal(ch.counter.hit(key, windows, Date.now()).windows[0]!.remaining, 1000 - 30 - 1 - 1);
});

test('a lease serves only the windows it was lent for (a reload makes new ones), and weights it cannot cover are asked', async () => {
  const { ch, a, key, windows } = await holdingLease();
  const before = ch.messages.length;
  assert.equal((a.hit(key, windows, Date.now()) as RateDecision).allowed, true, 'answered from the lease, at once');
  assert.equal(ch.messages.length, before);
  const reloaded = [{ seconds: 3600, limit: 1000 }];
  assert.ok(a.hit(key, reloaded, Date.now()) instanceof Promise, 'other windows: asked');
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(a.hit(key, reloaded, Date.now(), 10_000) instanceof Promise, 'a weight beyond the lease: asked');
});

test('a worker that dies with a lease: its units stay counted, and nothing waits for it', async () => {
  const counter = new MemoryRateCounter();
  const sent: number[][] = [];
  const book = new LeaseBook({ workers: () => 2, recall: (_w, ids) => { sent.push(ids); return true; }, recallTimeoutMs: 60_000 });
  const leases = new RateLeases(counter, book);
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 10 }];
  const first = leases.count(1, key, windows, Date.now(), 1, 100);
  assert.ok(!(first instanceof Promise) && first.lease !== undefined && first.lease.units === 2, 'room 9 among 2 workers: a lease of 2');
  for (let i = 0; i < 7; i++) assert.equal((leases.count(2, key, windows, Date.now(), 1, 0) as { decision: RateDecision }).decision.allowed, true);
  const refused = leases.count(2, key, windows, Date.now(), 1, 0);
  assert.ok(refused instanceof Promise, 'full, with a lease out: waits for it');
  await Promise.resolve(); // the recall goes out a microtask later
  assert.deepEqual(sent, [[first.lease.id]]);
  book.workerGone(1);
  assert.equal((await refused).decision.allowed, false, 'the dead worker’s units stay counted');
  assert.equal(book.outstanding, 0);
});

test('refunds come off the interval they were counted in, also once it has become the previous one', () => {
  const counter = new MemoryRateCounter();
  const windowMs = 60_000;
  const t0 = Math.floor(Date.now() / windowMs) * windowMs;
  const windows = [{ seconds: 60, limit: 100 }];
  counter.reserve('k', windows, t0 + 1000, 40);
  counter.refund('k', [{ windowMs, interval: t0 / windowMs }], 30);
  assert.equal(counter.hit('k', windows, t0 + 2000).windows[0]!.remaining, 89, '10 kept + this one');
  counter.reserve('k', windows, t0 + 3000, 20);
  // The next interval (its first hit rolls the counts): the 31 counted (10 + 1 + 20) are the previous
  // interval's now, and the 20 come back from there.
  assert.equal(counter.hit('k', windows, t0 + windowMs).windows[0]!.remaining, 100 - 31 - 1);
  counter.refund('k', [{ windowMs, interval: t0 / windowMs }], 20);
  const next = counter.hit('k', windows, t0 + windowMs + 1);
  assert.equal(next.windows[0]!.remaining, 100 - 11 - 1 - 1, 'previous (11), this interval’s first and this one');
});

test('a recall right behind the answer that lent the lease finds it (held on receipt, not a tick later)', async () => {
  const sent: Array<CountMessage | { type: 'portcullis:lease-return'; returns: readonly { id: number; unused: number }[] }> = [];
  const w = new SupervisorCounters((m) => { sent.push(m); return true; });
  const windows = [{ seconds: 3600, limit: 1000 }];
  const decided = w.hit('k', windows, Date.now());
  await new Promise((r) => setImmediate(r));
  const ask = (sent[0] as CountMessage).batch[0]!;
  const rate = { allowed: true, windows: [{ limit: 1000, remaining: 900, resetSeconds: 60 }], retryAfter: 0 };
  // Both arrive in one read of the channel: handled one after the other, with no turn in between.
  w.receive({ type: 'portcullis:counted', results: [{ id: ask.id, rate, lease: { id: 7, units: 50, until: Date.now() + 1000, remaining: [900] } }] });
  w.recall({ type: 'portcullis:lease-recall', ids: [7] });
  assert.deepEqual(sent.at(-1), { type: 'portcullis:lease-return', returns: [{ id: 7, unused: 50 }] }, 'all 50 units go back');
  assert.equal((await decided).allowed, true);
  assert.equal(w.leasesHeld, 0);
});

test('a lease ends with the first of its windows’ intervals: its units are used in the interval they were counted in', async () => {
  const leases = new RateLeases(new MemoryRateCounter(), new LeaseBook({ workers: () => 2, recall: () => true }));
  const windows = [{ seconds: 1, limit: 1000 }, { seconds: 60, limit: 100_000 }];
  const boundary = (Math.floor(Date.now() / 1000) + 5) * 1000;
  const near = leases.count(1, 'k', windows, boundary - 10, 1, 100);
  assert.ok(!(near instanceof Promise) && near.lease !== undefined);
  assert.equal(near.lease.until, boundary, 'ends where the second ends, not a second later');
  const early = leases.count(2, 'k2', windows, boundary - 990, 1, 100);
  assert.ok(!(early instanceof Promise) && early.lease !== undefined && early.lease.until === boundary);
  // The worker does not use a lease at or past its end: that request is asked, and the lease goes back.
  const sent: CountMessage[] = [];
  const w = new SupervisorCounters((m) => { if (m.type === 'portcullis:count') sent.push(m); return true; });
  const asked = w.hit('k', windows, boundary - 20);
  await new Promise((r) => setImmediate(r));
  const rate = { allowed: true, windows: [{ limit: 1000, remaining: 900, resetSeconds: 1 }, { limit: 100_000, remaining: 99_000, resetSeconds: 60 }], retryAfter: 0 };
  w.receive({ type: 'portcullis:counted', results: [{ id: sent[0]!.batch[0]!.id, rate, lease: { id: 1, units: 50, until: boundary, remaining: [900, 99_000] } }] });
  await asked;
  assert.equal((w.hit('k', windows, boundary - 1) as RateDecision).allowed, true, 'from the lease, just before its end');
  assert.ok(w.hit('k', windows, boundary) instanceof Promise, 'asked at its end');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((sent.at(-1)!.batch[0] as { ret?: unknown }).ret, { id: 1, unused: 49 }, 'with the 49 units it did not use');
});

/** Runs `body` with a QuotaLedger (memory only) as this process's quota counter, as the supervisor has. */
async function withLedger(body: (ledger: import('../store/quota/ledger.ts').QuotaLedger) => Promise<void>): Promise<void> {
  const { installLocalCounters, localQuotaCounter } = await import('../store/counters/local.ts');
  const { QuotaLedger } = await import('../store/quota/ledger.ts');
  const before = localQuotaCounter();
  const ledger = new QuotaLedger({ logger: { info: () => undefined, warn: () => undefined } });
  installLocalCounters({ quota: ledger });
  try {
    await body(ledger);
  } finally {
    installLocalCounters({ quota: before });
  }
}

const quotaAsk = (limit: number) => ({ subject: `s-${Math.random()}`, period: 'month' as const, timeZone: 'UTC', limit, consumer: 'c', plan: 'gold' });

test('quota leases: two workers consuming one subject stay exact, most requests decided by the workers themselves', () => withLedger(async (ledger) => {
  const ch = wired({ leases: true });
  const [a, b] = [ch.make(), ch.make()];
  const ask = quotaAsk(2000);
  const run = async (w: SupervisorCounters) => {
    const out: QuotaDecision[] = [];
    while (out.length < 1500) out.push(...await Promise.all(Array.from({ length: 10 }, () => w.consume(ask, Date.now()))));
    return out;
  };
  const [ra, rb] = await Promise.all([run(a), run(b)]);
  assert.equal([...ra, ...rb].filter((d) => d.allowed).length, 2000, 'exactly the allowance across both workers');
  const asked = ch.messages.reduce((n, m) => n + m.batch.length, 0);
  assert.ok(asked - 1000 < 600, `most of the 2,000 admissions came from leases (${asked} asked, 1,000 of them refused)`);
  assert.equal(ch.leases.outstanding, 0, 'every lease came back before the refusals');
  assert.equal((ledger.consume(ask, Date.now()) as QuotaDecision).used, 2000, 'the ledger holds exactly what was used');
  const used = ra.filter((d) => d.allowed).map((d) => d.used);
  assert.ok(used.every((u) => u >= 1 && u <= 2000));
}));

test('quota leases stop short of the next event threshold, and unused units come off the ledger', () => withLedger(async (ledger) => {
  const book = new LeaseBook({ workers: () => 2, recall: () => true });
  const leases = new QuotaLeases(book);
  const ask = quotaAsk(1000);
  ledger.consume(ask, Date.now(), 689);
  // Used 690 after this request: the 80 % event is at 800, so at most (800 − 1 − 690) / 4 = 27 units.
  const c = leases.consume(ledger, 1, ask, Date.now(), 1, 50);
  assert.ok(!(c instanceof Promise) && c.lease !== undefined);
  assert.equal(c.decision.used, 690);
  assert.equal(c.lease.units, 27);
  assert.equal((ledger.consume(ask, Date.now(), 0) as QuotaDecision).used, 717, 'the lease is consumed in the ledger');
  book.returned(1, { id: c.lease.id, unused: 20 });
  assert.equal((ledger.consume(ask, Date.now(), 0) as QuotaDecision).used, 697, 'and its unused units taken off when it comes back');
  // Just below a threshold, and at the end of the allowance, nothing is lent.
  ledger.consume(ask, Date.now(), 800 - 697 - 3);
  const near = leases.consume(ledger, 1, ask, Date.now(), 1, 50);
  assert.ok(!(near instanceof Promise) && near.decision.used === 798 && near.lease === undefined);
  ledger.consume(ask, Date.now(), 1000 - 798 - 2);
  const last = leases.consume(ledger, 1, ask, Date.now(), 1, 50);
  assert.ok(!(last instanceof Promise) && last.decision.allowed && last.lease === undefined);
}));

test('quota leases: a request that does not fit waits for the other worker’s unused units, then gets them', () => withLedger(async () => {
  const ch = wired({ leases: true });
  const [a, b] = [ch.make(), ch.make()];
  const ask = quotaAsk(200);
  // A consumes a few in quick turns and is lent a lease it then stops using.
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 4 }, () => a.consume(ask, Date.now())));
  assert.equal(a.leasesHeld, 1, 'A holds a lease');
  const taken = (await Promise.all(Array.from({ length: 300 }, () => b.consume(ask, Date.now())))).filter((d) => d.allowed).length;
  assert.equal(taken, 200 - 12, 'B gets everything A did not use');
  assert.equal(a.leasesHeld, 0, 'A gave its lease back when recalled');
}));

/** Turns of the event loop: what the wired supervisor sends arrives within three. */
const turns = async (n = 3) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

test('a busy worker renews its lease when half is used: it never waits for the supervisor again, and the count stays exact', async () => {
  const ch = wired({ leases: true });
  const a = ch.make();
  ch.make();
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 1_000_000 }];
  // Turns of 50 requests, the loop turning between them (so answers come in as over IPC).
  let waited = 0;
  let waitedLate = 0;
  for (let turn = 0; turn < 100; turn++) {
    const results = Array.from({ length: 50 }, () => a.hit(key, windows, Date.now()));
    const asked = results.filter((r) => r instanceof Promise).length;
    waited += asked;
    if (turn >= 10) waitedLate += asked;
    await Promise.all(results);
    await turns();
  }
  // The first turns ask while the lease grows to its full size; after that, renewals keep it topped up.
  assert.equal(waitedLate, 0, `no request waited once the lease was renewed ahead (${waited} waited in the first turns)`);
  const renewals = ch.messages.flatMap((m) => m.batch).filter((r) => r.renew !== undefined).length;
  assert.ok(renewals >= 5, `renewed ${renewals} times`);
  await turns();
  // Exact: the supervisor counted the 5,000 requests plus what the worker holds unused.
  assert.equal(ch.counter.hit(key, windows, Date.now(), 0).windows[0]!.remaining, 1_000_000 - 5000 - a.unusedUnits);
});

/** One worker whose messages reach the supervisor only when the test delivers them, in order. */
function byHand() {
  const counter = new MemoryRateCounter();
  const recalls: number[][] = [];
  const book = new LeaseBook({ workers: () => 2, recall: (_w, ids) => { recalls.push(ids); return true; } });
  const source = { worker: 0, book, rate: new RateLeases(counter, book), quota: new QuotaLeases(book) };
  const inbox: (CountMessage | LeaseReturnMessage)[] = [];
  const w = new SupervisorCounters((m) => { inbox.push(m); return true; });
  /** The supervisor handles what the worker sent so far, at `nowMs`; its answers reach the worker at once. */
  const deliver = (nowMs: number) => {
    for (const m of inbox.splice(0)) {
      if (m.type === 'portcullis:count') answerCounts(m, nowMs, (answer) => w.receive(answer), source);
      else for (const r of m.returns) book.returned(0, r);
    }
  };
  return { w, counter, book, inbox, deliver, recalls };
}

test('a lease that ends while its renewal is on its way goes back only after the answer, with the renewed units', async () => {
  const { w, counter, book, inbox, deliver } = byHand();
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 100_000 }];
  // Lent 990 ms ago (so it ends 10 ms from now): 50 counts in one turn; the second is lent 2 units.
  const t0 = Date.now() - 990;
  const first = Array.from({ length: 50 }, () => w.hit(key, windows, t0));
  await turns(1);
  deliver(t0);
  await Promise.all(first);
  assert.equal(w.leasesHeld, 1);
  // One unit used: half of the lease, so a renewal is asked for; the supervisor does not see it yet.
  assert.equal((w.hit(key, windows, t0 + 1) as RateDecision).allowed, true);
  await turns(1);
  assert.equal(inbox.length, 1);
  // The lease ends, and the worker's sweep (every 250 ms) passes: it must not give back the lease
  // now, as the supervisor, reading in order, would renew it first and then lose the new units.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(inbox.length, 1, 'nothing given back while the renewal is out');
  deliver(t0 + 2); // renewed: more units counted on the lease
  assert.equal(w.leasesHeld, 0, 'given back as soon as the answer came, the lease having ended');
  deliver(Date.now());
  assert.equal(book.outstanding, 0);
  // The 51 requests stay counted, and nothing else.
  assert.equal(counter.hit(key, windows, t0 + 3, 0).windows[0]!.remaining, 100_000 - 51);
});

test('renewals lend only onto the asking worker’s own lease while it lasts, never during a recall, never waiting', () => {
  const counter = new MemoryRateCounter();
  const book = new LeaseBook({ workers: () => 2, recall: () => true, recallTimeoutMs: 60_000 });
  const leases = new RateLeases(counter, book);
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 100 }];
  const now = Date.now();
  const lent = leases.count(1, key, windows, now, 1, 10);
  assert.ok(!(lent instanceof Promise) && lent.lease !== undefined);
  const id = lent.lease.id;
  assert.equal(lent.lease.units, 20, 'twice the 10 counted lately');
  assert.equal(leases.renew(2, key, windows, now, id, 10, 0).lease, undefined, 'not another worker’s lease');
  assert.equal(leases.renew(1, key, windows, lent.lease.until, id, 10, 0).lease, undefined, 'not once it has ended');
  // Half a second on, with 15 of the 20 left: topped up to what a new lease would be, and made to
  // last a second from now (the hour's interval goes on).
  const renewed = leases.renew(1, key, windows, now + 500, id, 10, 15);
  assert.equal(renewed.lease?.id, id);
  assert.equal(renewed.lease.units, 19 - 15, 'room 79 among 2 workers, halved: 19, less the 15 held');
  assert.equal(renewed.lease.until, Math.min(now + 1500, (Math.floor(now / 3_600_000) + 1) * 3_600_000));
  assert.equal(renewed.decision.windows[0]!.remaining, 100 - 1 - 20 - 4, 'no request counted, the units are');
  assert.equal(leases.renew(1, key, windows, now + 600, id, 10, 30).lease?.units, 0, 'holding enough: only made to last');
  // Everything lent on the lease comes back with it.
  book.returned(1, { id, unused: 24 });
  assert.equal(counter.hit(key, windows, now, 0).windows[0]!.remaining, 99);
  // During a recall of the key, nothing is lent onto a lease.
  const again = leases.count(1, key, windows, now, 1, 10);
  assert.ok(!(again instanceof Promise) && again.lease !== undefined);
  void book.recall(`rate\n${key}`);
  assert.equal(leases.renew(1, key, windows, now, again.lease.id, 10, 0).lease, undefined, 'not during a recall');
  book.returned(1, { id: again.lease.id, unused: 20 });
  // A full key lends nothing, at once: no recall, no wait (the worker's next request is counted here).
  const third = leases.count(1, key, windows, now, 1, 10);
  assert.ok(!(third instanceof Promise) && third.lease !== undefined);
  counter.reserve(key, windows, now, 1000);
  const full = leases.renew(1, key, windows, now, third.lease.id, 10, 0);
  assert.ok(full.lease === undefined && !full.decision.allowed);
  assert.equal(book.outstanding, 1, 'nothing recalled');
});

test('quota renewals stop short of the next event threshold, and what they add comes back with the lease', () => withLedger(async (ledger) => {
  const book = new LeaseBook({ workers: () => 2, recall: () => true });
  const leases = new QuotaLeases(book);
  const ask = quotaAsk(1000);
  ledger.consume(ask, Date.now(), 599);
  const now = Date.now();
  const c = leases.consume(ledger, 1, ask, now, 1, 20);
  assert.ok(!(c instanceof Promise) && c.lease !== undefined);
  assert.equal(c.lease.units, 40, 'twice the 20 counted lately');
  // 640 used now (600 + the lease's 40): the 80 % event is at 800, so a renewal lends at most
  // min(40, (800 − 1 − 640) / 4 = 39) units, and counts no request.
  const r = leases.renew(ledger, 1, ask, now, c.lease.id, 20, 0);
  assert.ok(!(r instanceof Promise) && r.lease?.id === c.lease.id);
  assert.equal(r.lease.units, 39);
  assert.equal((ledger.consume(ask, now, 0) as QuotaDecision).used, 679);
  const other = leases.renew(ledger, 2, ask, now, c.lease.id, 20, 0);
  assert.ok(!(other instanceof Promise) && other.lease === undefined, 'not another worker’s lease');
  // Up to everything lent on the lease, the first grant's and the renewal's, comes back.
  book.returned(1, { id: c.lease.id, unused: 79 });
  assert.equal((ledger.consume(ask, now, 0) as QuotaDecision).used, 600);
  // Right below a threshold, a renewal lends nothing (it only makes the lease last).
  const again = leases.consume(ledger, 1, ask, now, 1, 20);
  assert.ok(!(again instanceof Promise) && again.lease !== undefined);
  ledger.consume(ask, now, 798 - 601 - again.lease.units);
  const near = leases.renew(ledger, 1, ask, now, again.lease.id, 20, 0);
  assert.ok(!(near instanceof Promise) && near.lease?.units === 0 && near.decision.used === 798);
  assert.equal((ledger.consume(ask, now, 0) as QuotaDecision).used, 798);
}));

test('a key counted a few times a second (one consumer among many) is lent leases too', async () => {
  const { w, deliver } = byHand();
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 100_000 }];
  const t0 = Date.now() - 1000;
  // Five requests 200 ms apart, each answered before the next: the second is lent a lease (the
  // first was counted within the second before), which decides the next three by itself.
  // Another key counted in between keeps the worker's clock of recent counts turning, as traffic does.
  let atOnce = 0;
  for (let i = 0; i < 5; i++) {
    const r = w.hit(key, windows, t0 + i * 200);
    if (!(r instanceof Promise)) atOnce++;
    const other = w.hit(`other-${i}`, windows, t0 + i * 200 + 100);
    await turns(1);
    deliver(t0 + i * 200);
    await Promise.all([r, other]);
  }
  assert.equal(atOnce, 3);
  assert.equal(w.leasesHeld, 1);
});

test('a lease is renewed only if, at the pace it is used, it would run out before it ends', async () => {
  const { w, inbox, deliver } = byHand();
  const windows = [{ seconds: 3600, limit: 100_000 }];
  /** A lease of 2 units on a fresh key (10 counts in one turn: the second is lent 2), lent now for a second. */
  const leased = async (key: string) => {
    const rs = Array.from({ length: 10 }, () => w.hit(key, windows, Date.now()));
    await turns(1);
    deliver(Date.now());
    await Promise.all(rs);
  };
  const [slow, fast] = [`slow-${Math.random()}`, `fast-${Math.random()}`];
  await leased(slow);
  await leased(fast);
  const now = Date.now();
  // Half used 700 ms into its second: the other half lasts till it ends. No message.
  assert.equal((w.hit(slow, windows, now + 700) as RateDecision).allowed, true);
  await turns(1);
  assert.equal(inbox.length, 0, 'not renewed');
  // Half used 100 ms into its second: it would run dry long before. Renewed.
  assert.equal((w.hit(fast, windows, now + 100) as RateDecision).allowed, true);
  await turns(1);
  assert.equal(inbox.length, 1);
  assert.equal((inbox[0] as CountMessage).batch[0]!.renew !== undefined, true);
});

test('a lease in use on a long window is made to last past its first second: no request waits for a new one', async () => {
  const { w, inbox, deliver } = byHand();
  const key = `k-${Math.random()}`;
  const windows = [{ seconds: 3600, limit: 100_000 }];
  const t0 = Date.now();
  const first = Array.from({ length: 10 }, () => w.hit(key, windows, t0));
  await turns(1);
  deliver(t0);
  await Promise.all(first);
  assert.equal(w.leasesHeld, 1, 'lent for a second');
  // 800 ms on, used again: it ends within 250 ms and the hour goes on, so it asks to last longer.
  assert.equal((w.hit(key, windows, t0 + 800) as RateDecision).allowed, true);
  await turns(1);
  assert.equal(inbox.length, 0, 'not at once: such renewals of many keys share a message');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(inbox.length, 1, 'a renewal');
  deliver(t0 + 800);
  // Past its first second, the worker still decides by itself.
  const later = w.hit(key, windows, t0 + 1500);
  assert.ok(!(later instanceof Promise), 'decided from the lease, made to last');
  assert.equal(later.allowed, true);
});
