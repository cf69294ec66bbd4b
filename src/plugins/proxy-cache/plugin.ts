// proxy-cache: an RFC 9111 shared HTTP cache in front of a route's upstream.
//
// upstream-request (after every access check, so hits count against rate limits): look the
//   request up; a usable entry answers (a hit, or stale-while-revalidate with a background
//   refresh); a stale one with a validator turns the request into a conditional one; a miss
//   either joins an in-flight request for the same key (coalescing) or leads one; a worker's
//   leader asks the node whether another worker fetches it already (node-flights.ts).
// upstream-response: a 304 to our conditional request answers with the refreshed entry; a 5xx
//   may answer with a stale entry (stale-if-error); a storable response asks for its body
//   (ResponseView.bodyTap) and is stored when it is complete; unsafe methods invalidate.
// upstream-error (hook): the upstream could not answer: stale-if-error.
// log: releases coalesced waiters if the leader never produced a storable response.
import { createHash } from 'node:crypto';
import { removeHeader, type HeaderMap, type PluginLogger, type PluginResponse, type RequestContext, type ResponseView } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { MemoryCacheStore } from '../../store/cache/memory.ts';
import { RedisCacheStore } from '../../store/cache/redis.ts';
import type { CacheStore } from '../../store/cache/ports.ts';
import { redisConnection } from '../../store/redis/connection.ts';
import { buildMeta, keepMs, refreshed, serve, storedHeaders, varyMarker, type Entry, type EntryMeta } from './entry.ts';
import { baseKey, keyQuery, partitionOf, uriKey, type KeySettings } from './key.ts';
import { countBackendError, countEvictions, countOutcome, countStored, trackMemoryBytes } from './metrics.ts';
import { parseCacheControl, requestDirectives, staleIfErrorAllows, storability, varyNames, varyValues, verdict, type HeuristicSettings, type NotStorable, type RequestDirectives } from './rfc.ts';
import { ProxyCacheSchema } from './schema.ts';
import { nodeFlights, type SharedEntry } from './node-flights.ts';

const VAR = 'proxy-cache';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Upstream statuses that let stale-if-error serve a stale entry (RFC 5861 §4). */
const SERVER_ERRORS = new Set([500, 502, 503, 504]);
/** Client validators replaced by ours when we revalidate an entry we hold. */
const CONDITIONALS = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range'];

interface FlightResult { readonly entry: Entry; readonly varyValues: string | undefined }
interface Flight {
  readonly key: string;
  readonly promise: Promise<FlightResult | undefined>;
  resolve(r: FlightResult | undefined): void;
  settled: boolean;
}

/** What one instance keeps across snapshots (keyed by its config hash): the store and in-flight work. */
interface InstanceState {
  readonly store: CacheStore<EntryMeta>;
  readonly flights: Map<string, Flight>;
  readonly refreshing: Set<string>;
  /** The last request's logger, for backend outage reports (the store reports asynchronously). */
  log: PluginLogger | undefined;
  outage: boolean;
}

interface TypeMatcher { readonly any: boolean; readonly exact: ReadonlySet<string>; readonly prefixes: readonly string[]; readonly suffixes: readonly [string, string][] }

export interface ProxyCacheConf {
  readonly id: string;
  readonly state: InstanceState;
  readonly maxEntry: number;
  readonly statuses: ReadonlySet<number>;
  readonly types: TypeMatcher;
  readonly key: KeySettings;
  readonly heuristic: HeuristicSettings;
  readonly retention: number;
  readonly tagHeader: string;
  readonly stripTag: boolean;
  readonly coalesce: boolean;
}

/** Per request (only on misses, revalidations and unsafe methods: a hit allocates none). */
class RequestState {
  mode: 'fetch' | 'revalidate' | 'invalidate' | 'bypass' = 'fetch';
  base = '';
  partition = '';
  dirs: RequestDirectives | undefined;
  /** Why we went forward (Cache-Status fwd). */
  fwd: 'uri-miss' | 'vary-miss' | 'stale' | 'request' | 'bypass' = 'uri-miss';
  /** The stored entry we hold (to revalidate, or for stale-if-error), and its key. */
  entry: Entry | undefined;
  entryKey = '';
  flight: Flight | undefined;
  /** The node-wide flight this request leads (its outcome goes to the other workers' followers). */
  nodeFlight: string | undefined;
  /** A waiter released by its leader (Cache-Status `collapsed` still applies to nobody: it went forward). */
  state: InstanceState | undefined;
}

