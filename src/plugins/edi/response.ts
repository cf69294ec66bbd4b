// The answer side. Inbound: a 2xx from the upstream is replaced by the acknowledgement (when the
// partner wants one), or a canonical JSON answer is written as EDI (convert_response). Outbound:
// the partner's EDI answer becomes canonical JSON (convert_response). Other answers pass unchanged.
import { parseEdi, writeEdi } from '../../core/edi/index.ts';
import { EdiMappingError, friendlyOf, unitsOf } from '../../core/edi/mapping.ts';
import { EdiInterchangeSchema } from '../../core/edi/schema.ts';
import { EdiWriteError } from '../../core/edi/segments.ts';
import type { EdiInterchange } from '../../core/edi/types.ts';
import { validate } from '../../core/config/validate.ts';
import { problemJson } from '../../core/errors/problem.ts';
import { removeHeader, type RequestContext } from '../../core/pipeline/context.ts';
import { MAX_JSON_DEPTH, decodeEdi, mediaTypeOf, nestedDeeperThan, type EdiConf } from './compile.ts';
import { VAR, type InboundAnswer } from './inbound.ts';

function replaceWith(ctx: RequestContext, contentType: string, body: string, status?: number): Buffer {
  const r = ctx.response!;
  if (status !== undefined) r.status = status;
  r.headers['content-type'] = contentType;
  removeHeader(r.headers, 'content-encoding');
  return Buffer.from(body, 'utf8');
}

function notConvertible(ctx: RequestContext, detail: string): Buffer {
  ctx.log.warn({ plugin: 'edi', detail }, 'upstream answer not convertible');
  return replaceWith(ctx, 'application/problem+json', problemJson('edi-response-not-convertible', { instance: ctx.path, requestId: ctx.id }), 502);
}

export function responseBody(ctx: RequestContext, conf: EdiConf, body: Buffer): Buffer | undefined {
  const r = ctx.response;
  if (r === undefined || r.status < 200 || r.status > 299) return undefined;
  if (r.headers['content-encoding'] !== undefined && r.headers['content-encoding'] !== 'identity') return undefined; // not ours to decode
  if (conf.direction === 'outbound') {
    if (!conf.convertResponse || body.length === 0) return undefined;
    const parsed = parseEdi(decodeEdi(body));
    const doc = parsed.interchange;
    if (doc === undefined || parsed.issues.length > 0) return undefined; // not EDI (or not valid): passed as it is
    let documents: unknown[];
    try {
      documents = unitsOf(doc).map((u) => friendlyOf(doc, u) ?? { document_type: u.type, control_number: u.control, segments: u.segments });
    } catch (err) {
      if (err instanceof EdiMappingError) return undefined; // passed as it is
      throw err;
    }
    return replaceWith(ctx, 'application/json', JSON.stringify({ format: doc.format, documents, interchange: doc }));
  }
  const plan = ctx.vars[VAR] as InboundAnswer | undefined;
  if (plan === undefined) return undefined;
  if (plan.ack !== undefined) return replaceWith(ctx, plan.mediaType, plan.ack);
  if (!plan.convert || mediaTypeOf(r.headers['content-type']) !== 'application/json') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return notConvertible(ctx, 'the upstream answer is not JSON');
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) return notConvertible(ctx, 'the upstream answer nests too deep');
  const v = validate<EdiInterchange>(EdiInterchangeSchema, value);
  if (!v.ok) return notConvertible(ctx, 'the upstream answer is not a canonical interchange');
  try {
    const text = writeEdi(v.value);
    if (parseEdi(text).issues.length > 0) return notConvertible(ctx, 'the upstream interchange does not add up');
    return replaceWith(ctx, v.value.format === 'x12' ? 'application/edi-x12' : 'application/edifact', text);
  } catch (err) {
    if (err instanceof EdiWriteError) return notConvertible(ctx, err.message);
    throw err;
  }
}
