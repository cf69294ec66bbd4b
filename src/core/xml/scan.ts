// One linear pass over an XML document that refuses what must never reach a parser: any DTD
// (so no external entities, parameter entities or entity expansion), processing instructions
// other than the XML declaration, and documents past the structural limits (depth, element and
// attribute counts, attribute and text lengths: the "quadratic blow-up" shapes). It does not
// check well-formedness in full; the parser does that afterwards, on a document now known to be small.
import { refusal, type XmlLimits, type XmlRefusal } from './limits.ts';

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f, EQ = 0x3d, DQ = 0x22, SQ = 0x27;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Returns undefined when the document is within the limits, else the refusal. */
export function scanXml(text: string, limits: XmlLimits): XmlRefusal | undefined {
  const n = text.length;
  let depth = 0;
  let elements = 0;
  let i = 0;
  let textStart = 0;
  let sawRoot = false;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd - textStart > limits.maxTextLength) return refusal('xml-too-large', `a text node is longer than ${limits.maxTextLength} characters`);
    if (lt === -1) break;
    const next = text.charCodeAt(lt + 1);
    if (next === BANG) {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end === -1) return refusal('xml-malformed', 'unterminated comment');
        i = textStart = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', lt)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end === -1) return refusal('xml-malformed', 'unterminated CDATA section');
        if (end - (lt + 9) > limits.maxTextLength) return refusal('xml-too-large', `a CDATA section is longer than ${limits.maxTextLength} characters`);
        i = end + 3;
        textStart = i;
        continue;
      }
      // <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST, <!NOTATION: any markup declaration is a DTD.
      return refusal('xml-forbidden', 'document type declarations (DTDs) and entity declarations are not allowed');
    }
    if (next === QUESTION) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) return refusal('xml-malformed', 'unterminated processing instruction');
      const target = /^[^\s?]*/.exec(text.slice(lt + 2, Math.min(end, lt + 2 + 8)))![0];
      // Only the XML declaration, and only at the very start (a BOM aside).
      const atStart = lt === 0 || (lt === 1 && text.charCodeAt(0) === 0xfeff);
      if (target !== 'xml' || !atStart) return refusal('xml-forbidden', 'processing instructions are not allowed');
      i = textStart = end + 2;
      continue;
    }
    if (next === SLASH) {
      const end = text.indexOf('>', lt + 2);
      if (end === -1) return refusal('xml-malformed', 'unterminated end tag');
      depth--;
      if (depth < 0) return refusal('xml-malformed', 'end tag without a start tag');
      i = textStart = end + 1;
      continue;
    }
    // A start tag: name, attributes (quoted values may contain ">"), then ">" or "/>".
    if (depth === 0 && sawRoot) return refusal('xml-malformed', 'more than one root element');
    sawRoot = true;
    let j = lt + 1;
    while (j < n && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== GT && text.charCodeAt(j) !== SLASH) j++;
    if (j - (lt + 1) > limits.maxNameLength) return refusal('xml-too-large', `an element name is longer than ${limits.maxNameLength} characters`);
    if (j === lt + 1) return refusal('xml-malformed', 'empty element name');
    let attributes = 0;
    let selfClosing = false;
    let closed = false;
    let nameStart = -1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === DQ || c === SQ) {
        // One pass over the value, stopping at the limit: never a search past its end.
        const start = j + 1;
        let k = start;
        for (; k < n; k++) {
          const v = text.charCodeAt(k);
          if (v === c) break;
          if (v === LT) return refusal('xml-malformed', '"<" in an attribute value');
          if (k - start >= limits.maxAttributeLength) return refusal('xml-too-large', `an attribute value is longer than ${limits.maxAttributeLength} characters`);
        }
        if (k >= n) return refusal('xml-malformed', 'unterminated attribute value');
        j = k + 1;
        continue;
      }
      if (c === EQ) {
        if (nameStart !== -1 && j - nameStart > limits.maxNameLength) return refusal('xml-too-large', `an attribute name is longer than ${limits.maxNameLength} characters`);
        nameStart = -1;
        attributes++;
        if (attributes > limits.maxAttributes) return refusal('xml-too-large', `an element has more than ${limits.maxAttributes} attributes`);
      } else if (c === GT) {
        selfClosing = text.charCodeAt(j - 1) === SLASH;
        closed = true;
        break;
      } else if (!isSpace(c) && nameStart === -1) nameStart = j;
      else if (isSpace(c)) { /* between tokens */ }
      j++;
    }
    if (!closed) return refusal('xml-malformed', 'unterminated start tag');
    elements++;
    if (elements > limits.maxElements) return refusal('xml-too-large', `the document has more than ${limits.maxElements} elements`);
    if (!selfClosing) {
      depth++;
      if (depth > limits.maxDepth) return refusal('xml-too-large', `elements are nested deeper than ${limits.maxDepth} levels`);
    }
    i = textStart = j + 1;
  }
  if (!sawRoot) return refusal('xml-malformed', 'no root element');
  if (depth !== 0) return refusal('xml-malformed', 'unclosed elements at the end of the document');
  return undefined;
}
