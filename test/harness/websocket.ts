// Real WebSocket upstreams and clients for the WebSocket proxy tests. The upstream is a ws server
// on an OS-chosen loopback port; what it does depends on the path the gateway forwards:
//   /echo        echoes every message with its type (text/binary)
//   /headers     sends the handshake's request headers as its first message, then echoes
//   /close       closes with the code and reason of the query (?code=4001&reason=bye) on the first message
//   /big         answers every message with a text message of ?bytes=N bytes
//   /flood       on a message, sends 1 MiB binary messages up to ?limit=N bytes, keeping at most
//                4 MiB queued in its own socket (see `flood`)
//   /silent      never sends anything
// It picks "v2" from the offered subprotocols when offered, and records how each connection closed.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { listenOnLoopback } from './upstream.ts';

export interface UpstreamClose { path: string; code: number; reason: string; /** The query string the connection was opened with. */ query: string }

export interface WsUpstream {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly wss: WebSocketServer;
  /** How each connection ended, as the upstream saw it. */
  readonly closes: UpstreamClose[];
  /** Connections open now. */
  open(): number;
  /** The /flood connection: bytes handed to its socket so far, and bytes queued in it now. */
  readonly flood: { sent: number; queued(): number };
  /** Resolves with the next connection's close (or one already recorded after `from`). */
  nextClose(from?: number): Promise<UpstreamClose>;
  /** Resolves with the close of the connection opened with this query string (e.g. "?id=7"). */
  closeOf(query: string): Promise<UpstreamClose>;
  close(): Promise<void>;
}

export async function startWsUpstream(): Promise<WsUpstream> {
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('plain http'); });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false),
  });
  const closes: UpstreamClose[] = [];
  const waiters: (() => void)[] = [];
  let open = 0;
  const flood = { sent: 0, socket: undefined as WebSocket | undefined, queued: () => flood.socket?.bufferedAmount ?? 0 };
  wss.on('connection', (ws, req: IncomingMessage) => {
    open++;
    const url = new URL(req.url ?? '/', 'http://x');
    ws.on('close', (code, reason) => {
      open--;
      closes.push({ path: url.pathname, code, reason: reason.toString(), query: url.search });
      for (const w of waiters.splice(0)) w();
    });
    ws.on('error', () => undefined);
    switch (url.pathname) {
      case '/headers':
        ws.send(JSON.stringify(req.headers));
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        break;
      case '/close':
        ws.on('message', () => ws.close(Number(url.searchParams.get('code') ?? 1000), url.searchParams.get('reason') ?? ''));
        break;
      case '/big':
        ws.on('message', () => ws.send('z'.repeat(Number(url.searchParams.get('bytes') ?? 0))));
        break;
      case '/flood': {
        const limit = Number(url.searchParams.get('limit') ?? 0);
        const chunk = Buffer.alloc(1024 * 1024, 7);
        flood.socket = ws;
        const pump = () => {
          while (ws.readyState === 1 && flood.sent < limit && ws.bufferedAmount < 4 * 1024 * 1024) {
            ws.send(chunk);
            flood.sent += chunk.length;
          }
          if (ws.readyState === 1 && flood.sent < limit) setTimeout(pump, 5);
        };
        ws.once('message', pump);
        break;
      }
      case '/silent':
        break;
      default:
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    }
  });
  const { url, port } = await listenOnLoopback(server);
  return {
    url,
    port,
    server,
    wss,
    closes,
    open: () => open,
    flood,
    nextClose(from = closes.length) {
      return new Promise((resolve) => {
        const check = () => {
          if (closes.length > from) resolve(closes[from]!);
          else waiters.push(check);
        };
        check();
      });
    },
    closeOf(query) {
      return new Promise((resolve) => {
        const check = () => {
          const found = closes.find((c) => c.query === query);
          if (found) resolve(found);
          else waiters.push(check);
        };
        check();
      });
    },
    close: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface Opened {
  ws: WebSocket;
  /** Messages as they arrive (text as string, binary as Buffer). */
  messages: (string | Buffer)[];
  next(): Promise<string | Buffer>;
  closed: Promise<{ code: number; reason: string }>;
  /** The headers of the 101 answer. */
  upgradeHeaders: IncomingMessage['headers'];
}

/** Connects and resolves once open; rejects with the HTTP status (and body) of a refused handshake. */
export function connectWs(url: string, opts: { headers?: Record<string, string>; protocols?: string[]; origin?: string; autoPong?: boolean } = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, origin: opts.origin, perMessageDeflate: false, autoPong: opts.autoPong ?? true });
    const messages: (string | Buffer)[] = [];
    const waiting: ((m: string | Buffer) => void)[] = [];
    let read = 0;
    let upgradeHeaders: IncomingMessage['headers'] = {};
    ws.once('upgrade', (res) => { upgradeHeaders = res.headers; });
    ws.on('message', (data: Buffer, isBinary) => {
      const m = isBinary ? data : data.toString('utf8');
      messages.push(m);
      const w = waiting.shift();
      if (w) { read++; w(m); }
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.once('open', () => resolve({
      ws,
      messages,
      next: () => (read < messages.length ? Promise.resolve(messages[read++]!) : new Promise((r) => waiting.push(r))),
      closed,
      upgradeHeaders,
    }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body })));
    });
    ws.once('error', (err) => reject(err));
  });
}

/** The refusal of a handshake that must fail: its status, headers and parsed problem body. */
export async function refused(url: string, opts: Parameters<typeof connectWs>[1] = {}): Promise<{ status: number; headers: IncomingMessage['headers']; problem: Record<string, unknown> }> {
  try {
    const o = await connectWs(url, opts);
    o.ws.terminate();
  } catch (err) {
    const e = err as { status?: number; headers?: IncomingMessage['headers']; body?: string };
    if (e.status === undefined) throw err;
    const json = String(e.headers?.['content-type']).startsWith('application/problem+json');
    return { status: e.status, headers: e.headers!, problem: json ? JSON.parse(e.body ?? '{}') as Record<string, unknown> : { body: e.body } };
  }
  throw new Error(`handshake to ${url} was accepted`);
}
