// The one way Portcullis parses untrusted XML: the linear safety scan (no DTDs, limits), then
// fast-xml-parser's validator and parser on a document now known to be bounded, then namespace
// resolution. Entities are decoded here, not by the parser: only the five predefined ones and
// numeric character references exist (there is no DTD to declare others).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DEFAULT_XML_LIMITS, refusal, type XmlLimits, type XmlRefusal } from './limits.ts';
import { scanXml } from './scan.ts';
import type { XmlElement } from './tree.ts';

export type XmlParseResult = { readonly ok: true; readonly root: XmlElement } | XmlRefusal;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  allowBooleanAttributes: false,
});

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class EntityError extends Error {}

/** Decodes the predefined entities and character references; anything else is an error. */
export function decodeEntities(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(/&(?:([^;&\s]{0,12});)?/g, (_m, ref: string | undefined) => {
    if (ref === undefined) throw new EntityError('a bare "&" (not an entity or character reference)');
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!/^#(x[0-9A-Fa-f]+|[0-9]+)$/.test(ref) || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new EntityError('invalid character reference');
      return String.fromCodePoint(code);
    }
    const v = PREDEFINED[ref];
    if (v === undefined) throw new EntityError('reference to an undeclared entity');
    return v;
  });
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Parses an untrusted XML document (a string or UTF-8 bytes) under the limits. */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlParseResult {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > limits.maxBytes) return refusal('xml-too-large', `the document is larger than ${limits.maxBytes} bytes`);
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const refused = scanXml(text, limits);
  if (refused) return refused;
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  // The validator's message may quote names from the document: report the position only.
  if (valid !== true) return refusal('xml-malformed', `the document is not well-formed XML (line ${valid.err.line}, column ${valid.err.col})`);
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch {
    return refusal('xml-malformed', 'the document is not well-formed XML');
  }
  const rootNode = nodes.find((n) => elementName(n) !== undefined);
  if (rootNode === undefined) return refusal('xml-malformed', 'no root element');
  try {
    const root = build(rootNode, new Map([['xml', XML_NS]]));
    if (typeof root === 'string') return refusal('xml-malformed', root);
    return { ok: true, root };
  } catch (err) {
    if (err instanceof EntityError) return refusal('xml-malformed', err.message);
    throw err;
  }
}

function elementName(node: OrderedNode): string | undefined {
  for (const key in node) if (key !== ':@' && key !== '#text') return key;
  return undefined;
}

function build(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement | string {
  const name = elementName(node)!;
  const rawAttrs = node[':@'] ?? {};
  const attributes: Record<string, string> = {};
  let inScope: Map<string, string> | undefined;
  for (const key in rawAttrs) {
    const value = decodeEntities(String(rawAttrs[key]));
    attributes[key] = value;
    if (key === 'xmlns' || key.startsWith('xmlns:')) (inScope ??= new Map(scope)).set(key === 'xmlns' ? '' : key.slice(6), value);
  }
  const names: ReadonlyMap<string, string> = inScope ?? scope;
  const colon = name.indexOf(':');
  const prefix = colon === -1 ? '' : name.slice(0, colon);
  const ns = names.get(prefix);
  if (ns === undefined && prefix !== '') return 'an element uses an undeclared namespace prefix';
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[name] as OrderedNode[] | undefined) ?? []) {
    if ('#text' in child) { text += decodeEntities(String(child['#text'])); continue; }
    const built = build(child, names);
    if (typeof built === 'string') return built;
    children.push(built);
  }
  return {
    name,
    local: colon === -1 ? name : name.slice(colon + 1),
    ns: ns ?? '',
    attributes,
    children,
    text,
    lookupNamespace: (p: string) => names.get(p),
  };
}
