// SSRF guard for webhook endpoint URLs. Endpoint URLs are typed by tenants, so a delivery must never
// reach the gateway's own network: loopback, private ranges, link-local, cloud metadata services,
// multicast and the reserved blocks are refused unless the operator's allow-list names them.
//
// Three layers, one rule set:
// - checkEndpointUrl: syntax and literal-IP check when an endpoint is saved (no DNS).
// - guardedLookup: the socket's `lookup`; resolves once, refuses if any address is blocked and hands
//   back exactly the addresses it checked, so no second resolution can rebind the name.
// - guardedConnector: the undici connector; Node skips `lookup` for IP-literal hosts, so literal
//   addresses are checked here before any socket opens.
import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, isIPv4, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { CidrSet, parseCidr, parseIp, type CidrBlock } from '../core/net/cidr.ts';

/** Operator settings: CIDR blocks (IPv4 or IPv6) that may be reached although they are blocked. */
export interface SsrfPolicy {
  /** e.g. `127.0.0.0/8` for local development, `10.1.2.0/24` for an on-prem receiver. */
  readonly allow: readonly string[];
}

/** An SsrfPolicy parsed once; pass it to every check. */
export interface CompiledSsrfPolicy {
  /** Every allow-list entry. */
  readonly allow: CidrSet;
  /** Only the single-address entries (/32, /128): the only ones that unlock a metadata address. */
  readonly allowExact: CidrSet;
  /** The entries as written, for messages and docs. */
  readonly text: readonly string[];
}

/** Parses the allow-list; throws an Error naming the first entry that is not a CIDR block. */
export function compileSsrfPolicy(policy: SsrfPolicy): CompiledSsrfPolicy {
  const blocks: CidrBlock[] = [];
  const exact: CidrBlock[] = [];
  for (const entry of policy.allow) {
    const block = parseCidr(entry);
    if (!block) throw new Error(`SSRF allow-list entry "${entry}" is not an IPv4 or IPv6 CIDR block (e.g. 10.1.2.0/24, fd12::/64)`);
    blocks.push(block);
    if (block.first === block.last) exact.push(block);
  }
  return { allow: new CidrSet(blocks), allowExact: new CidrSet(exact), text: [...policy.allow] };
}

/** The policy with an empty allow-list: every blocked class is refused. */
export const STRICT_SSRF_POLICY: CompiledSsrfPolicy = compileSsrfPolicy({ allow: [] });

// ---------------------------------------------------------------------------------------------
// Address classes

const METADATA = 'metadata';

interface AddressClass {
  readonly block: CidrBlock;
  readonly name: string;
}

function classes(entries: readonly (readonly [string, string])[]): readonly AddressClass[] {
  return entries.map(([cidr, name]) => {
    const block = parseCidr(cidr);
    if (!block) throw new Error(`bad built-in CIDR ${cidr}`);
    return { block, name };
  });
}

