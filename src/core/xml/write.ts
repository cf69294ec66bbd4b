// Writing XML: every text and attribute value goes through these escapes, so data can never
// become markup. Names are checked against the XML Name production (a name we write comes from
// a WSDL or config, never from a client, but a bad one must fail loudly rather than inject).

const NAME = /^[A-Za-z_][A-Za-z0-9._-]*(:[A-Za-z_][A-Za-z0-9._-]*)?$/;
// Characters XML 1.0 cannot carry at all (even escaped): C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isXmlName(name: string): boolean {
  return NAME.test(name);
}

/** Whether a string can be carried in an XML 1.0 document. */
export function isXmlText(value: string): boolean {
  return !INVALID.test(value);
}

export function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

const ATTR_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/** A node to serialise: an element with attributes and children, or text. */
export type XmlNode = string | { readonly name: string; readonly attributes?: Readonly<Record<string, string>>; readonly children?: readonly XmlNode[] };

/** Serialises nodes; throws on an invalid name or a character XML cannot carry. */
export function writeXml(node: XmlNode): string {
  if (typeof node === 'string') {
    if (!isXmlText(node)) throw new Error('text contains a character XML 1.0 cannot carry');
    return escapeText(node);
  }
  if (!isXmlName(node.name)) throw new Error(`invalid XML name "${node.name}"`);
  let out = `<${node.name}`;
  for (const [k, v] of Object.entries(node.attributes ?? {})) {
    if (!isXmlName(k)) throw new Error(`invalid XML attribute name "${k}"`);
    if (!isXmlText(v)) throw new Error('an attribute contains a character XML 1.0 cannot carry');
    out += ` ${k}="${escapeAttribute(v)}"`;
  }
  const children = node.children ?? [];
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (const c of children) out += writeXml(c);
  return `${out}</${node.name}>`;
}
