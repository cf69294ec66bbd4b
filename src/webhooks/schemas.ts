// What the webhook API accepts: one schema per input, used to validate requests (with defaults)
// and to describe them in the admin OpenAPI document.
import Type, { type Static } from 'typebox';

const EventTypeName = Type.String({ pattern: '^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$', maxLength: 128, description: 'Full-stop delimited, e.g. `shipment.delivered`.' });
const AppName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Unique name of the application (letters, digits, ".", "_", "-").' });
const Channel = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' });
const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,128}$' });

export const EventTypeInputSchema = Type.Object({
  name: EventTypeName,
  description: Type.String({ maxLength: 2000, default: '' }),
  schemas: Type.Record(Type.String({ pattern: '^[0-9]{1,6}$' }), Type.Object({}, { additionalProperties: true }), { default: {}, description: 'JSON Schema (2020-12) of the payload per version: {"1": {...}}. Publishing validates against the latest unless `schema_version` says otherwise. Empty: any payload.' }),
  example: Type.Optional(Type.Unknown({ description: 'An example payload (what test-send sends).' })),
  archived: Type.Boolean({ default: false, description: 'Archived types cannot be published; endpoints keep their filters.' }),
}, { additionalProperties: false });
export type EventTypeInputBody = Static<typeof EventTypeInputSchema>;

export const ApplicationInputSchema = Type.Object({
  name: AppName,
  consumer: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The consumer this application belongs to (its platform events reach it too).' })),
  description: Type.String({ maxLength: 2000, default: '' }),
  metadata: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }), { default: {}, maxProperties: 32 }),
}, { additionalProperties: false });
export type ApplicationInputBody = Static<typeof ApplicationInputSchema>;

export const EndpointInputSchema = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'Where deliveries are POSTed. https unless `allow_http`; never a loopback, private, link-local or metadata address unless the node allows that network (PORTCULLIS_WEBHOOK_ALLOW_NETWORKS).' }),
  description: Type.String({ maxLength: 2000, default: '' }),
  event_types: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*(\\.\\*)?$', maxLength: 130 }), { minItems: 1, maxItems: 256, uniqueItems: true, description: 'Event types to receive (`shipment.*` = every type under shipment). Absent: all.' })),
  channels: Type.Optional(Type.Array(Channel, { minItems: 1, maxItems: 64, uniqueItems: true, description: 'Receive only messages published on one of these channels. Absent: every message.' })),
  disabled: Type.Boolean({ default: false }),
  allow_http: Type.Boolean({ default: false, description: 'Allow a plain http:// URL (signatures still protect integrity, not confidentiality).' }),
  rate_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Deliveries per second at most. Absent: no limit.' })),
  max_in_flight: Type.Integer({ minimum: 1, maximum: 1000, default: 16, description: 'Deliveries sent to this endpoint at once at most (per worker).' }),
  headers: Type.Record(HeaderName, Type.String({ maxLength: 4096 }), { default: {}, maxProperties: 32, description: 'Extra request headers (the webhook-*, content-type, host and user-agent headers cannot be set).' }),
  secret: Type.Optional(Type.String({ description: 'The signing secret (`whsec_` + base64 of 24-64 bytes). Absent: a random one is made.' })),
}, { additionalProperties: false });
export type EndpointInputBody = Static<typeof EndpointInputSchema>;

export const PublishSchema = Type.Object({
  event_type: EventTypeName,
  payload: Type.Unknown({ description: 'The event data (the envelope\'s `data`), validated against the event type\'s schema.' }),
  application: Type.Optional(Type.String({ description: 'Application id or name. Absent: broadcast to every application.' })),
  channels: Type.Optional(Type.Array(Channel, { maxItems: 16, uniqueItems: true })),
  event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Your id of the event: publishing it again within 24 h returns the first message.' })),
  schema_version: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
}, { additionalProperties: false });
export type PublishBody = Static<typeof PublishSchema>;

export const RotateSchema = Type.Object({
  overlap_seconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old secret keeps signing too (0: stops now).' }),
  secret: Type.Optional(Type.String({ description: 'The new secret (default: a random one).' })),
}, { additionalProperties: false });

export const ReplaySchema = Type.Object({
  since: Type.String({ format: 'date-time', description: 'Messages created at or after this instant.' }),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  mode: Type.Union([Type.Literal('failed'), Type.Literal('all')], { default: 'failed', description: 'failed: messages the endpoint has not received (failed, dead-lettered, or never sent, e.g. while disabled); all: every matching message again.' }),
}, { additionalProperties: false });

export const ResendSchema = Type.Object({
  endpoint: Type.Optional(Type.String({ description: 'Only to this endpoint (default: every endpoint the message went to).' })),
}, { additionalProperties: false });

export const TestSendSchema = Type.Object({
  event_type: Type.Optional(EventTypeName),
  payload: Type.Optional(Type.Unknown({ description: 'Default: the event type\'s example.' })),
}, { additionalProperties: false });
