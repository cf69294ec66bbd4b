// Hard limits for untrusted XML (SOAP envelopes, WSDL documents). They are checked by a linear
// scan BEFORE the parser builds anything, so a hostile document costs one pass over its bytes.

export interface XmlLimits {
  /** Largest document, in bytes (UTF-8). */
  readonly maxBytes: number;
  /** Deepest element nesting. */
  readonly maxDepth: number;
  /** Most elements in the whole document. */
  readonly maxElements: number;
  /** Most attributes (namespace declarations included) on one element. */
  readonly maxAttributes: number;
  /** Longest attribute value, in characters (before entity decoding). */
  readonly maxAttributeLength: number;
  /** Longest run of text (or CDATA) between two tags, in characters. */
  readonly maxTextLength: number;
  /** Longest element or attribute name. */
  readonly maxNameLength: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxElements: 10_000,
  maxAttributes: 64,
  maxAttributeLength: 8 * 1024,
  maxTextLength: 256 * 1024,
  maxNameLength: 256,
});

/** Limits for WSDL documents: larger and more elements than a message, same structure rules. */
export const WSDL_XML_LIMITS: XmlLimits = Object.freeze({
  ...DEFAULT_XML_LIMITS,
  maxBytes: 5 * 1024 * 1024,
  maxElements: 200_000,
});

/** Why a document was refused: the problem code and a detail that never quotes the document. */
export interface XmlRefusal {
  readonly ok: false;
  readonly code: 'xml-forbidden' | 'xml-too-large' | 'xml-malformed';
  readonly detail: string;
}

export function refusal(code: XmlRefusal['code'], detail: string): XmlRefusal {
  return { ok: false, code, detail };
}
