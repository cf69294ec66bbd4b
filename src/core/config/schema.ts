// The declarative configuration: one TypeBox schema gives validation, defaults and the
// TypeScript types (Static<>) used everywhere else. docs/configuration.md documents it.
import Type, { type Static } from 'typebox';
import { ConsumerSchema, PlanSchema, ProductSchema, ScopeTokenSchema, SubscriptionSchema, Tags, TradingPartnerSchema } from '../entities/schemas.ts';
import { SecretString } from './secret-fields.ts';

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Identifier: letters, digits, ".", "_" and "-".' });
const Millis = (def: number, description: string) => Type.Integer({ minimum: 1, maximum: 3_600_000, default: def, description });

export const PluginInstanceSchema = Type.Object({
  name: Type.String({ minLength: 1, description: 'Bundled plugin name.' }),
  enabled: Type.Boolean({ default: true, description: 'false switches the plugin off here (overriding a less specific instance); config is then not needed.' }),
  config: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: 'Validated by the plugin’s own schema.' }),
}, { additionalProperties: false });

export const TargetSchema = Type.Object({
  url: Type.String({ format: 'http-url', description: 'http:// or https:// origin, e.g. http://10.0.0.5:8000.' }),
  weight: Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: '0 takes the target out of rotation.' }),
}, { additionalProperties: false });

export const ActiveHealthCheckSchema = Type.Object({
  path: Type.String({ pattern: '^/', default: '/', description: 'Path probed with GET on each target.' }),
  interval_ms: Millis(5000, 'Time between probes of one target.'),
  timeout_ms: Millis(2000, 'Probe timeout.'),
  healthy_threshold: Type.Integer({ minimum: 1, maximum: 100, default: 2, description: 'Consecutive good probes that put an unhealthy target back.' }),
  unhealthy_threshold: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'Consecutive failed probes (error, timeout or other status) that take a target out.' }),
  healthy_statuses: Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { default: [200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308], description: 'Probe statuses that count as healthy.' }),
}, { additionalProperties: false });

export const PassiveHealthCheckSchema = Type.Object({
  unhealthy_threshold: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Consecutive failures in live traffic that take a target out.' }),
  unhealthy_statuses: Type.Array(Type.Integer({ minimum: 500, maximum: 599 }), { default: [502, 503, 504], description: 'Upstream statuses that count as failures (connection errors and timeouts always do).' }),
  recovery_ms: Millis(30000, 'How long a passively ejected target stays out before live traffic tries it again.'),
}, { additionalProperties: false });

export const LoadBalancingSchema = Type.Object({
  algorithm: Type.Union([Type.Literal('round-robin'), Type.Literal('least-connections'), Type.Literal('consistent-hash')], { default: 'round-robin', description: 'Smooth weighted round robin, weighted least in-flight requests, or a consistent-hash ring.' }),
  hash_on: Type.Union([Type.Literal('client-ip'), Type.Literal('header')], { default: 'client-ip', description: 'Key of consistent hashing.' }),
  hash_header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', description: 'Header whose value is hashed when hash_on is "header".' })),
}, { additionalProperties: false });

export const SoapOperationSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9._-]{0,127}$', description: 'Operation name (the local name of its request element in Body).' }),
  action: Type.String({ maxLength: 1024, default: '', description: 'Its SOAPAction / SOAP 1.2 action URI ("" when the binding has none).' }),
}, { additionalProperties: false });

/** A SOAP service (protocol: soap): its operations and the checks every request gets (docs/soap.md). */
export const SoapServiceSchema = Type.Object({
  versions: Type.Array(Type.Union([Type.Literal('1.1'), Type.Literal('1.2')]), { minItems: 1, uniqueItems: true, default: ['1.1', '1.2'], description: 'SOAP versions accepted from clients (text/xml is 1.1, application/soap+xml is 1.2).' }),
  operations: Type.Array(SoapOperationSchema, { minItems: 1, maxItems: 1000, description: 'The operations the service offers; requests for others get a fault.' }),
  require_action: Type.Boolean({ default: true, description: 'Requests must declare their operation (SOAPAction, or the SOAP 1.2 action parameter), and it must agree with the Body. Keeps per-operation routes from being bypassed; false takes the operation from the Body alone.' }),
  max_body_bytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest SOAP request body (413 above). The XML limits of docs/xml-safety.md apply within it.' }),
}, { additionalProperties: false, description: 'SOAP settings; required when protocol is soap.' });

