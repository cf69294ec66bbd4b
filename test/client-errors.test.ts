// Requests the HTTP parser refuses never become requests, but they are not invisible: each is
// counted by the parser's error code (smuggling attempts show up on a dashboard).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnGateway, waitFor } from './harness/gateway.ts';
import { rawRequest } from './harness/raw-http.ts';
import { startUpstream } from './harness/upstream.ts';

test('framing errors are counted in portcullis_http_client_errors_total by parser code', async () => {
  const up = await startUpstream();
  const gw = await spawnGateway({ services: [{ name: 's', targets: [{ url: up.url }] }], routes: [{ name: 'r', service: 's' }] });
  try {
    const smuggle = await rawRequest(gw.proxyPort, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.equal(smuggle.status, 400);
    const huge = await rawRequest(gw.proxyPort, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
    assert.equal(huge.status, 431);
    let text = '';
    await waitFor(async () => {
      text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      return /portcullis_http_client_errors_total\{code="HPE_HEADER_OVERFLOW"\} 1/.test(text);
    }, 5000, 'the client error counters');
    const framing = [...text.matchAll(/portcullis_http_client_errors_total\{code="(HPE_[A-Z_]+)"\} (\d+)/g)].filter((m) => m[1] !== 'HPE_HEADER_OVERFLOW');
    assert.equal(framing.reduce((n, m) => n + Number(m[2]), 0), 1, text);
    assert.equal(up.received.length, 0);
  } finally {
    await gw.stop();
    await up.close();
  }
});