// ---- instances -------------------------------------------------------------------------

const instances = new Map<string, WeakRef<InstanceState>>();
const dropInstance = new FinalizationRegistry<string>((id) => {
  if (instances.get(id)?.deref() === undefined) instances.delete(id);
});

function instanceState(id: string, make: () => CacheStore<EntryMeta>): InstanceState {
  const existing = instances.get(id)?.deref();
  if (existing !== undefined) return existing;
  const state: InstanceState = { store: undefined as unknown as CacheStore<EntryMeta>, flights: new Map(), refreshing: new Set(), log: undefined, outage: false };
  (state as { store: CacheStore<EntryMeta> }).store = make();
  instances.set(id, new WeakRef(state));
  dropInstance.register(state, id);
  return state;
}

function typeMatcher(patterns: readonly string[]): TypeMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: [string, string][] = [];
  let any = false;
  for (const p of patterns) {
    if (p === '*/*') any = true;
    else if (p.endsWith('/*')) prefixes.push(p.slice(0, -1));
    else if (p.includes('/*+')) { const [type, suffix] = p.split('/*'); suffixes.push([`${type}/`, suffix!]); }
    else exact.add(p);
  }
  return { any, exact, prefixes, suffixes };
}

function typeAllowed(m: TypeMatcher, header: HeaderMap[string]): boolean {
  if (header === undefined || m.any) return true;
  const text = Array.isArray(header) ? header[0]! : header;
  const semi = text.indexOf(';');
  const type = (semi === -1 ? text : text.slice(0, semi)).trim().toLowerCase();
  if (m.exact.has(type)) return true;
  for (const p of m.prefixes) if (type.startsWith(p)) return true;
  for (const [t, suffix] of m.suffixes) if (type.startsWith(t) && type.endsWith(suffix)) return true;
  return false;
}

// ---- small helpers ---------------------------------------------------------------------

type Maybe<T> = T | Promise<T>;
function then<T, U>(v: Maybe<T>, f: (t: T) => Maybe<U>): Maybe<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

function headerText(v: HeaderMap[string]): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
}

function addCacheStatus(res: ResponseView, value: string): void {
  const prev = res.headers['cache-status'];
  res.headers['cache-status'] = prev === undefined ? value : `${headerText(prev)}, ${value}`;
}

function settle(st: RequestState, result: FlightResult | undefined, shared?: SharedEntry): void {
  const lead = st.nodeFlight;
  if (lead !== undefined) {
    st.nodeFlight = undefined;
    nodeFlights().done(lead, result === undefined ? undefined : shared);
  }
  const flight = st.flight;
  if (flight === undefined || flight.settled) return;
  flight.settled = true;
  const flights = st.state!.flights;
  if (flights.get(flight.key) === flight) flights.delete(flight.key);
  flight.resolve(result);
}

interface Found { readonly entry: Entry | undefined; readonly key: string; readonly varyMiss: boolean }
const NOT_FOUND: Found = { entry: undefined, key: '', varyMiss: false };

/** An entry for `primary`, following a Vary marker to the request's variant. */
function find(store: CacheStore<EntryMeta>, primary: string, headers: Readonly<HeaderMap>): Maybe<Found> {
  return then(store.get(primary), (e): Maybe<Found> => {
    if (e === undefined) return NOT_FOUND;
    if (!e.meta.marker) return { entry: e, key: primary, varyMiss: false };
    const key = `${primary}\n${varyValues(e.meta.vary!, headers)}`;
    return then(store.get(key), (v) => (v === undefined ? { entry: undefined, key: '', varyMiss: true } : { entry: v, key, varyMiss: false }));
  });
}

// ---- storing -------------------------------------------------------------------------------

interface Prepared {
  readonly key: string;
  readonly primary: string;
  readonly meta: EntryMeta;
  readonly ttlMs: number;
  readonly varyValues: string | undefined;
}

