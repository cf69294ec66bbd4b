// The concurrency-limit plugin against a real gateway process and a slow real upstream: the cap
// holds at the upstream, the queue admits in order, the overflow gets 503, and slots come back
// when clients give up.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request, type ClientRequest, type ServerResponse } from 'node:http';
import { spawnGateway, waitFor, type GatewayProcess } from './harness/gateway.ts';
import { get, type Reply } from './harness/http-get.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

/** An upstream that holds every request until told to answer; records the most it held at once. */
async function slowUpstream(t: TestContext) {
  const held: ServerResponse[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const up: Upstream = await startUpstream((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => { inFlight--; });
    if (req.url === '/fast') { res.end('fast'); return; }
    held.push(res);
  });
  t.after(() => up.close());
  return {
    up,
    get inFlight() { return inFlight; },
    get maxInFlight() { return maxInFlight; },
    get held() { return held.length; },
    releaseAll() { for (const res of held.splice(0)) if (!res.destroyed) res.end('done'); },
  };
}

async function gateway(t: TestContext, target: string, config: Record<string, unknown>, workers = 1): Promise<GatewayProcess> {
  const gw = await spawnGateway({
    services: [{ name: 's', targets: [{ url: target }] }],
    routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [{ name: 'concurrency-limit', config }] }],
  // Port 0 (chosen by the OS): workers that replace killed ones must listen where they did.
  }, { workers });
  t.after(() => gw.stop());
  return gw;
}

/** A request we can abandon (its socket destroyed, as a client that gives up). */
function abortable(url: string): { req: ClientRequest; done: Promise<number | 'aborted'> } {
  let req!: ClientRequest;
  const done = new Promise<number | 'aborted'>((resolve) => {
    req = request(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', () => resolve('aborted'));
    req.end();
  });
  return { req, done };
}

test('limit 2, queue 2: of 6 concurrent requests 4 succeed, 2 get 503; the upstream never holds more than 2', async (t) => {
  const slow = await slowUpstream(t);
  const gw = await gateway(t, slow.up.url, { limit: 2, queue: 2, queue_timeout_ms: 30_000, retry_after: 2 });
  const replies: Promise<Reply>[] = [];
  const early: number[] = [];
  for (let i = 0; i < 6; i++) replies.push(get(`${gw.url}/slow/${i}`).then((r) => { early.push(r.status); return r; }));
  await waitFor(() => slow.held === 2 && early.length === 2, 5000, 'two requests at the upstream and two refused');
  assert.deepEqual(early, [503, 503], 'beyond limit + queue: refused at once, while the others wait');
  // Answer the upstream's requests until all four admitted ones went through.
  while (slow.up.received.length < 4 || slow.held > 0) {
    slow.releaseAll();
    await new Promise((r) => setTimeout(r, 20));
  }
  const all = await Promise.all(replies);
  const statuses = all.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 503, 503]);
  const rejected = all.filter((r) => r.status === 503);
  for (const r of rejected) {
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.match(JSON.parse(r.body).type as string, /\/concurrency-limit-exceeded$/);
    assert.equal(r.headers['retry-after'], '2');
  }
  assert.equal(slow.up.received.length, 4);
  assert.equal(slow.maxInFlight, 2, 'the upstream never saw more than 2 at once');
  const metrics = (await get(`${gw.adminUrl}/metrics`)).body;
  assert.match(metrics, /^portcullis_concurrency_limit_rejections_total\{scope="route",name="r",reason="queue-full"\} 2$/m);
  assert.match(metrics, /^portcullis_concurrency_limit_in_flight\{scope="route",name="r"\} 0$/m);
  assert.match(metrics, /^portcullis_concurrency_limit_queued\{scope="route",name="r"\} 0$/m);
});

/** The worker processes that answered requests whose path starts with `prefix` (from the access log). */
function answeringWorkers(gw: GatewayProcess, prefix: string): Set<number> {
  const workers = new Set<number>();
  for (const line of gw.output().split('\n')) {
    if (!line.includes('"log":"access"')) continue;
    const entry = JSON.parse(line) as { worker: number; path: string };
    if (entry.path.startsWith(prefix)) workers.add(entry.worker);
  }
  return workers;
}