// First match wins, so single addresses come before the ranges that contain them (a metadata
// service is reported as "metadata", not as "link-local").
const V4_CLASSES = classes([
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', METADATA], // AWS, GCP, Azure, OpenStack, DigitalOcean... instance metadata
  ['169.254.170.2/32', METADATA], // AWS ECS task metadata and credentials
  ['100.100.100.200/32', METADATA], // Alibaba Cloud (inside carrier-grade NAT space)
  ['192.0.0.192/32', METADATA], // Oracle Cloud (inside the IETF block)
  // Azure's WireServer: a public address every Azure VM reaches the host platform (and its
  // certificates) through. No webhook receiver lives there.
  ['168.63.129.16/32', METADATA],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'carrier-grade-nat'],
  ['169.254.0.0/16', 'link-local'],
  ['192.0.0.0/24', 'ietf-protocol-assignment'],
  ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['198.18.0.0/15', 'benchmarking'],
  ['192.88.99.0/24', 'reserved'], // the deprecated 6to4 relay anycast
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const V6_CLASSES = classes([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  // IPv4-compatible addresses (::a.b.c.d) are deprecated (RFC 4291) and some stacks tunnel them
  // to the IPv4 inside: nothing legitimate uses them, so the whole block is refused.
  ['::/96', 'ipv4-compatible'],
  ['fd00:ec2::254/128', METADATA], // AWS instance metadata over IPv6
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
  ['64:ff9b:1::/48', 'local-nat64'], // RFC 8215: translated inside the local network
  ['100::/64', 'reserved'], // discard-only
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:10::/28', 'reserved'], // ORCHID
  ['2001:20::/28', 'reserved'], // ORCHIDv2
]);

// Prefixes whose addresses carry an IPv4 address that the traffic ends up at: judged by that IPv4.
const NAT64 = parseCidr('64:ff9b::/96')!;
const SIX_TO_FOUR = parseCidr('2002::/16')!;
const TEREDO = parseCidr('2001::/32')!;
// Everything routable on the IPv6 internet is global unicast; outside it, all is special-purpose.
const GLOBAL_UNICAST = parseCidr('2000::/3')!;
const V4_MASK = 0xffffffffn;

function within(block: CidrBlock, value: bigint): boolean {
  return value >= block.first && value <= block.last;
}

function classOf(table: readonly AddressClass[], value: bigint): string | undefined {
  for (const c of table) if (within(c.block, value)) return c.name;
  return undefined;
}

function embeddedV4Class(value: bigint): string | undefined {
  if (within(NAT64, value)) {
    const inner = classOf(V4_CLASSES, value & V4_MASK);
    return inner && `${inner} (via NAT64 64:ff9b::/96)`;
  }
  if (within(SIX_TO_FOUR, value)) {
    const inner = classOf(V4_CLASSES, (value >> 80n) & V4_MASK);
    return inner && `${inner} (via 6to4 2002::/16)`;
  }
  if (within(TEREDO, value)) {
    // Teredo carries the relay server's IPv4 and the client's IPv4 (bit-inverted).
    const inner = classOf(V4_CLASSES, (value >> 64n) & V4_MASK) ?? classOf(V4_CLASSES, ~value & V4_MASK);
    return inner && `${inner} (via Teredo 2001::/32)`;
  }
  return undefined;
}

/**
 * The class an address belongs to when a webhook must not be sent to it, or undefined for an
 * ordinary public address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is judged as
 * the IPv4 it maps; NAT64, 6to4 and Teredo addresses by the IPv4 they embed. Input that is not an
 * IP address is refused as `not-an-ip-address` (fail closed). Ignores the allow-list.
 */
export function blockedAddressClass(ip: string): string | undefined {
  const parsed = parseIp(ip);
  if (!parsed) return 'not-an-ip-address';
  if (!parsed.v6) return classOf(V4_CLASSES, parsed.value);
  const named = classOf(V6_CLASSES, parsed.value);
  if (named) return named;
  if (within(NAT64, parsed.value) || within(SIX_TO_FOUR, parsed.value) || within(TEREDO, parsed.value)) return embeddedV4Class(parsed.value);
  return within(GLOBAL_UNICAST, parsed.value) ? undefined : 'reserved';
}

/**
 * blockedAddressClass with the allow-list applied: the class when the address must be refused,
 * undefined when it may be reached. A metadata address is only unlocked by an allow-list entry
 * naming exactly that address (a /32 or /128), never by a wider range such as 169.254.0.0/16.
 */
export function refusedAddressClass(policy: CompiledSsrfPolicy, ip: string): string | undefined {
  const cls = blockedAddressClass(ip);
  if (cls === undefined) return undefined;
  const allowedBy = cls === METADATA ? policy.allowExact : policy.allow;
  return allowedBy.contains(ip) ? undefined : cls;
}

// ---------------------------------------------------------------------------------------------
// Endpoint URLs (admin API, and again before every send)

/** Longest endpoint URL accepted, in characters. */
export const MAX_ENDPOINT_URL_LENGTH = 2048;

/** Why an endpoint URL was refused; the sender reports the same codes. */
export type EndpointUrlProblem = 'invalid-url' | 'insecure-url' | 'ssrf-blocked';

/** checkEndpointUrl's answer: the parsed URL, or a code and a reason for the admin. */
export type EndpointUrlCheck =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly code: EndpointUrlProblem; readonly reason: string };

function refuse(code: EndpointUrlProblem, reason: string): EndpointUrlCheck {
  return { ok: false, code, reason };
}

/** The host of a URL as an IP address when it is a literal one (IPv6 without brackets). */
export function literalIpHost(url: URL): string | undefined {
  const host = url.hostname;
  if (host.startsWith('[')) return host.slice(1, -1);
  // WHATWG parsing has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into dotted quads.
  return isIPv4(host) ? host : undefined;
}

/**
 * Synchronous check of an endpoint URL: an absolute http(s) URL of at most 2048 characters,
 * `https:` unless `allowHttp`, no credentials, no fragment, and, when the host is a literal IP, an
 * address the policy lets through. Host names are not resolved here: guardedLookup judges them at
 * connect time. The reason is safe to show to the admin who typed the URL.
 */