/** Decides whether (and where) a response is stored, or why not. */
function prepare(ctx: RequestContext, conf: ProxyCacheConf, st: RequestState, status: number, headers: HeaderMap, now: number): Prepared | NotStorable {
  if (ctx.method !== 'GET') return 'method';
  if (st.dirs!.noStore) return 'request-no-store';
  // Set-Cookie responses are personal (sessions): never stored, neither whole nor without the cookie.
  if (headers['set-cookie'] !== undefined) return 'set-cookie';
  const cl = headers['content-length'];
  if (cl !== undefined && Number(headerText(cl)) > conf.maxEntry) return 'too-large';
  if (!typeAllowed(conf.types, headers['content-type'])) return 'content-type';
  const cc = parseCacheControl(headers['cache-control']);
  const reason = storability(status, cc, headers, conf.statuses);
  if (reason !== undefined) return reason;
  const rawTags = headers[conf.tagHeader];
  const tags = rawTags === undefined ? [] : headerText(rawTags).split(',').map((t) => t.trim()).filter((t) => t !== '' && t.length <= 256).slice(0, 64);
  const vary = headers.vary === undefined ? undefined : varyNames(headers.vary) as readonly string[];
  const stored = storedHeaders(headers, conf.stripTag ? conf.tagHeader : undefined);
  const meta = buildMeta(status, stored, headers.age, conf.heuristic, ctx.receivedAt, now, vary !== undefined && vary.length > 0 ? vary : undefined, tags);
  const ttlMs = keepMs(meta, conf.retention, now);
  if (ttlMs <= 0) return 'no-freshness';
  // Authenticated requests get their own entries unless the response is public (and the config
  // does not partition everything by consumer).
  const shared = st.partition === '' || (meta.public && !conf.key.perConsumer);
  const primary = shared ? st.base : st.base + st.partition;
  const values = meta.vary === undefined ? undefined : varyValues(meta.vary, ctx.headers);
  return { key: values === undefined ? primary : `${primary}\n${values}`, primary, meta, ttlMs, varyValues: values };
}

function commit(ctx: RequestContext, conf: ProxyCacheConf, p: Prepared, body: Buffer): Entry {
  const entry: Entry = { meta: p.meta, body };
  const store = conf.state.store;
  if (p.meta.vary !== undefined) void store.set(p.primary, varyMarker(p.meta.vary, p.meta.public), p.ttlMs, p.meta.tags);
  void store.set(p.key, entry, p.ttlMs, p.meta.tags);
  countStored(ctx.serviceName, body.length);
  return entry;
}

function ttlOf(meta: EntryMeta, now: number): number {
  const f = meta.freshness;
  return f.lifetime - Math.floor(f.initialAge + Math.max(0, now - f.responseTime) / 1000);
}

// ---- invalidation (RFC 9111 §4.4) ------------------------------------------------------------

function invalidate(ctx: RequestContext, conf: ProxyCacheConf, headers: HeaderMap): void {
  const host = headerText(ctx.headers.host);
  const store = conf.state.store;
  const drop = (key: string) => { store.invalidate(key).catch(() => countBackendError(store.kind, 'purge')); };
  drop(uriKey(host, ctx.path, keyQuery(ctx.query, conf.key)));
  for (const name of ['location', 'content-location']) {
    const v = headers[name];
    if (v === undefined) continue;
    let url: URL;
    try { url = new URL(headerText(v), `http://${host}${ctx.path}`); } catch { continue; }
    // Only the same origin: a response must not be able to evict another host's entries.
    if (url.host.toLowerCase() === host.toLowerCase()) drop(uriKey(host, url.pathname, keyQuery(url.search, conf.key)));
  }
}

// ---- background refresh (stale-while-revalidate) -------------------------------------------

function backgroundRefresh(ctx: RequestContext, conf: ProxyCacheConf, st: RequestState, entry: Entry, entryKey: string): void {
  const state = conf.state;
  const fetch = ctx.upstreamFetch;
  if (fetch === undefined || state.refreshing.has(entryKey)) return;
  state.refreshing.add(entryKey);
  const headers: HeaderMap = { ...ctx.upstream.headers };
  for (const name of CONDITIONALS) removeHeader(headers, name);
  if (entry.meta.etag !== undefined) headers['if-none-match'] = entry.meta.etag;
  else if (entry.meta.lastModified !== undefined) headers['if-modified-since'] = entry.meta.lastModified;
  const sent = Date.now();
  fetch(ctx, headers, conf.maxEntry).then((res) => {
    const now = Date.now();
    if (res.status === 304) {
      const next = refreshed(entry, res.headers, conf.heuristic, sent, now, conf.stripTag ? conf.tagHeader : undefined);
      void state.store.set(entryKey, next, keepMs(next.meta, conf.retention, now), next.meta.tags);
      return;
    }
    const p = prepare(ctx, conf, st, res.status, res.headers, now);
    if (typeof p !== 'string') commit(ctx, conf, p, res.body);
  }, (err: unknown) => {
    ctx.log.debug({ plugin: VAR, err: (err as Error)?.message }, 'background cache refresh failed');
  }).finally(() => state.refreshing.delete(entryKey));
}

