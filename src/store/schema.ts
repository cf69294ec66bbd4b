// The store's tables as Kysely sees them: the typed query layer both dialects share.
import type { KindName } from '../core/entities/kinds.ts';

/** Columns every entity table has; `data` is the entity's JSON as the admin API shows it. */
export interface EntityRow {
  id: string;
  key: string;
  position: number;
  data: string;
  tags: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface RouteRow extends EntityRow { service: string | null }
export interface PluginRow extends EntityRow { plugin: string | null; scope: string | null; service: string | null; route: string | null }
export interface ConsumerRow extends EntityRow { custom_id: string | null }
export interface ProductRow extends EntityRow { status: string | null }
export interface SubscriptionRow extends EntityRow { consumer: string | null; product: string | null; plan: string | null; status: string | null }

export interface CredentialRow {
  id: string;
  consumer: string;
  type: string;
  /** What a request presents to find the credential: a SHA-256 of the API key, or the username. */
  lookup: string;
  secret_hash: string | null;
  display: string;
  data: string;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface AdminUserRow {
  id: string;
  name: string;
  email: string | null;
  role: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface AdminTokenRow {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  entity_key: string | null;
  before: string | null;
  after: string | null;
  request_id: string | null;
}

export interface SpecRow {
  id: string;
  service: string;
  format: string;
  title: string;
  version: string;
  content: string;
  created_at: string;
}

/** A signing key of the built-in OAuth2 server; the private JWK sealed under the master key. */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_sealed: string;
  /** Fingerprint of the master key that sealed it. */
  sealed_with: string;
  created_at: string;
  sign_from: string;
  sign_until: string;
  publish_until: string;
}

/** A revoked access token (RFC 7009), kept until the token would have expired anyway. */
export interface RevokedTokenRow {
  jti: string;
  client_id: string;
  expires_at: string;
  revoked_at: string;
}

/** Requests counted against one quota subject in one calendar period (all nodes together). */
export interface QuotaUsageRow {
  subject: string;
  /** ISO instants: the period is [period_start, period_end). */
  period_start: string;
  id: string;
  period_end: string;
  period: string;
  limit: number;
  used: number;
  consumer: string;
  plan: string | null;
  product: string | null;
  /** Highest threshold (percent) whose event was published: 0, 80 or 100. */
  notified: number;
  updated_at: string;
}

/** A fact the platform publishes (e.g. `quota.warning`), kept until delivery has taken it. */
export interface EventRow {
  id: string;
  type: string;
  subject: string | null;
  idempotency_key: string | null;
  /** JSON. */
  payload: string;
  created_at: string;
  published_at: string | null;
}

// Webhooks (schema 4). Booleans are 0/1 integers and JSON is text on both databases; times the
// worker schedules by are ms since the epoch, times people read are ISO text.
export interface WebhookEventTypeRow {
  id: string;
  name: string;
  description: string;
  schemas: string;
  example: string | null;
  platform: number;
  archived: number;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface WebhookApplicationRow {
  id: string;
  name: string;
  consumer: string | null;
  description: string;
  metadata: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface WebhookEndpointRow {
  id: string;
  application_id: string;
  url: string;
  description: string;
  event_types: string | null;
  channels: string | null;
  disabled: number;
  disabled_reason: string | null;
  allow_http: number;
  rate_limit: number | null;
  max_in_flight: number;
  headers: string;
  secrets: string;
  failing_since: number | string | null;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface WebhookMessageRow {
  id: string;
  application_id: string | null;
  event_type: string;
  event_id: string | null;
  channels: string | null;
  body: string;
  idempotency_key: string | null;
  idempotency_expires_at: number | string | null;
  created_at: string;
}

export interface WebhookDeliveryRow {
  id: string;
  message_id: string;
  endpoint_id: string;
  status: string;
  trigger: string;
  attempts: number;
  due_at: number | string;
  lease: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookAttemptRow {
  id: string;
  delivery_id: string;
  message_id: string;
  endpoint_id: string;
  attempt: number;
  trigger: string;
  outcome: string;
  status_code: number | null;
  error_code: string | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string;
  at: string;
}

export interface PortalUserRow {
  id: string;
  email: string;
  password_hash: string;
  email_verified_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface PortalSessionRow {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface PortalTokenRow {
  id: string;
  purpose: string;
  email: string;
  user_id: string | null;
  team_id: string | null;
  role: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface PortalTeamRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface PortalMemberRow {
  id: string;
  team_id: string;
  user_id: string;
  role: string;
  created_at: string;
  updated_at: string;
}

export interface PortalAppRow {
  id: string;
  team_id: string;
  consumer: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  version: number;
}

/** An invoice (migration 008); `lines` is the pricing engine's lines as JSON. */
export interface InvoiceRow {
  id: string;
  number: string;
  team_id: string;
  app_id: string;
  consumer: string;
  product: string;
  plan: string;
  period_start: string;
  period_end: string;
  currency: string;
  calls: number;
  billable_calls: number;
  lines: string;
  subtotal_minor: number;
  total_minor: number;
  status: 'open' | 'paid' | 'void';
  provider: string;
  provider_reference: string | null;
  created_at: string;
  updated_at: string;
  paid_at: string | null;
  voided_at: string | null;
  version: number;
}

export interface Database {
  schema_migrations: { version: number; name: string; applied_at: string };
  config_state: { id: number; revision: number; updated_at: string };
  settings: { key: string; data: string; updated_at: string };
  services: EntityRow;
  routes: RouteRow;
  plugins: PluginRow;
  consumers: ConsumerRow;
  plans: EntityRow;
  products: ProductRow;
  subscriptions: SubscriptionRow;
  trading_partners: EntityRow;
  edi_control_numbers: EdiControlNumberRow;
  credentials: CredentialRow;
  admin_users: AdminUserRow;
  admin_tokens: AdminTokenRow;
  audit_log: AuditRow;
  api_specs: SpecRow;
  signing_keys: SigningKeyRow;
  revoked_tokens: RevokedTokenRow;
  quota_usage: QuotaUsageRow;
  events: EventRow;
  webhook_event_types: WebhookEventTypeRow;
  webhook_applications: WebhookApplicationRow;
  webhook_endpoints: WebhookEndpointRow;
  webhook_messages: WebhookMessageRow;
  webhook_deliveries: WebhookDeliveryRow;
  webhook_attempts: WebhookAttemptRow;
  portal_users: PortalUserRow;
  portal_sessions: PortalSessionRow;
  portal_tokens: PortalTokenRow;
  portal_teams: PortalTeamRow;
  portal_members: PortalMemberRow;
  portal_apps: PortalAppRow;
  invoices: InvoiceRow;
  invoice_sequences: { scope: string; last: number };
  portal_branding: PortalBrandingRow;
  portal_pages: PortalPageRow;
}

/** The portal's branding (migration 009): one row, id "portal". The logo is base64 text. */
export interface PortalBrandingRow {
  id: string;
  name: string;
  primary_color: string;
  accent_color: string;
  logo_type: string | null;
  logo_data: string | null;
  logo_sha256: string | null;
  updated_at: string;
  version: number;
}

/** A custom portal page in Markdown (migration 009). `published` is 0 or 1. */
export interface PortalPageRow {
  id: string;
  slug: string;
  title: string;
  body: string;
  published: number;
  nav_order: number;
  created_at: string;
  updated_at: string;
  version: number;
}

export type EntityTable = 'services' | 'routes' | 'plugins' | 'consumers' | 'plans' | 'products' | 'subscriptions' | 'trading_partners';

/** The last outbound EDI control number issued per scope (migration 005). */
export interface EdiControlNumberRow { scope: string; last: number; updated_at: string }
export type KindTable = Record<KindName, EntityTable>;
export type Dialect = 'sqlite' | 'postgres';