export function checkEndpointUrl(url: string, opts: { readonly allowHttp: boolean; readonly policy: CompiledSsrfPolicy }): EndpointUrlCheck {
  if (url.length > MAX_ENDPOINT_URL_LENGTH) return refuse('invalid-url', `the URL is longer than ${MAX_ENDPOINT_URL_LENGTH} characters`);
  const parsed = URL.parse(url);
  if (!parsed) return refuse('invalid-url', 'not an absolute URL');
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return refuse('invalid-url', `scheme ${parsed.protocol} is not http: or https:`);
  if (parsed.protocol === 'http:' && !opts.allowHttp) return refuse('insecure-url', 'https: is required (plain http: is not allowed for this endpoint)');
  if (parsed.username !== '' || parsed.password !== '') return refuse('invalid-url', 'credentials in the URL are not allowed (send them in a header)');
  // `hash` is '' for a bare trailing '#', so look at the serialised form too.
  if (parsed.hash !== '' || parsed.href.includes('#')) return refuse('invalid-url', 'a fragment (#...) is not allowed');
  if (parsed.hostname === '') return refuse('invalid-url', 'the URL has no host');
  const ip = literalIpHost(parsed);
  if (ip !== undefined) {
    const cls = refusedAddressClass(opts.policy, ip);
    if (cls !== undefined) return refuse('ssrf-blocked', `address ${ip} (${cls}) is not on the allow-list`);
  }
  return { ok: true, url: parsed };
}

// ---------------------------------------------------------------------------------------------
// Connect time

/** The error a refused connection fails with (`code` ESSRFBLOCKED). */
export class SsrfBlockedError extends Error {
  readonly code = 'ESSRFBLOCKED';
  readonly hostname: string;
  readonly address: string;
  readonly addressClass: string;
  constructor(hostname: string, address: string, addressClass: string) {
    super(hostname === address
      ? `refused to connect to ${address} (${addressClass}, not on the allow-list)`
      : `refused to connect to ${hostname}: it resolves to ${address} (${addressClass}, not on the allow-list)`);
    this.name = 'SsrfBlockedError';
    this.hostname = hostname;
    this.address = address;
    this.addressClass = addressClass;
  }
}

/** Resolves a host name to all its addresses (dns.lookup semantics); injectable for tests. */
export type ResolveAll = (hostname: string, options: { readonly family: 0 | 4 | 6; readonly hints: number }) => Promise<readonly LookupAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts applies), every address. */
export const systemResolveAll: ResolveAll = (hostname, options) => dns.lookup(hostname, { all: true, family: options.family, hints: options.hints });

function familyOf(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

/**
 * A `lookup` for net/tls `connect` (and undici's `connect` options): resolves the name once,
 * fails with SsrfBlockedError if ANY address is refused by the policy (an attacker's name can mix
 * a public and a private address), and otherwise hands back exactly the addresses it checked, so
 * the socket connects to a checked IP and no later resolution can rebind the name.
 */
export function guardedLookup(policy: CompiledSsrfPolicy, resolve: ResolveAll = systemResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: familyOf(options.family), hints: options.hints ?? 0 }).then((addresses) => {
      if (addresses.length === 0) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
        return;
      }
      for (const a of addresses) {
        const cls = refusedAddressClass(policy, a.address);
        if (cls !== undefined) {
          callback(new SsrfBlockedError(hostname, a.address, cls), '');
          return;
        }
      }
      if (options.all) callback(null, addresses as LookupAddress[]);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    }, (err: NodeJS.ErrnoException) => callback(err, ''));
  };
}

/** Options for guardedConnector. */
export interface GuardedConnectorOptions {
  /** Name resolution (default: the system resolver). */
  readonly resolve?: ResolveAll;
  /** TCP (+ TLS) connect timeout in ms (default 10 s). */
  readonly connectTimeoutMs?: number;
}

/**
 * An undici connector (`new Agent({ connect: guardedConnector(policy) })`) that refuses blocked
 * addresses whether the URL names a host (checked by guardedLookup) or an IP literal (checked
 * here, because Node does not call `lookup` for literals). HTTP/1.1 only.
 */
export function guardedConnector(policy: CompiledSsrfPolicy, opts: GuardedConnectorOptions = {}): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(policy, opts.resolve), timeout: opts.connectTimeoutMs ?? 10_000, allowH2: false });
  return (options, callback) => {
    if (isIP(options.hostname) !== 0) {
      const cls = refusedAddressClass(policy, options.hostname);
      if (cls !== undefined) {
        // Asynchronously, like every other connect outcome undici sees.
        const err = new SsrfBlockedError(options.hostname, options.hostname, cls);
        queueMicrotask(() => callback(err, null));
        return;
      }
    }
    connect(options, callback);
  };
}
