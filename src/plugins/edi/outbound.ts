// Outbound: canonical JSON from a client → an X12 or EDIFACT interchange for the partner's endpoint.
// Either a whole generic interchange (written as given, then checked like an inbound one), or
// documents the gateway envelopes with our identity and fresh control numbers.
import { envelopeEdifact, envelopeX12, x12GroupCount } from '../../core/edi/envelope.ts';
import { parseEdi, writeEdi } from '../../core/edi/index.ts';
import { controlNumberOf, partiesOf, unitsOf } from '../../core/edi/mapping.ts';
import { partyKey } from '../../core/edi/partners.ts';
import { EdiInterchangeSchema, OutboundDocumentsSchema, type OutboundDocuments } from '../../core/edi/schema.ts';
import { EdiWriteError } from '../../core/edi/segments.ts';
import type { EdiInterchange } from '../../core/edi/types.ts';
import { validate } from '../../core/config/validate.ts';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { withControlNumbers } from './control-numbers.ts';
import { MAX_JSON_DEPTH, mediaTypeOf, nestedDeeperThan, type EdiConf, type Partner } from './compile.ts';
import { EDIFACT_MEDIA, X12_MEDIA, invalid } from './inbound.ts';

const NOT_ALLOWED: PluginResponse = { problem: 'edi-partner-not-allowed' };
const jsonIssue = (message: string) => invalid([{ reason: 'json', segment: 0, message }]);

export function outboundAccess(ctx: RequestContext, conf: EdiConf): PluginResponse | undefined | Promise<PluginResponse | undefined> {
  if (mediaTypeOf(ctx.headers['content-type']) !== 'application/json') return { problem: 'edi-unsupported-media-type', detail: 'Send the documents as application/json.' };
  let input: unknown;
  try {
    input = JSON.parse((ctx.requestBody ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    return jsonIssue('the body is not JSON');
  }
  if (nestedDeeperThan(input, MAX_JSON_DEPTH)) return jsonIssue(`the JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  const whole = input !== null && typeof input === 'object' && 'header' in input;
  if (whole) {
    const v = validate<EdiInterchange>(EdiInterchangeSchema, input);
    if (!v.ok) return jsonIssue(`not a canonical interchange: ${v.issues.slice(0, 3).map((i) => `${i.pointer || '/'} ${i.message}`).join('; ')}`);
    const doc = v.value;
    const { sender, receiver } = partiesOf(doc);
    // Envelopes leave with our identity only: a client may not write someone else's sender id.
    const ours = conf.identity[doc.format];
    if (ours === undefined || partyKey(doc.format, sender) !== partyKey(doc.format, ours)) return jsonIssue(`the interchange's sender is not this route's ${doc.format} identity`);
    return send(ctx, conf, doc, conf.byIdentity.get(partyKey(doc.format, receiver)));
  }
  const v = validate<OutboundDocuments>(OutboundDocumentsSchema, input);
  if (!v.ok) return jsonIssue(`not an outbound document list: ${v.issues.slice(0, 3).map((i) => `${i.pointer || '/'} ${i.message}`).join('; ')}`);
  const partner = conf.byName.get(v.value.partner);
  if (partner === undefined) return NOT_ALLOWED;
  const format = v.value.format ?? (partner.x12 !== undefined ? 'x12' : 'edifact');
  const receiver = partner[format];
  const sender = conf.identity[format];
  if (receiver === undefined) return NOT_ALLOWED;
  if (sender === undefined) return jsonIssue(`this route has no ${format} identity to send from`);
  const documents = v.value.documents;
  // The interchange and its first group take the next number of our sender's sequence, each further
  // group one more: no group control number is used twice either.
  return withControlNumbers(format, sender, format === 'x12' ? x12GroupCount(documents) : 1, (ns) => {
    const envelope = { sender, receiver, documents, interchange: ns[0]!, groups: ns, test: conf.test, now: new Date() };
    const built = format === 'x12' ? envelopeX12(envelope) : envelopeEdifact(envelope);
    if (typeof built === 'string') return jsonIssue(built);
    return send(ctx, conf, built, partner);
  });
}

/** The interchange written as EDI, checked, and made the request to the partner's endpoint. */
function send(ctx: RequestContext, conf: EdiConf, doc: EdiInterchange, partner: Partner | undefined): PluginResponse | undefined {
  // No consumer check here: the route's own authentication decides who may send to partners.
  if (partner === undefined) return NOT_ALLOWED;
  const types = unitsOf(doc).map((u) => u.type);
  if (types.some((t) => !partner.types.has(t) || (conf.routeTypes !== undefined && !conf.routeTypes.has(t)))) return NOT_ALLOWED;
  let text: string;
  try {
    text = writeEdi(doc);
  } catch (err) {
    if (err instanceof EdiWriteError) return jsonIssue(err.message);
    throw err;
  }
  // What goes out is held to the same checks as what comes in: counts, control numbers, delimiters.
  const check = parseEdi(text);
  if (check.issues.length > 0) return invalid(check.issues);
  ctx.requestBody = Buffer.from(text, 'utf8');
  ctx.upstream.maxBodyBytes = 0;
  ctx.upstream.headers['content-type'] = doc.format === 'x12' ? X12_MEDIA : EDIFACT_MEDIA;
  ctx.answerHeaders = { ...ctx.answerHeaders, 'x-edi-partner': partner.name, 'x-edi-interchange-control': controlNumberOf(doc) };
  return undefined;
}
