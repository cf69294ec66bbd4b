// The forwarding fields a request gets on its way upstream: this hop's RFC 7239 Forwarded element
// and the X-Forwarded-* family, believed from a trusted proxy and replaced from anyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderMap } from '../core/pipeline/context.ts';
import { addForwardingHeaders, forwardedElement } from './headers.ts';

const client = { address: '203.0.113.7', localPort: 8000, tls: false, trusted: false };

test('Forwarded element: IPv4 as is, IPv6 quoted in brackets, unknown peer, host quoted unless a token', () => {
  assert.equal(forwardedElement('203.0.113.7', 'http', 'shop.example'), 'for=203.0.113.7;proto=http;host=shop.example');
  assert.equal(forwardedElement('2001:db8::1', 'https', 'shop.example:8443'), 'for="[2001:db8::1]";proto=https;host="shop.example:8443"');
  assert.equal(forwardedElement('::ffff:10.0.0.1', 'http', undefined), 'for="[::ffff:10.0.0.1]";proto=http');
  assert.equal(forwardedElement('', 'http', ''), 'for=unknown;proto=http');
  assert.equal(forwardedElement('10.0.0.1', 'http', 'a"b\\c'), 'for=10.0.0.1;proto=http;host="a\\"b\\\\c"');
});

test('from a client: Forwarded and X-Forwarded-Proto/-Host/-Port/-Prefix it sent are replaced; X-Forwarded-For is appended to', () => {
  const headers: HeaderMap = {
    forwarded: 'for=10.9.9.9;proto=https;host=evil.example',
    'x-forwarded-for': '10.9.9.9',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-port': '443',
    'x-forwarded-prefix': '/evil',
  };
  addForwardingHeaders(headers, client, 'shop.example:8000', '', 'req-1');
  assert.deepEqual(headers, {
    forwarded: 'for=203.0.113.7;proto=http;host="shop.example:8000"',
    'x-forwarded-for': '10.9.9.9, 203.0.113.7',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'shop.example:8000',
    'x-forwarded-port': '8000',
    'x-forwarded-prefix': undefined, // removed (a removed field stays as undefined in a HeaderMap)
    via: '1.1 portcullis',
    'x-request-id': 'req-1',
  });
});

test('from a trusted proxy: its fields are kept and this hop is appended to its Forwarded', () => {
  const headers: HeaderMap = {
    forwarded: 'for=198.51.100.2;proto=https;host=api.example',
    'x-forwarded-for': '198.51.100.2',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'api.example',
    'x-forwarded-port': '443',
    'x-forwarded-prefix': '/edge',
  };
  addForwardingHeaders(headers, { address: '10.0.0.5', localPort: 8000, tls: false, trusted: true }, 'gw.internal:8000', '/carrier', 'req-2');
  assert.deepEqual(headers, {
    forwarded: 'for=198.51.100.2;proto=https;host=api.example, for=10.0.0.5;proto=http;host="gw.internal:8000"',
    'x-forwarded-for': '198.51.100.2, 10.0.0.5',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'api.example',
    'x-forwarded-port': '443',
    'x-forwarded-prefix': '/edge',
    via: '1.1 portcullis',
    'x-request-id': 'req-2',
  });
  // A trusted proxy that sent none: this hop's values.
  const bare: HeaderMap = {};
  addForwardingHeaders(bare, { address: '10.0.0.5', localPort: 8000, tls: false, trusted: true }, 'gw.internal', '/carrier', 'req-3');
  assert.equal(bare.forwarded, 'for=10.0.0.5;proto=http;host=gw.internal');
  assert.equal(bare['x-forwarded-port'], '8000');
  assert.equal(bare['x-forwarded-prefix'], '/carrier');
});
