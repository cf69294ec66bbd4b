// Inbound: a partner's X12 or EDIFACT interchange → checked (syntax, envelope, partner, document
// types) → canonical JSON for the REST upstream. The acknowledgement, when wanted, is built here
// from what was received and sent once the upstream has taken the document.
import { build997, buildContrl } from '../../core/edi/ack.ts';
import { parseEdi, writeEdi } from '../../core/edi/index.ts';
import { EdiMappingError, controlNumberOf, friendlyOf, partiesOf, unitsOf, type PartyId } from '../../core/edi/mapping.ts';
import { partyKey } from '../../core/edi/partners.ts';
import { textOf } from '../../core/edi/segments.ts';
import { issueText, type EdiInterchange, type EdiIssue } from '../../core/edi/types.ts';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { withControlNumber } from './control-numbers.ts';
import { decodeEdi, mediaTypeOf, type AckMode, type EdiConf, type Partner } from './compile.ts';

export const X12_MEDIA = 'application/edi-x12';
export const EDIFACT_MEDIA = 'application/edifact';
const INBOUND_MEDIA = new Set([X12_MEDIA, EDIFACT_MEDIA, 'application/edi-edifact', 'text/plain']);

/** What the response phase does for this request (kept in ctx.vars). */
export interface InboundAnswer {
  readonly ack: string | undefined;
  readonly mediaType: string;
  readonly convert: boolean;
}
export const VAR = 'edi';

/** One entry of the problem's `errors` array. */
function errorItem(i: EdiIssue): Record<string, unknown> {
  const out: Record<string, unknown> = { reason: i.reason, segment: i.segment };
  if (i.segment_id !== undefined) out.segment_id = i.segment_id;
  if (i.element !== undefined) out.element = i.element;
  out.detail = issueText(i);
  return out;
}

const MAX_LISTED_ERRORS = 100;

export function invalid(issues: readonly EdiIssue[], extensions: Record<string, unknown> = {}): PluginResponse {
  const first = issues[0];
  const detail = first === undefined ? undefined : issues.length === 1 ? issueText(first) : `${issueText(first)} (and ${issues.length - 1} more)`;
  return { problem: 'edi-invalid-document', detail, extensions: { errors: issues.slice(0, MAX_LISTED_ERRORS).map(errorItem), ...extensions } };
}

const NOT_ALLOWED: PluginResponse = { problem: 'edi-partner-not-allowed' };

/**
 * Answers with `answer(ack)`, the acknowledgement of `doc` numbered from our sequence (we are its
 * sender: the receiver of what it acknowledges); a 503 instead when no number is to be had.
 */
function withAck(doc: EdiInterchange, issues: readonly EdiIssue[], answer: (ack: string) => PluginResponse | undefined): PluginResponse | undefined | Promise<PluginResponse | undefined> {
  return withControlNumber(doc.format, partiesOf(doc).receiver, (n) => {
    const numbers = { interchange: n, group: n };
    return answer(writeEdi(doc.format === 'x12' ? build997(doc, issues, numbers) : buildContrl(doc, issues, numbers)));
  });
}

/** A partner bound to a consumer sends only through requests authenticated as that consumer. */
export const authenticatedAs = (ctx: RequestContext, partner: Partner) => partner.consumer === undefined || (ctx.consumer !== undefined && ctx.anonymous !== true && ctx.consumer.id === partner.consumer);

const samePartyAs = (a: PartyId, b: PartyId | undefined) => b === undefined || (a.id === b.id && a.qualifier === b.qualifier);

export function inboundAccess(ctx: RequestContext, conf: EdiConf): PluginResponse | undefined | Promise<PluginResponse | undefined> {
  const media = mediaTypeOf(ctx.headers['content-type']);
  if (!INBOUND_MEDIA.has(media)) return { problem: 'edi-unsupported-media-type' };
  const body = ctx.requestBody;
  if (body === undefined || body.length === 0) return invalid([{ reason: 'truncated', segment: 1, message: 'the request has no body' }]);
  const parsed = parseEdi(decodeEdi(body));
  const doc = parsed.interchange;
  if (doc === undefined) return invalid(parsed.issues);
  if ((media === X12_MEDIA && doc.format !== 'x12') || (media !== X12_MEDIA && media !== 'text/plain' && doc.format !== 'edifact')) {
    return invalid([{ reason: 'envelope', segment: 1, segment_id: doc.header.id, message: `the body is ${doc.format === 'x12' ? 'X12' : 'EDIFACT'} but Content-Type says ${media}` }]);
  }
  // Who sent it decides everything else: an unknown sender learns nothing about the document.
  const { sender, receiver } = partiesOf(doc);
  const partner = conf.byIdentity.get(partyKey(doc.format, sender));
  if (partner === undefined || !samePartyAs(receiver, conf.identity[doc.format]) || !authenticatedAs(ctx, partner)) return NOT_ALLOWED;
  const units = unitsOf(doc);
  for (const u of units) {
    if (!partner.types.has(u.type) || (conf.routeTypes !== undefined && !conf.routeTypes.has(u.type))) return NOT_ALLOWED;
  }
  const ack: AckMode = conf.ack === 'partner' ? partner.ack : conf.ack;
  const mediaType = doc.format === 'x12' ? X12_MEDIA : EDIFACT_MEDIA;
  if (parsed.issues.length > 0) {
    if (ack === 'never') return invalid(parsed.issues);
    return withAck(doc, parsed.issues, (text) => invalid(parsed.issues, { acknowledgement: text, acknowledgement_type: mediaType }));
  }

  const out: Record<string, unknown> = {
    format: doc.format,
    partner: partner.name,
    sender,
    receiver,
    control_number: controlNumberOf(doc),
    test: doc.format === 'x12' ? textOf(doc.header.elements[14]) === 'T' : textOf(doc.header.elements[10]) === '1',
  };
  if (conf.forward !== 'generic') {
    try {
      out.documents = units.map((u) => friendlyOf(doc, u) ?? { document_type: u.type, control_number: u.control, segments: u.segments });
    } catch (err) {
      if (!(err instanceof EdiMappingError)) throw err;
      return invalid([{ reason: 'hierarchy', segment: err.segment, segment_id: err.segmentId, message: err.message }]);
    }
  }
  if (conf.forward !== 'friendly') out.interchange = doc;
  const json = Buffer.from(JSON.stringify(out));
  ctx.requestBody = json;
  // The body was read under this plugin's cap; its JSON form is forwarded whole, whatever its size.
  ctx.upstream.maxBodyBytes = 0;
  const h = ctx.upstream.headers;
  h['content-type'] = 'application/json';
  h['x-edi-partner'] = partner.name;
  h['x-edi-format'] = doc.format;
  h['x-edi-document-types'] = [...new Set(units.map((u) => u.type))].join(',');
  h['x-edi-interchange-control'] = controlNumberOf(doc);
  h['x-edi-control-numbers'] = units.slice(0, 50).map((u) => u.control).join(',');
  if (ack === 'always') {
    return withAck(doc, [], (text) => {
      ctx.vars[VAR] = { ack: text, mediaType, convert: conf.convertResponse } satisfies InboundAnswer;
      return undefined;
    });
  }
  if (conf.convertResponse) ctx.vars[VAR] = { ack: undefined, mediaType, convert: true } satisfies InboundAnswer;
  return undefined;
}
