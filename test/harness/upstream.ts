// Real upstream servers for integration tests, on OS-chosen loopback ports. The default handler
// echoes what it received as JSON; tests pass their own handler for special behaviour.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  bodyBytes: number;
  remotePort: number;
}

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Every request that reached this upstream, in order. */
  readonly received: ReceivedRequest[];
  /** Distinct client connections opened to this upstream. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export const echoHandler: Handler = (req, res, body) => {
  const payload = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyBytes: body.length, body: body.length <= 4096 ? body.toString('utf8') : undefined });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};

/**
 * Starts an upstream. With `streaming: true` the handler is called at once with an empty body
 * buffer and must consume `req` itself (for large or slow bodies).
 */
export async function startUpstream(handler: Handler = echoHandler, opts: { streaming?: boolean } = {}): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let connectionCount = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const record: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes: 0, remotePort: req.socket.remotePort ?? 0 };
    received.push(record);
    if (opts.streaming) {
      handler(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => { chunks.push(c); record.bodyBytes += c.length; });
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (s) => {
    connectionCount++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const { url, port } = await listenOnLoopback(server);
  return {
    url,
    port,
    server,
    received,
    connections: () => connectionCount,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Listens on a loopback port the OS chooses; resolves once listening, with the port and its http URL. */
export async function listenOnLoopback(server: Server): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port };
}

/** A port that refuses connections (bound, then closed). */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  const { port } = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