// ---- the plugin --------------------------------------------------------------------------

function lookup(ctx: RequestContext, conf: ProxyCacheConf): Maybe<PluginResponse | undefined> {
  const state = conf.state;
  state.log = ctx.log;
  const method = ctx.method;
  if (method !== 'GET' && method !== 'HEAD') {
    const st = new RequestState();
    st.state = state;
    st.mode = UNSAFE.has(method) ? 'invalidate' : 'bypass';
    st.fwd = 'bypass';
    ctx.vars[VAR] = st;
    countOutcome(ctx.serviceName, 'bypass');
    return undefined;
  }
  const k = conf.key;
  const base = baseKey(ctx, k);
  const partition = partitionOf(ctx, k);
  const store = state.store;
  const found = partition === ''
    ? find(store, base, ctx.headers)
    : then(find(store, base + partition, ctx.headers), (own) => (own.entry !== undefined ? own
      : then(find(store, base, ctx.headers), (shared) => (shared.entry !== undefined && shared.entry.meta.public ? shared : own))));
  return then(found, (f) => decide(ctx, conf, base, partition, f));
}

function decide(ctx: RequestContext, conf: ProxyCacheConf, base: string, partition: string, f: Found): Maybe<PluginResponse | undefined> {
  const dirs = requestDirectives(ctx.headers);
  const entry = f.entry;
  const now = Date.now();
  if (entry !== undefined) {
    const v = verdict(entry.meta.freshness, dirs, now);
    if (v.verdict === 'fresh' || v.verdict === 'stale-ok') {
      countOutcome(ctx.serviceName, 'hit');
      return serve(entry, ctx.headers, now, `portcullis; hit; ttl=${v.ttl}`);
    }
    const st = newState(ctx, conf, base, partition, dirs);
    if (v.verdict === 'stale-while-revalidate') {
      countOutcome(ctx.serviceName, 'stale_while_revalidate');
      backgroundRefresh(ctx, conf, st, entry, f.key);
      ctx.vars[VAR] = undefined;
      return serve(entry, ctx.headers, now, `portcullis; hit; ttl=${v.ttl}; detail=stale-while-revalidate`);
    }
    st.entry = entry;
    st.entryKey = f.key;
    st.fwd = v.byRequest ? 'request' : 'stale';
    if (entry.meta.etag !== undefined || entry.meta.lastModified !== undefined) {
      // Revalidate: our validator replaces the client's (we answer the client's ourselves).
      const headers = ctx.upstream.headers;
      for (const name of CONDITIONALS) removeHeader(headers, name);
      if (entry.meta.etag !== undefined) headers['if-none-match'] = entry.meta.etag;
      if (entry.meta.lastModified !== undefined) headers['if-modified-since'] = entry.meta.lastModified;
      st.mode = 'revalidate';
    }
    return undefined;
  }
  const st = newState(ctx, conf, base, partition, dirs);
  st.fwd = f.varyMiss ? 'vary-miss' : 'uri-miss';
  if (!conf.coalesce || dirs.noCache) return undefined;
  const flightKey = base + partition;
  const flights = conf.state.flights;
  const flight = flights.get(flightKey);
  if (flight !== undefined) {
    return flight.promise.then((r) => {
      if (r === undefined || (r.entry.meta.vary !== undefined && varyValues(r.entry.meta.vary, ctx.headers) !== r.varyValues)) return undefined;
      ctx.vars[VAR] = undefined;
      countOutcome(ctx.serviceName, 'collapsed');
      return serve(r.entry, ctx.headers, Date.now(), `portcullis; fwd=${st.fwd}; fwd-status=${r.entry.meta.status}; collapsed; ttl=${ttlOf(r.entry.meta, Date.now())}`);
    });
  }
  if (ctx.method !== 'GET') return undefined;
  let resolve!: (r: FlightResult | undefined) => void;
  const promise = new Promise<FlightResult | undefined>((r) => { resolve = r; });
  st.flight = { key: flightKey, promise, resolve, settled: false };
  flights.set(flightKey, st.flight);
  // This worker leads; the node's other workers may be fetching the same already.
  const nodeKey = `${conf.id}\n${flightKey}`;
  return then(nodeFlights().join(nodeKey), (joined) => {
    if (joined === 'lead') { st.nodeFlight = nodeKey; return undefined; }
    if (joined === undefined) return undefined; // the other worker got nothing storable: fetch
    const shared = keepShared(conf, joined);
    const result = { entry: shared, varyValues: joined.varyValues };
    // This worker's own waiters check their Vary values themselves.
    settle(st, result);
    if (joined.meta.vary !== undefined && varyValues(joined.meta.vary, ctx.headers) !== joined.varyValues) return undefined;
    ctx.vars[VAR] = undefined;
    countOutcome(ctx.serviceName, 'collapsed');
    const at = Date.now();
    return serve(shared, ctx.headers, at, `portcullis; fwd=${st.fwd}; fwd-status=${shared.meta.status}; collapsed; ttl=${ttlOf(shared.meta, at)}`);
  });
}