export const ServiceSchema = Type.Object({
  name: Name,
  protocol: Type.Union([Type.Literal('http'), Type.Literal('graphql'), Type.Literal('soap')], { default: 'http', description: 'What the service speaks (targets may be http:// or https://). graphql: every route of the service is guarded by the graphql plugin, with its defaults unless an instance configures it (docs/graphql.md). soap: envelopes checked, routing by operation, SOAP faults (docs/soap.md).' }),
  targets: Type.Array(TargetSchema, { minItems: 1, maxItems: 1000, description: 'Upstream instances the load balancer chooses from.' }),
  path: Type.String({ pattern: '^/', default: '/', description: 'Prefix prepended to the forwarded path.' }),
  preserve_host: Type.Boolean({ default: false, description: 'Send the client’s Host upstream instead of the target’s host:port.' }),
  connect_timeout_ms: Millis(5000, 'Time to open an upstream connection.'),
  read_timeout_ms: Millis(60000, 'Per attempt: time to wait for response headers, and then between response body chunks.'),
  write_timeout_ms: Millis(60000, 'Time allowed between request body chunks sent upstream.'),
  request_timeout_ms: Millis(120000, 'Route deadline for the upstream response headers: queueing, every attempt and retry backoff included. The body then streams for as long as chunks keep coming within read_timeout_ms.'),
  retries: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'Retries of safe requests after connection failures.' }),
  max_connections: Type.Integer({ minimum: 1, maximum: 65535, default: 256, description: 'Upstream connections per target and worker.' }),
  load_balancing: Type.Object(LoadBalancingSchema.properties, { additionalProperties: false, default: {}, description: 'How a target is chosen for each request.' }),
  health_checks: Type.Object({
    active: Type.Optional(Type.Object(ActiveHealthCheckSchema.properties, { additionalProperties: false, description: 'Probe each target on a schedule (run once per node).' })),
    passive: Type.Optional(Type.Object(PassiveHealthCheckSchema.properties, { additionalProperties: false, description: 'Eject targets that fail in live traffic (per worker).' })),
  }, { additionalProperties: false, default: {}, description: 'Active probes and passive (live traffic) checks; both optional.' }),
  plugins: Type.Array(PluginInstanceSchema, { default: [], description: 'Plugin instances for every route of this service.' }),
  soap: Type.Optional(SoapServiceSchema),
  graphql: Type.Optional(Type.Object({
    schema: Type.Optional(Type.String({ minLength: 1, maxLength: 2 * 1024 * 1024, description: 'The schema (SDL) inline. Without it, the latest schema stored for the service (uploaded or introspected through the admin API) is used.' })),
  }, { additionalProperties: false, description: 'protocol: graphql only: the service’s GraphQL schema.' })),
  tags: Tags,
}, { additionalProperties: false });

const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' });
const Method = Type.String({ pattern: '^[A-Z]{1,20}$' });

const VersionName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'The version as clients name it ("2", "2024-06-01", "beta").' });

export const RouteVersionSchema = Type.Object({
  name: VersionName,
  by: Type.Union([Type.Literal('path'), Type.Literal('header'), Type.Literal('query'), Type.Literal('media-type')], { description: 'How clients select it: path (the version is part of the route paths, e.g. /v2), header, query parameter, or the Accept media type.' }),
  header: Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', default: 'API-Version', description: 'by: header — the request header naming the version.' }),
  query: Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$', default: 'version', description: 'by: query — the query parameter naming the version.' }),
  media_type: Type.Optional(Type.String({ pattern: '^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]*\\{version\\}[a-z0-9!#$&^_.+-]*$', description: 'by: media-type — the Accept media type with a {version} placeholder, e.g. application/vnd.example.v{version}+json.' })),
  default: Type.Boolean({ default: false, description: 'Requests that name no version (no header, query parameter or matching media type) go to this route. Not for by: path.' }),
  deprecated_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the version is (or will be) deprecated: every response carries Deprecation: @<unix seconds> (RFC 9745).' })),
  sunset_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the version is retired: responses carry Sunset (RFC 8594) until then; from then on requests get 410 version-sunset without being forwarded. Not before deprecated_at.' })),
  link: Type.Optional(Type.String({ format: 'http-url', description: 'Migration guide: Link: <url>; rel="deprecation" on every response of the version.' })),
  sunset_link: Type.Optional(Type.String({ format: 'http-url', description: 'Sunset policy or notice: Link: <url>; rel="sunset".' })),
}, { additionalProperties: false, description: 'This route serves one version of an API; other routes with the same paths serve the others (docs/versioning.md).' });

