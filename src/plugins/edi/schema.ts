import Type from 'typebox';

const X12Id = Type.Object({
  qualifier: Type.String({ pattern: '^[A-Za-z0-9]{2}$' }),
  id: Type.String({ pattern: '^[A-Za-z0-9][ -~]{0,14}$' }),
}, { additionalProperties: false });
const EdifactId = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][ -~]{0,34}$' }),
  qualifier: Type.String({ pattern: '^[A-Za-z0-9]{0,4}$', default: '' }),
}, { additionalProperties: false });
const Identity = Type.Object({
  x12: Type.Optional(X12Id),
  edifact: Type.Optional(EdifactId),
}, { additionalProperties: false });

export const EdiSchema = Type.Object({
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')], { default: 'inbound', description: 'inbound: partners send EDI, the upstream gets JSON. outbound: the client sends JSON, the upstream (the partner\u2019s endpoint) gets EDI.' }),
  identity: Type.Object(Identity.properties, { additionalProperties: false, default: {}, description: 'Our own interchange identity: inbound, the receiver every interchange must name (when set); outbound, the sender written into envelopes (required for the syntax used).' }),
  document_types: Type.Array(Type.String({ pattern: '^([0-9]{3}|[A-Z]{6})$' }), { default: [], uniqueItems: true, maxItems: 100, description: 'Document types this route takes (empty: whatever the partner may send).' }),
  forward: Type.Union([Type.Literal('friendly'), Type.Literal('generic'), Type.Literal('both')], { default: 'friendly', description: 'Inbound: the JSON forwarded upstream: the friendly per-document mapping, the generic lossless form (to write the document back exactly), or both (about twice the size).' }),
  acknowledgement: Type.Union([Type.Literal('partner'), Type.Literal('always'), Type.Literal('on-error'), Type.Literal('never')], { default: 'partner', description: 'Inbound: when to answer with a 997 / CONTRL; "partner" follows the trading partner\u2019s setting.' }),
  convert_response: Type.Boolean({ default: false, description: 'Inbound: a 2xx JSON answer holding a generic interchange is sent to the partner as EDI (when no acknowledgement replaces it). Outbound: an EDI answer from the partner is turned into canonical JSON.' }),
  test: Type.Boolean({ default: false, description: 'Outbound: mark generated interchanges as test data (ISA15 T, UNB11 1).' }),
  max_body_bytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 8 * 1024 * 1024, description: 'Largest request body read (413 above); the answer to convert is held to the same limit.' }),
}, { additionalProperties: false });
