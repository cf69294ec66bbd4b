// Prints the first few messages of a WebSocket stream, then closes: the README's one command to
// watch live tracking through the gateway, with nothing to install.
//
//   npx node examples/carrier/ws-client.ts ws://localhost:8080/carrier/tracking/PC0000000001/stream \
//     [--header "apikey: $KEY"] [--count 3]
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { header: { type: 'string', multiple: true, default: [] }, count: { type: 'string', default: '3' } },
});
const url = positionals[0];
if (url === undefined || !/^wss?:\/\//.test(url)) {
  console.error('usage: ws-client.ts ws://host/path [--header "name: value"]… [--count N]');
  process.exit(2);
}
const headers: Record<string, string> = {};
for (const h of values.header) {
  const colon = h.indexOf(':');
  if (colon > 0) headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
}
const count = Number(values.count);
let received = 0;
const ws = new WebSocket(url, { headers });
ws.on('open', () => console.error(`connected to ${url}`));
ws.on('message', (data) => {
  console.log(data.toString());
  if (++received >= count) ws.close(1000, 'enough');
});
ws.on('unexpected-response', (_req, res) => {
  let body = '';
  res.on('data', (c: Buffer) => { body += c.toString(); });
  res.on('end', () => {
    console.error(`refused: HTTP ${res.statusCode} ${body}`);
    process.exit(1);
  });
});
ws.on('close', (code, reason) => {
  console.error(`closed: ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`);
  process.exit(code === 1000 ? 0 : 1);
});
ws.on('error', (err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
