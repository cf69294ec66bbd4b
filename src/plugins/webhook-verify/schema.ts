import Type, { type Static } from 'typebox';
import { SecretString } from '../../core/config/secret-fields.ts';

export const WebhookVerifySchema = Type.Object({
  scheme: Type.Union([Type.Literal('standard'), Type.Literal('github'), Type.Literal('stripe')], {
    default: 'standard',
    description: 'standard: Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature; Svix\'s svix-* names too); github: X-Hub-Signature-256; stripe: Stripe-Signature.',
  }),
  secrets: Type.Array(SecretString({ minLength: 1, maxLength: 1024 }), {
    minItems: 1, maxItems: 8,
    description: 'Signing secrets; a request signed with any one of them passes (rotation). standard: whsec_ + base64 of 24-64 bytes; github and stripe: the secret as given (at least 16 characters).',
  }),
  tolerance_seconds: Type.Integer({
    minimum: 1, maximum: 86_400, default: 300,
    description: 'Signed timestamps older than this, or this far ahead of the gateway clock, are refused (standard, stripe). Also sets how long message ids are remembered: 2 × this + 60 s (github, which signs no timestamp, relies on that memory alone).',
  }),
  replay_protection: Type.Boolean({ default: true, description: 'Refuse a message already received within the replay window (409). Ids are recorded only after the signature verified.' }),
  backend: Type.Union([Type.Literal('local'), Type.Literal('redis')], { default: 'local', description: 'Where received message ids are remembered. local: this node (all its workers); redis: gateway.redis (every node).' }),
  fail: Type.Union([Type.Literal('open'), Type.Literal('closed')], { default: 'open', description: 'When the replay memory cannot answer (Redis down or slow): open remembers on this node instead; closed answers 503.' }),
  max_body_bytes: Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest body read for verification; larger bodies get 413 and never reach the upstream.' }),
}, { additionalProperties: false });

export type WebhookVerifyConfig = Static<typeof WebhookVerifySchema>;
