// A TCP relay on a fixed loopback port to another address (a database), that a test can take down
// and bring back: stop() cuts every relayed connection and stops listening (clients then get
// ECONNREFUSED); start() listens on the same port again.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port the relay listens on (the same across stop/start). */
  readonly port: number;
  readonly listening: boolean;
  /** Connections relayed since the relay was created. */
  connections(): number;
  /** Connections open right now. */
  open(): number;
  /** Cuts every relayed connection and stops listening. */
  stop(): Promise<void>;
  /** Stops listening (new connections are refused) but keeps relaying the open ones. */
  refuseNew(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** stop(), for cleanup. */
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, opts: { port?: number; host?: string } = {}): Promise<TcpProxy> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let total = 0;
  let server: Server | undefined;
  let port = opts.port ?? 0;

  const relay = (client: Socket) => {
    total++;
    const upstream = connect({ host: target.host, port: target.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        // One side gone: cut the other too (a database client must notice at once).
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = async () => {
    const s = createServer({ noDelay: true }, relay);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };

  await listen();

  // A closed server stops listening at once, but its close callback waits for its connections.
  const closing = new Set<Promise<void>>();
  const refuseNew = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    closing.add(closed);
    void closed.then(() => closing.delete(closed));
  };

  const stop = async () => {
    await refuseNew();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await Promise.all(closing);
  };

  return {
    get port() { return port; },
    get listening() { return server !== undefined; },
    connections: () => total,
    open: () => sockets.size,
    stop,
    refuseNew,
    async start() {
      if (server) return;
      // The port was ours a moment ago; retry briefly in case the kernel has not let go of it yet.
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          await listen();
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    close: stop,
  };
}