test('three workers: the cap holds for the node, not per worker; slots of killed workers come back', async (t) => {
  const slow = await slowUpstream(t);
  const gw = await gateway(t, slow.up.url, { limit: 2, queue: 2, queue_timeout_ms: 30_000 }, 3);
  // Each request on its own connection. The kernel picks the worker that accepts each one, and
  // may give a whole burst to one worker: bursts repeat until one was spread over several.
  let spread = 0;
  for (let round = 0; round < 8 && spread < 2; round++) {
    const received = slow.up.received.length;
    const replies: Promise<Reply>[] = [];
    for (let i = 0; i < 24; i++) replies.push(get(`${gw.url}/slow/${round}-${i}`));
    await waitFor(() => slow.held === 2, 5000, 'two requests at the upstream');
    await waitFor(async () => /portcullis_concurrency_limit_queued\{scope="route",name="r"\} 2$/m.test((await get(`${gw.adminUrl}/metrics`)).body), 5000, 'two queued, summed over the workers');
    assert.match((await get(`${gw.adminUrl}/metrics`)).body, /^portcullis_concurrency_limit_in_flight\{scope="route",name="r"\} 2$/m);
    while (slow.up.received.length < received + 4 || slow.held > 0) {
      slow.releaseAll();
      await new Promise((r) => setTimeout(r, 20));
    }
    const statuses = (await Promise.all(replies)).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 4);
    assert.equal(statuses.filter((s) => s === 503).length, 20);
    assert.equal(slow.maxInFlight, 2, 'the upstream never saw more than 2 at once');
    spread = answeringWorkers(gw, `/slow/${round}-`).size;
  }
  assert.ok(spread >= 2, 'no burst reached more than one worker');

  // Every worker killed while requests hold both slots: the replacements listen on the same port
  // (chosen by the OS at start) and find both slots free again.
  const holders = [get(`${gw.url}/slow/x`), get(`${gw.url}/slow/y`)];
  await waitFor(() => slow.held === 2, 5000, 'two requests holding the slots');
  const pids = execFileSync('pgrep', ['-P', String(gw.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await Promise.allSettled(holders);
  slow.releaseAll();
  await waitFor(async () => (await get(`${gw.url}/fast`).catch(() => ({ status: 0 }))).status === 200, 15_000, 'the replacement workers to serve');
  const again = [get(`${gw.url}/slow/p`), get(`${gw.url}/slow/q`)];
  await waitFor(() => slow.held === 2, 5000, 'both slots usable again');
  slow.releaseAll();
  assert.deepEqual((await Promise.all(again)).map((r) => r.status), [200, 200]);
});

test('slots and queue places come back when clients give up', async (t) => {
  const slow = await slowUpstream(t);
  const gw = await gateway(t, slow.up.url, { limit: 2, queue: 1, queue_timeout_ms: 30_000 });
  const holders = [abortable(`${gw.url}/slow/a`), abortable(`${gw.url}/slow/b`)];
  await waitFor(() => slow.held === 2, 5000, 'two requests holding the slots');
  const waiter = abortable(`${gw.url}/slow/c`);
  await waitFor(async () => /portcullis_concurrency_limit_queued\{scope="route",name="r"\} 1/.test((await get(`${gw.adminUrl}/metrics`)).body), 5000, 'one request queued');
  assert.equal((await get(`${gw.url}/fast`)).status, 503, 'full: limit and queue');
  // the queued client leaves: its place is free again, and it never reaches the upstream
  waiter.req.destroy();
  assert.equal(await waiter.done, 'aborted');
  await waitFor(async () => /portcullis_concurrency_limit_queued\{scope="route",name="r"\} 0/.test((await get(`${gw.adminUrl}/metrics`)).body), 5000, 'the queue to empty');
  // the two holders leave: both slots come back
  for (const h of holders) h.req.destroy();
  await waitFor(() => slow.inFlight === 0, 5000, 'the upstream to see the aborts');
  await waitFor(async () => /portcullis_concurrency_limit_in_flight\{scope="route",name="r"\} 0/.test((await get(`${gw.adminUrl}/metrics`)).body), 5000, 'the slots to come back');
  const after = await Promise.all([get(`${gw.url}/fast`), get(`${gw.url}/fast`)]);
  assert.deepEqual(after.map((r) => r.status), [200, 200]);
  assert.ok(!slow.up.received.some((r) => r.url === '/slow/c'), 'the abandoned waiter was never forwarded');
});

test('a queued request that waits too long gets 503', async (t) => {
  const slow = await slowUpstream(t);
  const gw = await gateway(t, slow.up.url, { limit: 1, queue: 1, queue_timeout_ms: 200 });
  const holder = get(`${gw.url}/slow/a`);
  await waitFor(() => slow.held === 1, 5000, 'one request holding the slot');
  const started = performance.now();
  const r = await get(`${gw.url}/fast`);
  assert.equal(r.status, 503);
  assert.ok(performance.now() - started >= 150, 'it waited in the queue first');
  slow.releaseAll();
  assert.equal((await holder).status, 200);
  assert.match((await get(`${gw.adminUrl}/metrics`)).body, /reason="queue-timeout"\} 1$/m);
});