/** A route that proxies WebSocket connections (docs/websocket.md). */
export const RouteWebSocketSchema = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'Accept WebSocket upgrades on this route (other requests are proxied as usual).' }),
  origins: Type.Array(Type.String({ maxLength: 512, pattern: '^(\\*|[Hh][Tt][Tt][Pp][Ss]?://(\\*\\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?|null)$' }), { default: [], maxItems: 256, description: 'Origin allow-list: exact origins (https://app.example.com), wildcard subdomains (https://*.example.com) or "*". Empty accepts any Origin (and none); otherwise a handshake whose Origin is missing or not listed gets 403 websocket-origin-forbidden.' }),
  max_message_bytes: Type.Integer({ minimum: 1, maximum: 67108864, default: 1048576, description: 'Largest message either side may send; a bigger one closes the connection with 1009.' }),
  max_messages_per_second: Type.Integer({ minimum: 0, maximum: 1000000, default: 0, description: 'Messages per second a client may send on one connection (0 = no limit); more closes it with 1008.' }),
  idle_timeout_ms: Millis(300000, 'A connection with no message in either direction for this long is closed with 1001.'),
  ping_interval_ms: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30000, description: 'Ping both peers this often; a peer that has not answered the previous ping is dropped (0 = no pings).' }),
}, { additionalProperties: false, description: 'Proxy WebSocket connections on this route (docs/websocket.md).' });

export const RouteSchema = Type.Object({
  name: Name,
  service: Type.String({ ...Name, description: 'Name of the service the route forwards to.' }),
  hosts: Type.Array(Type.String({ pattern: '^(\\*\\.[A-Za-z0-9.-]+|[A-Za-z0-9.-]+\\.\\*|[A-Za-z0-9.-]+(:[0-9]{1,5})?)$', description: 'A host name, optionally with :port; or a wildcard without port.' }), { default: [], description: 'Exact (api.example.com, api.example.com:8443), leading (*.example.com) or trailing (example.*) wildcard.' }),
  paths: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { default: [], description: '"/p" prefix, "=/p" exact, "/p/{id}" template, "~regex" regular expression.' }),
  methods: Type.Array(Method, { default: [], description: 'Accepted methods (upper case); empty accepts all.' }),
  headers: Type.Record(HeaderName, Type.Array(Type.String(), { minItems: 1 }), { default: {}, additionalProperties: false, description: 'Header name → accepted values (any of them).' }),
  strip_path: Type.Boolean({ default: false, description: 'Remove the matched path prefix before forwarding.' }),
  priority: Type.Integer({ minimum: -1000000, maximum: 1000000, default: 0, description: 'Higher is matched first, before any other ordering rule.' }),
  version: Type.Optional(RouteVersionSchema),
  websocket: Type.Optional(RouteWebSocketSchema),
  soap_operations: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9._-]{0,127}$' }), { minItems: 1, uniqueItems: true, description: 'SOAP services only: the route takes only requests for these operations (as declared by SOAPAction or the SOAP 1.2 action). See docs/soap.md#routing-by-operation.' })),
  plugins: Type.Array(PluginInstanceSchema, { default: [], description: 'Plugin instances for this route only (they override service and global ones).' }),
  tags: Tags,
}, { additionalProperties: false });

/** The built-in OAuth2 authorization server (client credentials), served on the proxy port. */
export const OAuth2ServerSchema = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'Serve the token, JWKS, introspection, revocation and metadata endpoints. Needs the store (clients and signing keys live there).' }),
  issuer: Type.Optional(Type.String({ maxLength: 512, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^?#\\s]+$', description: 'The issuer identifier (RFC 8414): the URL clients reach this gateway at, e.g. https://api.example.com. Required when enabled; it is the `iss` of every token.' })),
  path: Type.String({ default: '/oauth2', pattern: '^(/[A-Za-z0-9._~-]+)+$', description: 'Path prefix of the endpoints ({path}/token, /jwks, /introspect, /revoke). Matched before routes.' }),
  algorithm: Type.Union([Type.Literal('ES256'), Type.Literal('RS256'), Type.Literal('EdDSA')], { default: 'ES256', description: 'Signature algorithm of access tokens (new keys use it).' }),
  token_ttl_seconds: Type.Integer({ minimum: 60, maximum: 86400, default: 3600, description: 'Lifetime of access tokens.' }),
  key_rotation_days: Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'A new signing key is made this often; old keys stay published until their tokens have expired.' }),
  audience: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The `aud` of every token (default: the issuer).' })),
  scopes: Type.Array(ScopeTokenSchema, { default: [], maxItems: 256, uniqueItems: true, description: 'Scopes this server grants (scopes_supported). When set, a request for any other scope is refused (invalid_scope).' }),
}, { additionalProperties: false });

/** Redis, shared by the gateway nodes of a cluster for rate-limit and quota counters and the HTTP cache. */
export const RedisSettingsSchema = Type.Object({
  // Its password is a secret: sealed in the store, shown as redis://user:(sealed)@host.
  url: SecretString({ maxLength: 2048, pattern: '^rediss?://', description: 'redis://[[user]:password@]host[:port][/db] or rediss:// (TLS). In store mode the password is sealed at rest and shown as "(sealed)".' }, 'url-password'),
  command_timeout_ms: Type.Integer({ minimum: 5, maximum: 60000, default: 100, description: 'A command not answered in this time counts as Redis being down (the fail-open / fail-closed policies apply).' }),
  key_prefix: Type.String({ pattern: '^[A-Za-z0-9:._-]{0,64}$', default: 'portcullis:', description: 'Prefix of every key Portcullis writes (several installations can share one Redis).' }),
}, { additionalProperties: false });

