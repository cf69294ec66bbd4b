import Type, { type Static } from 'typebox';
import { HeaderNameSchema } from '../shared/schema.ts';

/** Upper case, as in route `methods`: CORS compares methods case-sensitively (Fetch standard). */
const Method = Type.String({ pattern: '^[A-Z]{1,20}$' });
/** An origin, a `*.` wildcard origin, a `~regex`, or `*` alone; parsed and checked in compile(). */
const OriginEntry = Type.String({ minLength: 1, maxLength: 1100 });

export const CorsSchema = Type.Object({
  origins: Type.Array(OriginEntry, { minItems: 1, maxItems: 256, description: 'Allowed origins: "https://app.example.com", "https://*.example.com", "~regex", or ["*"] for any origin.' }),
  methods: Type.Array(Method, { default: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'], maxItems: 64, description: 'Methods a preflight may ask for (case-sensitive).' }),
  headers: Type.Array(HeaderNameSchema, { default: [], maxItems: 256, description: 'Request headers a preflight may ask for; empty allows only CORS-safelisted ones.' }),
  exposed_headers: Type.Array(HeaderNameSchema, { default: [], maxItems: 256, description: 'Response headers scripts may read besides the CORS-safelisted ones.' }),
  credentials: Type.Boolean({ default: false, description: 'Allow cookies and HTTP authentication (Access-Control-Allow-Credentials).' }),
  max_age: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400, description: 'Seconds browsers may cache a preflight answer (Access-Control-Max-Age).' })),
  allow_null_origin: Type.Boolean({ default: false, description: 'Accept the opaque origin "null" (sandboxed iframes, file: pages).' }),
  preflight_continue: Type.Boolean({ default: false, description: 'Forward preflights upstream instead of answering them at the gateway.' }),
}, { additionalProperties: false });

export type CorsConfig = Static<typeof CorsSchema>;
