import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { LookupAddress } from 'node:dns';
import {
  STRICT_SSRF_POLICY, SsrfBlockedError, blockedAddressClass, checkEndpointUrl, compileSsrfPolicy, guardedConnector, guardedLookup,
  refusedAddressClass, type ResolveAll,
} from './ssrf.ts';

test('every blocked class, IPv4 and IPv6, is named', () => {
  const cases: [string, string][] = [
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['::1', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'carrier-grade-nat'], ['100.127.255.255', 'carrier-grade-nat'],
    ['169.254.1.1', 'link-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf::1', 'link-local'],
    ['169.254.169.254', 'metadata'], ['169.254.170.2', 'metadata'], ['100.100.100.200', 'metadata'], ['192.0.0.192', 'metadata'],
    ['168.63.129.16', 'metadata'], ['fd00:ec2::254', 'metadata'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'], ['ff05::1:3', 'multicast'],
    ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['192.88.99.1', 'reserved'],
    ['198.18.0.1', 'benchmarking'], ['198.19.255.255', 'benchmarking'], ['2001:2::1', 'benchmarking'],
    ['192.0.2.1', 'documentation'], ['198.51.100.7', 'documentation'], ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'], ['3fff::1', 'documentation'],
    ['192.0.0.8', 'ietf-protocol-assignment'],
    ['fec0::1', 'site-local'],
    ['::7f00:1', 'ipv4-compatible'], ['::127.0.0.1', 'ipv4-compatible'], ['::8.8.8.8', 'ipv4-compatible'],
    ['64:ff9b:1::a00:1', 'local-nat64'],
    ['100::1', 'reserved'], ['4000::1', 'reserved'], ['::ffff:0:7f00:1', 'reserved'],
    ['not an address', 'not-an-ip-address'], ['', 'not-an-ip-address'], ['256.0.0.1', 'not-an-ip-address'],
  ];
  for (const [ip, cls] of cases) assert.equal(blockedAddressClass(ip), cls, ip);
});

test('IPv4-mapped IPv6 is judged as the IPv4 it maps, in both spellings', () => {
  assert.equal(blockedAddressClass('::ffff:127.0.0.1'), 'loopback');
  assert.equal(blockedAddressClass('::ffff:7f00:1'), 'loopback');
  assert.equal(blockedAddressClass('::FFFF:10.0.0.1'), 'private');
  assert.equal(blockedAddressClass('::ffff:a9fe:a9fe'), 'metadata');
  assert.equal(blockedAddressClass('0:0:0:0:0:ffff:c0a8:0101'), 'private');
  assert.equal(blockedAddressClass('::ffff:8.8.8.8'), undefined);
});

test('NAT64, 6to4 and Teredo are judged by the IPv4 they embed', () => {
  assert.equal(blockedAddressClass('64:ff9b::7f00:1'), 'loopback (via NAT64 64:ff9b::/96)');
  assert.equal(blockedAddressClass('64:ff9b::169.254.169.254'), 'metadata (via NAT64 64:ff9b::/96)');
  assert.equal(blockedAddressClass('64:ff9b::808:808'), undefined); // 8.8.8.8 through a DNS64/NAT64 network
  assert.equal(blockedAddressClass('2002:a00:1::1'), 'private (via 6to4 2002::/16)');
  assert.equal(blockedAddressClass('2002:7f00:1::'), 'loopback (via 6to4 2002::/16)');
  assert.equal(blockedAddressClass('2002:808:808::1'), undefined);
  // Teredo: server 65.54.227.120 (public), client 127.0.0.1 stored inverted as 80ff:fffe.
  assert.equal(blockedAddressClass('2001:0:4136:e378:8000:63bf:80ff:fffe'), 'loopback (via Teredo 2001::/32)');
  assert.equal(blockedAddressClass('2001:0:a00:1::'), 'private (via Teredo 2001::/32)');
  assert.equal(blockedAddressClass('2001:0:4136:e378:8000:63bf:f7f7:f7f7'), undefined); // client 8.8.8.8
});

test('public addresses pass', () => {
  for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700::1111', '2a00:1450:4001::200e', '2001:4860:4860::8888']) {
    assert.equal(blockedAddressClass(ip), undefined, ip);
    assert.equal(refusedAddressClass(STRICT_SSRF_POLICY, ip), undefined, ip);
  }
});