/** Another worker's stored response: a copy in this worker's memory cache too (Redis has it already). */
function keepShared(conf: ProxyCacheConf, s: SharedEntry): Entry {
  const entry: Entry = { meta: s.meta, body: s.body };
  const store = conf.state.store;
  if (store.kind === 'memory') {
    if (s.meta.vary !== undefined) void store.set(s.primary, varyMarker(s.meta.vary, s.meta.public), s.ttlMs, s.meta.tags);
    void store.set(s.key, entry, s.ttlMs, s.meta.tags);
  }
  return entry;
}

function newState(ctx: RequestContext, conf: ProxyCacheConf, base: string, partition: string, dirs: RequestDirectives): RequestState {
  const st = new RequestState();
  st.state = conf.state;
  st.base = base;
  st.partition = partition;
  st.dirs = dirs;
  ctx.vars[VAR] = st;
  return st;
}

function onResponse(ctx: RequestContext, conf: ProxyCacheConf): PluginResponse | undefined {
  const st = ctx.vars[VAR] as RequestState | undefined;
  const res = ctx.response;
  if (st === undefined || res === undefined) return undefined;
  const status = res.status;
  if (st.mode === 'invalidate' || st.mode === 'bypass') {
    if (st.mode === 'invalidate' && status < 400) invalidate(ctx, conf, res.headers);
    addCacheStatus(res, 'portcullis; fwd=bypass');
    return undefined;
  }
  const now = Date.now();
  const entry = st.entry;
  const dropTag = conf.stripTag ? conf.tagHeader : undefined;
  if (entry !== undefined && status === 304 && st.mode === 'revalidate') {
    const next = refreshed(entry, res.headers, conf.heuristic, ctx.receivedAt, now, dropTag);
    void conf.state.store.set(st.entryKey, next, keepMs(next.meta, conf.retention, now), next.meta.tags);
    settle(st, undefined);
    countOutcome(ctx.serviceName, 'revalidated');
    return serve(next, ctx.headers, now, `portcullis; fwd=${st.fwd}; fwd-status=304; stored; ttl=${ttlOf(next.meta, now)}`);
  }
  if (entry !== undefined && SERVER_ERRORS.has(status) && staleIfErrorAllows(entry.meta.freshness, now)) {
    settle(st, undefined);
    countOutcome(ctx.serviceName, 'stale_if_error');
    return serve(entry, ctx.headers, now, `portcullis; fwd=${st.fwd}; fwd-status=${status}; ttl=${ttlOf(entry.meta, now)}; detail=stale-if-error`);
  }
  const p = prepare(ctx, conf, st, status, res.headers, now);
  if (dropTag !== undefined) removeHeader(res.headers, dropTag);
  if (typeof p === 'string') {
    settle(st, undefined);
    countOutcome(ctx.serviceName, 'uncacheable');
    addCacheStatus(res, `portcullis; fwd=${st.fwd}; fwd-status=${status}; detail=${p}`);
    return undefined;
  }
  countOutcome(ctx.serviceName, 'miss');
  addCacheStatus(res, `portcullis; fwd=${st.fwd}; fwd-status=${status}; stored; ttl=${ttlOf(p.meta, now)}`);
  res.bodyTap = {
    limit: conf.maxEntry,
    complete(body: Buffer) {
      const stored = commit(ctx, conf, p, body);
      settle(st, { entry: stored, varyValues: p.varyValues }, { key: p.key, primary: p.primary, meta: p.meta, body, ttlMs: p.ttlMs, varyValues: p.varyValues });
    },
    abandoned() {
      settle(st, undefined);
    },
  };
  return undefined;
}

