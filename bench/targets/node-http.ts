// Reference target "node-http" (bench/run.sh): the least work a Node.js server can do to answer with
// what a Portcullis cache hit answers. At start it fetches /json and /big once from the cacheable
// upstream (the one portcullis-cache proxies to) and keeps status, header fields and body in memory.
// Per request it only adds the fields a hit adds (Age, Cache-Status, Via, X-Request-Id) and writes
// the response with node:http. No routing, no plugins, no metrics, no logs: its req/s and CPU per
// request are the floor under any gateway built on node:http serving this response, which is what
// the cache-hit bar (≥ nginx proxying the same response) should be read against.
//   node bench/targets/node-http.ts PORT UPSTREAM_HOST:PORT
import { createServer } from 'node:http';
import { exitOnSignals, hitFields, portAndUpstream, storedResponses } from './stored-response.ts';

const { port, upstream } = portAndUpstream('node-http');
const stored = await storedResponses(upstream);

const server = createServer((req, res) => {
  const entry = stored.get(req.url ?? '');
  if (entry === undefined) {
    res.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  res.writeHead(entry.status, { ...entry.headers, 'content-length': entry.body.length, ...hitFields(entry, 'node-http') });
  res.end(entry.body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
exitOnSignals();
