// "Port already in use" before anything slow happens: binds and releases the port once, so the
// error is reported within the RELIABILITY bar (2 s) even on a loaded machine.
import { createServer } from 'node:net';

export function probePort(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function describeListenError(err: unknown, port: number, what: string): string {
  const e = err as NodeJS.ErrnoException;
  const text = e?.message ?? String(err);
  if (e?.code === 'EADDRINUSE' || text.includes('already in use')) return `the ${what} port ${port} is already in use`;
  if (e?.code === 'EACCES') return `no permission to listen on the ${what} port ${port}`;
  return `cannot start the ${what} listener: ${text}`;
}