export const proxyCache = definePlugin<typeof ProxyCacheSchema, ProxyCacheConf>({
  name: 'proxy-cache',
  version: '1.0.0',
  description: 'An RFC 9111 shared HTTP cache: serves fresh responses without the upstream, revalidates, coalesces misses, serves stale on errors.',
  priority: 100,
  scopes: ['global', 'service', 'route'],
  configSchema: ProxyCacheSchema,
  compile(c, env) {
    if (c.backend === 'redis' && env.redis === undefined) {
      return 'backend "redis" needs gateway.redis (the Redis every node shares): set gateway.redis.url, or use backend: memory';
    }
    if (c.max_entry_bytes > c.memory_max_bytes && c.backend === 'memory') return 'max_entry_bytes cannot be larger than memory_max_bytes';
    const redis = c.backend === 'redis' ? env.redis! : undefined;
    // The store outlives snapshots: instances with the same config (and Redis) share one, so a
    // reload that leaves the config alone keeps the cache warm.
    const id = createHash('sha256').update(JSON.stringify([c, redis?.url, redis?.key_prefix])).digest('hex').slice(0, 16);
    const state = instanceState(id, () => {
      if (redis !== undefined) {
        let s: InstanceState | undefined;
        const store = new RedisCacheStore<EntryMeta>(redisConnection(redis), id, {
          onError(operation, err) {
            countBackendError('redis', operation);
            s ??= instances.get(id)?.deref();
            if (s !== undefined && !s.outage) {
              s.outage = true;
              s.log?.warn({ plugin: VAR, backend: 'redis', error: (err as Error)?.message }, 'cache backend unavailable: serving without the cache until it is back');
            }
          },
          onOk() {
            s ??= instances.get(id)?.deref();
            if (s !== undefined && s.outage) {
              s.outage = false;
              s.log?.info({ plugin: VAR, backend: 'redis' }, 'cache backend is back');
            }
          },
        });
        return store;
      }
      const store = new MemoryCacheStore<EntryMeta>(c.memory_max_bytes, { onEvict: countEvictions });
      trackMemoryBytes(store);
      return store;
    });
    return {
      id,
      state,
      maxEntry: c.max_entry_bytes,
      statuses: new Set(c.statuses.filter((s) => s !== 206)),
      types: typeMatcher(c.content_types.map((t) => t.toLowerCase())),
      key: {
        headers: c.key.headers.map((h) => h.toLowerCase()),
        include: c.key.query_include.length > 0 ? new Set(c.key.query_include) : undefined,
        exclude: c.key.query_exclude.length > 0 ? new Set(c.key.query_exclude) : undefined,
        perConsumer: c.key.consumer,
      },
      heuristic: { fraction: c.heuristic.fraction, maxSeconds: c.heuristic.max_seconds },
      retention: c.stale_retention_seconds,
      tagHeader: c.tag_header.toLowerCase(),
      stripTag: c.strip_tag_header,
      coalesce: c.coalesce,
    };
  },
  handlers: {
    'upstream-request': lookup,
    'upstream-response': onResponse,
    'upstream-error'(ctx) {
      const st = ctx.vars[VAR] as RequestState | undefined;
      if (st === undefined) return undefined;
      settle(st, undefined);
      const entry = st.entry;
      const now = Date.now();
      if (entry === undefined || !staleIfErrorAllows(entry.meta.freshness, now)) return undefined;
      countOutcome(ctx.serviceName, 'stale_if_error');
      return serve(entry, ctx.headers, now, `portcullis; fwd=${st.fwd}; ttl=${ttlOf(entry.meta, now)}; detail=stale-if-error`);
    },
    log(ctx) {
      const st = ctx.vars[VAR] as RequestState | undefined;
      if (st !== undefined) settle(st, undefined);
    },
  },
});
