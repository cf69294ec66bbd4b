// Reference target "node-net" (bench/run.sh): the floor under any Node.js server on this core. It
// answers what node-http answers (the stored /json and /big with the fields a cache hit adds), but
// straight on node:net as Portcullis's fast lane does: per request it finds the end of the head and
// the path in the request line, and writes head and body in one write (a large body corked behind
// the head, not copied). No header parsing or checks, no routing, no plugins, no metrics, no logs,
// keep-alive always. What a cache hit costs beyond it is the gateway's own work; what it costs up
// to it (one read and one write system call, the kernel's loopback delivery, libuv and node's
// socket streams) no Node.js gateway can avoid.
//   node bench/targets/node-net.ts PORT UPSTREAM_HOST:PORT
import { createServer, type Socket } from 'node:net';
import { exitOnSignals, hitFields, portAndUpstream, storedResponses, type Stored } from './stored-response.ts';

const { port, upstream } = portAndUpstream('node-net');
const stored = await storedResponses(upstream);

/** The status line and stored fields of each entry, serialised once. */
const heads = new Map<Stored, string>();
for (const entry of stored.values()) {
  let head = `HTTP/1.1 ${entry.status} OK\r\n`;
  for (const [name, value] of Object.entries(entry.headers)) head += `${name}: ${value}\r\n`;
  heads.set(entry, head);
}
/** Bodies up to this size are copied in with the head (one write); larger ones are not copied (as the fast lane, http1/response.ts). */
const SMALL = 16 * 1024;
const NOT_FOUND = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');

function answer(socket: Socket, path: string): void {
  const entry = stored.get(path);
  if (entry === undefined) {
    socket.write(NOT_FOUND);
    return;
  }
  let head = heads.get(entry)!;
  const fields = hitFields(entry, 'node-net');
  for (const name in fields) head += `${name}: ${fields[name]}\r\n`;
  // (The stored Date is the upstream's, as a cache sends it: RFC 9111 §4.)
  head += `Content-Length: ${entry.body.length}\r\nConnection: keep-alive\r\n\r\n`;
  if (entry.body.length > SMALL) {
    // A large body is not copied: head and body go out corked, in one writev.
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(entry.body);
    socket.uncork();
    return;
  }
  const out = Buffer.allocUnsafe(head.length + entry.body.length);
  out.write(head, 0, 'latin1');
  entry.body.copy(out, head.length);
  socket.write(out);
}

const server = createServer({ noDelay: true }, (socket) => {
  let pending: Buffer | undefined;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    let buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    // Requests without bodies (wrk's GETs), possibly pipelined: one answer per complete head.
    for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
      const line = buf.toString('latin1', 0, buf.indexOf('\r\n'));
      answer(socket, line.slice(line.indexOf(' ') + 1, line.lastIndexOf(' ')));
      buf = buf.subarray(end + 4);
    }
    pending = buf.length > 0 ? buf : undefined;
  });
});
server.listen(port, '127.0.0.1');
exitOnSignals();