test('the allow-list lets blocked addresses through, but only a /32 or /128 unlocks a metadata address', () => {
  const policy = compileSsrfPolicy({ allow: ['127.0.0.0/8', '10.1.2.0/24', 'fd12::/16', '169.254.0.0/16', '100.64.0.0/10'] });
  assert.equal(refusedAddressClass(policy, '127.0.0.1'), undefined);
  assert.equal(refusedAddressClass(policy, '::ffff:127.0.0.1'), undefined);
  assert.equal(refusedAddressClass(policy, '10.1.2.200'), undefined);
  assert.equal(refusedAddressClass(policy, '10.1.3.1'), 'private');
  assert.equal(refusedAddressClass(policy, 'fd12::9'), undefined);
  assert.equal(refusedAddressClass(policy, '::1'), 'loopback');
  assert.equal(refusedAddressClass(policy, '169.254.1.1'), undefined);
  assert.equal(refusedAddressClass(policy, '169.254.169.254'), 'metadata');
  assert.equal(refusedAddressClass(policy, '100.100.100.200'), 'metadata');
  const exact = compileSsrfPolicy({ allow: ['169.254.169.254/32'] });
  assert.equal(refusedAddressClass(exact, '169.254.169.254'), undefined);
  assert.equal(refusedAddressClass(compileSsrfPolicy({ allow: ['0.0.0.0/0'] }), '169.254.169.254'), 'metadata');
});

test('a bad allow-list entry is refused when the policy is compiled', () => {
  for (const bad of ['10.0.0.0/33', 'localhost', '10.0.0.0/8/8', '', '::1/129']) {
    assert.throws(() => compileSsrfPolicy({ allow: ['127.0.0.0/8', bad] }), (err: Error) => err.message.includes(`"${bad}"`), bad);
  }
  assert.deepEqual(compileSsrfPolicy({ allow: ['127.0.0.1'] }).text, ['127.0.0.1']);
});

test('checkEndpointUrl: syntax rules', () => {
  const opts = { allowHttp: false, policy: STRICT_SSRF_POLICY };
  const ok = checkEndpointUrl('https://hooks.example.com:8443/in?x=1', opts);
  assert.ok(ok.ok && ok.url.port === '8443');
  const refused: [string, string, boolean?][] = [
    ['hooks.example.com/in', 'invalid-url'],
    ['/relative', 'invalid-url'],
    ['ftp://hooks.example.com/', 'invalid-url'],
    ['javascript:alert(1)', 'invalid-url'],
    ['file:///etc/passwd', 'invalid-url'],
    ['http://hooks.example.com/', 'insecure-url'],
    ['https://user:pass@hooks.example.com/', 'invalid-url'],
    ['https://user@hooks.example.com/', 'invalid-url'],
    ['https://hooks.example.com/#frag', 'invalid-url'],
    ['https://hooks.example.com/#', 'invalid-url'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, 'invalid-url'],
    ['https://', 'invalid-url'],
  ];
  for (const [url, code] of refused) {
    const r = checkEndpointUrl(url, opts);
    assert.ok(!r.ok && r.code === code, `${url.slice(0, 60)} → ${JSON.stringify(r)}`);
  }
  assert.ok(checkEndpointUrl('http://hooks.example.com/', { ...opts, allowHttp: true }).ok);
  // Names are not resolved here: localhost is judged at connect time.
  assert.ok(checkEndpointUrl('https://localhost/', opts).ok);
});