export const GatewaySettingsSchema = Type.Object({
  max_body_bytes: Type.Integer({ minimum: 0, default: 16 * 1024 * 1024, description: 'Default request body limit (413 above); 0 = unlimited.' }),
  max_url_bytes: Type.Integer({ minimum: 256, maximum: 65536, default: 8192, description: 'Longest request target (414 above).' }),
  max_header_bytes: Type.Integer({ minimum: 1024, maximum: 1048576, default: 61440, description: 'Largest request header block (431 above). Takes effect on restart.' }),
  max_headers: Type.Integer({ minimum: 8, maximum: 1000, default: 100, description: 'Most request header fields (431 above).' }),
  headers_timeout_ms: Millis(10000, 'Time to receive the request headers (408 after).'),
  request_timeout_ms: Millis(300000, 'Time to receive the whole request (408 after).'),
  keep_alive_timeout_ms: Millis(60000, 'Idle client keep-alive timeout.'),
  max_connections: Type.Integer({ minimum: 1, default: 16384, description: 'Client connections per worker process.' }),
  trusted_proxies: Type.Array(Type.String(), { default: [], description: 'CIDRs whose X-Forwarded-* headers are believed.' }),
  http_engine: Type.Union([Type.Literal('node'), Type.Literal('fast')], { default: 'fast', description: 'HTTP/1.1 server of the proxy port: "node" (node:http for every request) or "fast" (the fast lane: simple requests without a body are parsed and answered by Portcullis itself, and a connection moves to node:http at its first other request; docs/proxying.md#http-engine). Takes effect on restart.' }),
  semicolon_paths: Type.Union([Type.Literal('reject'), Type.Literal('keep')], { default: 'reject', description: 'What to do with ";" in request paths.' }),
  access_log: Type.Boolean({ default: true, description: 'One JSON line per request on stdout.' }),
  drain_timeout_ms: Millis(25000, 'How long SIGTERM waits for in-flight requests.'),
  oauth2_server: Type.Object(OAuth2ServerSchema.properties, { additionalProperties: false, default: {}, description: 'The built-in OAuth2 authorization server (client-credentials grant).' }),
  redis: Type.Optional(Type.Object(RedisSettingsSchema.properties, { additionalProperties: false, description: 'Redis for counters and the shared cache (plugins choose it with `backend: redis`). Absent: only the in-process backends are available.' })),
}, { additionalProperties: false });

export const ConfigSchema = Type.Object({
  format_version: Type.Literal(1, { default: 1, description: 'Version of this file format.' }),
  gateway: Type.Object(GatewaySettingsSchema.properties, { additionalProperties: false, default: {}, description: 'Listener limits and behaviour of the data plane.' }),
  services: Type.Array(ServiceSchema, { default: [], description: 'Upstream APIs.' }),
  routes: Type.Array(RouteSchema, { default: [], description: 'Which requests go to which service.' }),
  plugins: Type.Array(PluginInstanceSchema, { default: [], description: 'Global plugin instances.' }),
  consumers: Type.Array(ConsumerSchema, { default: [], description: 'Applications and partners that call the APIs (their credentials live in the store only).' }),
  plans: Type.Array(PlanSchema, { default: [], description: 'Limits, quota and price that products are sold on.' }),
  products: Type.Array(ProductSchema, { default: [], description: 'Services sold together, with the plans they can be subscribed on.' }),
  subscriptions: Type.Array(SubscriptionSchema, { default: [], description: 'Consumer × product × plan.' }),
  trading_partners: Type.Array(TradingPartnerSchema, { default: [], description: 'Companies exchanging EDI documents through routes with the edi plugin.' }),
}, { additionalProperties: false });

export type PluginInstance = Static<typeof PluginInstanceSchema>;
export type ServiceConfig = Static<typeof ServiceSchema>;
export type SoapServiceConfig = Static<typeof SoapServiceSchema>;
export type RouteConfig = Static<typeof RouteSchema>;
export type RouteVersion = Static<typeof RouteVersionSchema>;
export type RouteWebSocket = Static<typeof RouteWebSocketSchema>;
export type GatewaySettings = Static<typeof GatewaySettingsSchema>;
export type OAuth2ServerSettings = Static<typeof OAuth2ServerSchema>;
export type Config = Static<typeof ConfigSchema>;
export type ActiveHealthCheck = Static<typeof ActiveHealthCheckSchema>;
export type PassiveHealthCheck = Static<typeof PassiveHealthCheckSchema>;
