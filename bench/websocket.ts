// WebSocket proxy benchmark. Run: npm run bench:websocket
// (node bench/websocket.ts [--connections 10000] [--echo-clients 50] [--duration 10] [--size 64]).
//
// (a) Idle connections: one `portcullis start --workers 1` process (the gateway runs in it) in
//     front of a ws echo upstream in its own process; the bench opens N WebSocket connections
//     through the gateway (500 handshakes at a time) and leaves them idle. Reported: the gateway
//     process's RSS before and with the N connections open, and the difference per connection.
//     Bar: under 1 GiB for 10,000 connections (RELIABILITY.md: ≤ 64 KiB per idle connection).
//     Each proxied connection costs the gateway two file descriptors (client and upstream), so
//     N connections need `ulimit -n` above 2N: the bench raises its soft limit to the hard one
//     (children inherit it) and, if that is still too low, measures the most that fit and says so.
// (b) Relay overhead: C clients each send a message and wait for its echo, over and over, for D
//     seconds: round-trip p50/p99 and messages/s (both directions), through the gateway and
//     direct to the upstream, and the ratios.
// Results: printed, and bench/results/websocket.md.
import { fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { spawnGateway } from '../test/harness/gateway.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);

// --- the upstream: a ws echo server in its own process ------------------------------------------

if (process.argv[2] === '--upstream') {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
} else {
  await main();
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      connections: { type: 'string', default: '10000' },
      'echo-clients': { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      size: { type: 'string', default: '64' },
      help: { type: 'boolean', default: false },
    },
  });
  if (opts.help) {
    console.log('node bench/websocket.ts [--connections N] [--echo-clients C] [--duration S] [--size BYTES]');
    return;
  }
  const wanted = Number(opts.connections);
  const fdLimit = openFileLimit();
  // Two descriptors per proxied connection in the gateway, plus its own (~100).
  const fit = Math.floor((fdLimit - 200) / 2);
  const connections = Math.min(wanted, fit);
  if (connections < wanted) console.log(`ulimit -n is ${fdLimit} (hard limit): the gateway can hold ${fit} proxied connections, so (a) measures ${connections} instead of ${wanted}.`);

  const upstream = fork(SELF, ['--upstream'], { stdio: 'inherit' });
  const upstreamPort = await new Promise<number>((resolve) => upstream.once('message', (m: { port: number }) => resolve(m.port)));
  const gw = await spawnGateway({
    gateway: { access_log: false, max_connections: 65535 },
    services: [{ name: 'echo', targets: [{ url: `http://127.0.0.1:${upstreamPort}` }], retries: 0 }],
    routes: [{ name: 'echo', service: 'echo', paths: ['/echo'], websocket: { idle_timeout_ms: 3_600_000, ping_interval_ms: 0 } }],
  }, { workers: 1 });
  const lines: string[] = [];
  const say = (s: string) => { console.log(s); lines.push(s); };
  try {
    const gatewayUrl = `${gw.url.replace('http:', 'ws:')}/echo`;
    const directUrl = `ws://127.0.0.1:${upstreamPort}/echo`;
    say(`# WebSocket proxy benchmark (${new Date().toISOString()}, Node ${process.version}, ${cpuModel()})`);
    say('');
    // (b) first, on a gateway without thousands of idle connections.
    const size = Number(opts.size);
    const clients = Number(opts['echo-clients']);
    const seconds = Number(opts.duration);
    await echoRun(directUrl, 5, 2, size); // warm-up (JIT) of both paths
    await echoRun(gatewayUrl, 5, 2, size);
    const direct = await echoRun(directUrl, clients, seconds, size);
    const proxied = await echoRun(gatewayUrl, clients, seconds, size);
    say(`## Relay overhead: ${clients} clients, ${size}-byte text messages, echo round trips for ${seconds} s each`);
    say('');
    say('| path | round trips | messages/s (both directions) | p50 ms | p99 ms |');
    say('|---|---|---|---|---|');
    for (const [name, r] of [['direct to upstream', direct], ['through the gateway', proxied]] as const) {
      say(`| ${name} | ${r.roundTrips} | ${Math.round(r.messagesPerSecond)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`);
    }
    say(`| ratio gateway/direct | | ${(proxied.messagesPerSecond / direct.messagesPerSecond).toFixed(2)} | ${(proxied.p50 / direct.p50).toFixed(2)} | ${(proxied.p99 / direct.p99).toFixed(2)} |`);
    say('');

    // (a) idle connections.
    const before = rssKiB(gw.child.pid!);
    const t0 = performance.now();
    const open = await openIdle(gatewayUrl, connections);
    const openSeconds = (performance.now() - t0) / 1000;
    // Let allocation settle (handshake garbage collected) before reading RSS.
    await new Promise((r) => setTimeout(r, 3000));
    const after = rssKiB(gw.child.pid!);
    // Every connection still relays after the wait.
    const sample = open.filter((_, i) => i % Math.max(1, Math.floor(open.length / 100)) === 0);
    await Promise.all(sample.map((ws) => new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('close', () => reject(new Error('closed')));
      ws.send('still there?');
    })));
    say(`## Idle connections: ${open.length} open through one gateway process`);
    say('');
    say('| gateway RSS before | with connections | per connection | handshakes/s |');
    say('|---|---|---|---|');
    say(`| ${(before / 1024).toFixed(1)} MiB | ${(after / 1024).toFixed(1)} MiB | ${((after - before) / open.length).toFixed(1)} KiB | ${Math.round(open.length / openSeconds)} |`);
    say('');
    say(`Bar: under 1 GiB (${after < 1024 * 1024 ? 'met' : 'NOT met'}); ${sample.length} sampled connections still echo after the wait.`);
    for (const ws of open) ws.terminate();
  } finally {
    await gw.stop('SIGKILL');
    upstream.kill('SIGKILL');
  }
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'websocket.md'), lines.join('\n') + '\n');
}

interface EchoResult { roundTrips: number; messagesPerSecond: number; p50: number; p99: number }

async function echoRun(url: string, clients: number, seconds: number, size: number): Promise<EchoResult> {
  const payload = 'x'.repeat(size);
  const sockets = await Promise.all(Array.from({ length: clients }, () => openOne(url)));
  const samples: number[] = [];
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    let sent = 0;
    const send = () => {
      if (performance.now() >= until) return resolve();
      sent = performance.now();
      ws.send(payload);
    };
    ws.on('message', () => {
      samples.push(performance.now() - sent);
      send();
    });
    send();
  })));
  const elapsed = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.terminate();
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN;
  return { roundTrips: samples.length, messagesPerSecond: (2 * samples.length) / elapsed, p50: q(0.5), p99: q(0.99) };
}

function openOne(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function openIdle(url: string, n: number): Promise<WebSocket[]> {
  const open: WebSocket[] = [];
  const BATCH = 500;
  for (let i = 0; i < n; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, () => openOne(url)));
    open.push(...batch);
  }
  return open;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** The soft open-file limit this process (and its children) run with. */
function openFileLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  return Number(r.stdout.trim()) || 1024;
}

function cpuModel(): string {
  const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return `${m?.[1]?.trim() ?? 'unknown CPU'}`;
}