test('checkEndpointUrl: literal IP hosts, including decimal, hex and octal spellings, are judged', () => {
  const opts = { allowHttp: true, policy: STRICT_SSRF_POLICY };
  const blocked: [string, string][] = [
    ['http://127.0.0.1/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[0:0:0:0:0:ffff:7f00:1]:8080/', 'loopback'],
    ['http://0/', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['https://10.0.0.1/', 'private'],
    ['https://[fe80::1]/', 'link-local'],
    ['https://[64:ff9b::a00:1]/', 'private (via NAT64 64:ff9b::/96)'],
    ['https://224.0.0.1/', 'multicast'],
  ];
  for (const [url, cls] of blocked) {
    const r = checkEndpointUrl(url, opts);
    assert.ok(!r.ok && r.code === 'ssrf-blocked' && r.reason.includes(cls), `${url} → ${JSON.stringify(r)}`);
  }
  assert.ok(checkEndpointUrl('https://8.8.8.8/', opts).ok);
  assert.ok(checkEndpointUrl('https://[2606:4700::1111]/', opts).ok);
  const dev = { allowHttp: true, policy: compileSsrfPolicy({ allow: ['127.0.0.0/8'] }) };
  assert.ok(checkEndpointUrl('http://2130706433:3000/hook', dev).ok);
  assert.ok(!checkEndpointUrl('http://[::1]:3000/hook', dev).ok);
});

// A resolver that answers from a table, as DNS would for names an attacker controls.
function fakeDns(table: Record<string, string[]>): ResolveAll {
  return (hostname) => {
    const answers = table[hostname];
    if (!answers) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}

function lookupAll(lookup: ReturnType<typeof guardedLookup>, hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => lookup(hostname, { all: true }, (err, addresses) => err ? reject(err) : resolve(addresses as LookupAddress[])));
}

function lookupOne(lookup: ReturnType<typeof guardedLookup>, hostname: string): Promise<[string, number | undefined]> {
  return new Promise((resolve, reject) => lookup(hostname, {}, (err, address, family) => err ? reject(err) : resolve([address as string, family])));
}

const dns = fakeDns({
  'evil.example': ['127.0.0.1'],
  'mixed.example': ['93.184.215.14', '10.0.0.1'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'meta.example': ['169.254.169.254'],
  'public.example': ['93.184.215.14', '2606:4700::1111'],
  'empty.example': [],
});

function isBlocked(hostname: string, address: string, cls: string) {
  return (err: unknown) => err instanceof SsrfBlockedError && err.code === 'ESSRFBLOCKED' && err.hostname === hostname && err.address === address && err.addressClass === cls
    && err.message.includes(hostname) && err.message.includes(address) && err.message.includes(cls);
}

test('guardedLookup refuses a name when any of its addresses is blocked, for all: true and all: false', async () => {
  const lookup = guardedLookup(STRICT_SSRF_POLICY, dns);
  await assert.rejects(lookupAll(lookup, 'evil.example'), isBlocked('evil.example', '127.0.0.1', 'loopback'));
  await assert.rejects(lookupOne(lookup, 'evil.example'), isBlocked('evil.example', '127.0.0.1', 'loopback'));
  await assert.rejects(lookupAll(lookup, 'mixed.example'), isBlocked('mixed.example', '10.0.0.1', 'private'));
  await assert.rejects(lookupOne(lookup, 'mixed.example'), isBlocked('mixed.example', '10.0.0.1', 'private'));
  await assert.rejects(lookupAll(lookup, 'mapped.example'), isBlocked('mapped.example', '::ffff:127.0.0.1', 'loopback'));
  await assert.rejects(lookupAll(lookup, 'meta.example'), isBlocked('meta.example', '169.254.169.254', 'metadata'));
  await assert.rejects(lookupAll(lookup, 'nowhere.example'), { code: 'ENOTFOUND' });
  await assert.rejects(lookupAll(lookup, 'empty.example'), { code: 'ENOTFOUND' });
});

test('guardedLookup hands back exactly the addresses it checked', async () => {
  const lookup = guardedLookup(STRICT_SSRF_POLICY, dns);
  assert.deepEqual(await lookupAll(lookup, 'public.example'), [{ address: '93.184.215.14', family: 4 }, { address: '2606:4700::1111', family: 6 }]);
  assert.deepEqual(await lookupOne(lookup, 'public.example'), ['93.184.215.14', 4]);
  const dev = guardedLookup(compileSsrfPolicy({ allow: ['127.0.0.0/8'] }), dns);
  assert.deepEqual(await lookupAll(dev, 'evil.example'), [{ address: '127.0.0.1', family: 4 }]);
});

test('guardedLookup: a name whose answers change between resolutions (DNS rebinding) never yields a blocked address', async () => {
  let calls = 0;
  const rebinding: ResolveAll = () => Promise.resolve([{ address: calls++ % 2 === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }]);
  const lookup = guardedLookup(STRICT_SSRF_POLICY, rebinding);
  let refused = 0;
  for (let i = 0; i < 10; i++) {
    try {
      const addresses = await lookupAll(lookup, 'rebind.example');
      assert.deepEqual(addresses.map((a) => a.address), ['93.184.215.14']);
    } catch (err) {
      assert.ok(err instanceof SsrfBlockedError);
      refused++;
    }
  }
  assert.equal(calls, 10, 'one resolution per lookup: the check and the answer come from the same one');
  assert.equal(refused, 5);
});

test('guardedLookup with the system resolver refuses localhost', async () => {
  const lookup = guardedLookup(STRICT_SSRF_POLICY);
  await assert.rejects(lookupAll(lookup, 'localhost'), (err: unknown) => err instanceof SsrfBlockedError && err.addressClass === 'loopback' && err.hostname === 'localhost');
});

async function tcpServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.on('error', () => {}); // a client that goes away early is not this test's concern
    socket.end('hi');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

function connectWith(options: TcpNetConnectOpts): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(options);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function connectVia(connector: ReturnType<typeof guardedConnector>, hostname: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => connector({ hostname, protocol: 'http:', port: String(port) }, (...args) => args[0] ? reject(args[0]) : resolve(args[1] as Socket)));
}

test('a real socket connects to the address guardedLookup checked, and not at all when it is blocked', async () => {
  const { server, port, accepted } = await tcpServer();
  try {
    await assert.rejects(connectWith({ host: 'evil.example', port, lookup: guardedLookup(STRICT_SSRF_POLICY, dns) }), { code: 'ESSRFBLOCKED' });
    assert.equal(accepted(), 0);
    const socket = await connectWith({ host: 'evil.example', port, lookup: guardedLookup(compileSsrfPolicy({ allow: ['127.0.0.1/32'] }), dns) });
    assert.equal(socket.remoteAddress, '127.0.0.1');
    socket.resume();
    await once(socket, 'end');
    assert.equal(accepted(), 1, 'only the allowed connect reached the server');
  } finally {
    server.close();
  }
});

test('Node skips lookup for IP-literal hosts, which is why guardedConnector checks literals itself', async () => {
  const { server, port, accepted } = await tcpServer();
  try {
    let lookups = 0;
    const spy = guardedLookup(STRICT_SSRF_POLICY, (hostname, options) => {
      lookups++;
      return dns('public.example', options);
    });
    const socket = await connectWith({ host: '127.0.0.1', port, lookup: spy });
    socket.resume();
    await once(socket, 'end');
    assert.equal(lookups, 0, 'lookup is not consulted for 127.0.0.1: a literal must be checked before connecting');

    const strict = guardedConnector(STRICT_SSRF_POLICY);
    await assert.rejects(connectVia(strict, '127.0.0.1', port), (err: unknown) => err instanceof SsrfBlockedError && err.addressClass === 'loopback');
    await assert.rejects(connectVia(strict, '::ffff:127.0.0.1', port), (err: unknown) => err instanceof SsrfBlockedError && err.addressClass === 'loopback');

    const sock = await connectVia(guardedConnector(compileSsrfPolicy({ allow: ['127.0.0.0/8'] })), '127.0.0.1', port);
    assert.equal(sock.remoteAddress, '127.0.0.1');
    sock.resume();
    await once(sock, 'end'); // the server has handled this connection, and so every earlier one
    assert.equal(accepted(), 2, 'the refused connects never reached the server');
    sock.destroy();
  } finally {
    server.close();
  }
});
