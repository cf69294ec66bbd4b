// The namespace-resolved element tree the safe parser returns, and small readers for it.

export interface XmlElement {
  /** The qualified name as written ("soap:Envelope"). */
  readonly name: string;
  /** The local part ("Envelope"). */
  readonly local: string;
  /** The namespace URI the prefix (or default namespace) resolves to; "" for none. */
  readonly ns: string;
  /** Attributes by qualified name, values entity-decoded (namespace declarations included). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Child elements in document order. */
  readonly children: readonly XmlElement[];
  /** The element's own text (text nodes and CDATA concatenated), entity-decoded. */
  readonly text: string;
  /** Resolves a prefix in scope at this element (for QName attribute values such as type="s:int"). */
  readonly lookupNamespace: (prefix: string) => string | undefined;
}

export function childrenNamed(el: XmlElement, ns: string, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local && c.ns === ns);
}

export function firstChild(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local && c.ns === ns);
}

/** An attribute's QName value ("tns:Add") resolved to namespace + local part. */
export function resolveQName(el: XmlElement, value: string): { ns: string; local: string } {
  const colon = value.indexOf(':');
  if (colon === -1) return { ns: el.lookupNamespace('') ?? '', local: value };
  return { ns: el.lookupNamespace(value.slice(0, colon)) ?? '', local: value.slice(colon + 1) };
}
