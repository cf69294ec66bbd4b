// JSON request body → the operation's request element, per the element model: members become
// elements in sequence order, values are checked against their XSD type, and every violation is
// reported with a JSON pointer (never the value: it may be large or secret).
import { isXmlText, type XmlNode } from '../../core/xml/index.ts';
import type { ElementModel } from './model.ts';
import type { XsdType } from './schema.ts';

export interface Violation {
  readonly pointer: string;
  readonly message: string;
}

const MAX_VIOLATIONS = 20;
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

const escapePointer = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1');

const INTEGER_RANGES: Partial<Record<XsdType, readonly [number, number]>> = {
  byte: [-128, 127], short: [-32768, 32767], int: [-2147483648, 2147483647],
  unsignedByte: [0, 255], unsignedShort: [0, 65535], unsignedInt: [0, 4294967295],
  nonNegativeInteger: [0, Number.MAX_SAFE_INTEGER], positiveInteger: [1, Number.MAX_SAFE_INTEGER],
  nonPositiveInteger: [Number.MIN_SAFE_INTEGER, 0], negativeInteger: [Number.MIN_SAFE_INTEGER, -1],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], integer: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  unsignedLong: [0, Number.MAX_SAFE_INTEGER],
};
const DECIMALS = new Set<XsdType>(['decimal', 'float', 'double']);
const DATE_PATTERNS: Partial<Record<XsdType, RegExp>> = {
  date: /^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$/,
  dateTime: /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/,
  time: /^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/,
};

/** What the JSON type of a simple XSD type is, for messages and the generated OpenAPI. */
export function jsonTypeOf(type: XsdType): 'boolean' | 'integer' | 'number' | 'string' {
  if (type === 'boolean') return 'boolean';
  if (INTEGER_RANGES[type] !== undefined) return 'integer';
  if (DECIMALS.has(type)) return 'number';
  return 'string';
}

class Collector {
  readonly list: Violation[] = [];
  add(pointer: string, message: string): void {
    if (this.list.length < MAX_VIOLATIONS) this.list.push({ pointer, message });
  }
}

/**
 * The request element for a JSON body (an object holding the request element's fields), or the
 * violations. Elements carry their namespace as a default-namespace declaration where it changes.
 */
export function requestElement(model: ElementModel, body: unknown): { ok: true; node: XmlNode } | { ok: false; violations: Violation[] } {
  const errors = new Collector();
  if (model.fields === undefined) {
    errors.add('', 'the operation takes a single value, but mediation needs a complex request element');
    return { ok: false, violations: errors.list };
  }
  const node = complexNode(model, body, '', '', errors, true);
  return errors.list.length === 0 && node !== undefined ? { ok: true, node } : { ok: false, violations: errors.list };
}

function complexNode(model: ElementModel, value: unknown, pointer: string, parentNs: string, errors: Collector, root = false): XmlNode | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.add(pointer, 'must be an object');
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  const fields = model.fields!;
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(obj)) if (!known.has(key)) errors.add(`${pointer}/${escapePointer(key)}`, 'is not a field of this element');
  const children: XmlNode[] = [];
  for (const f of fields) children.push(...fieldNodes(f, obj[f.name], `${pointer}/${escapePointer(f.name)}`, model.namespace, errors));
  const attributes: Record<string, string> = {};
  if (root || model.namespace !== parentNs) attributes.xmlns = model.namespace;
  return { name: model.name, attributes, children };
}

function fieldNodes(f: ElementModel, value: unknown, pointer: string, parentNs: string, errors: Collector): XmlNode[] {
  if (value === undefined) {
    if (f.minOccurs > 0) errors.add(pointer, 'is required');
    return [];
  }
  if (!f.repeated) {
    const one = itemNode(f, value, pointer, parentNs, errors);
    return one === undefined ? [] : [one];
  }
  if (!Array.isArray(value)) {
    errors.add(pointer, 'must be an array');
    return [];
  }
  if (value.length < f.minOccurs) errors.add(pointer, `must have at least ${f.minOccurs} item${f.minOccurs === 1 ? '' : 's'}`);
  if (value.length > f.maxOccurs) errors.add(pointer, `must have at most ${f.maxOccurs} items`);
  const out: XmlNode[] = [];
  value.forEach((v, i) => { const n = itemNode(f, v, `${pointer}/${i}`, parentNs, errors); if (n !== undefined) out.push(n); });
  return out;
}

function itemNode(f: ElementModel, value: unknown, pointer: string, parentNs: string, errors: Collector): XmlNode | undefined {
  const nsAttr: Record<string, string> = f.namespace !== parentNs ? { xmlns: f.namespace } : {};
  if (value === null) {
    if (!f.nillable) {
      errors.add(pointer, 'must not be null');
      return undefined;
    }
    return { name: f.name, attributes: { ...nsAttr, 'xmlns:xsi': XSI, 'xsi:nil': 'true' } };
  }
  if (f.fields !== undefined) return complexNode(f, value, pointer, parentNs, errors);
  const text = simpleText(f, value, pointer, errors);
  return text === undefined ? undefined : { name: f.name, attributes: nsAttr, children: text === '' ? [] : [text] };
}

function simpleText(f: ElementModel, value: unknown, pointer: string, errors: Collector): string | undefined {
  const type = f.type;
  let text: string | undefined;
  const range = INTEGER_RANGES[type];
  if (type === 'boolean') {
    if (typeof value === 'boolean') text = String(value);
    else errors.add(pointer, 'must be a boolean');
  } else if (range !== undefined) {
    if (typeof value !== 'number' || !Number.isInteger(value)) errors.add(pointer, `must be an integer (${type})`);
    else if (value < range[0] || value > range[1]) errors.add(pointer, `must be between ${range[0]} and ${range[1]} (${type})`);
    else text = String(value);
  } else if (DECIMALS.has(type)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) errors.add(pointer, `must be a number (${type})`);
    else text = String(value);
  } else if (typeof value !== 'string') {
    errors.add(pointer, `must be a string (${type})`);
  } else if (!isXmlText(value)) {
    errors.add(pointer, 'contains a character XML cannot carry');
  } else if (DATE_PATTERNS[type] !== undefined && !DATE_PATTERNS[type]!.test(value)) {
    errors.add(pointer, `must be an XSD ${type}`);
  } else text = value;
  if (text !== undefined && f.enumeration !== undefined && !f.enumeration.has(text)) {
    errors.add(pointer, 'is not one of the allowed values');
    return undefined;
  }
  return text;
}
