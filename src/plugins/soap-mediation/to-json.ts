// The operation's response element → JSON, typed by the element model: numbers and booleans from
// their XSD types, arrays for repeated elements, null for xsi:nil. Elements the model does not
// know are left out (a service may add fields; clients only see the documented ones).
import type { XmlElement } from '../../core/xml/index.ts';
import type { ElementModel } from './model.ts';
import { jsonTypeOf } from './to-xml.ts';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

export function responseJson(model: ElementModel, el: XmlElement): unknown {
  return valueOf(model, el);
}

function isNil(el: XmlElement): boolean {
  for (const [k, v] of Object.entries(el.attributes)) {
    if ((k === 'nil' || k.endsWith(':nil')) && (v === 'true' || v === '1')) {
      const colon = k.indexOf(':');
      if (colon === -1 || el.lookupNamespace(k.slice(0, colon)) === XSI) return true;
    }
  }
  return false;
}

function valueOf(model: ElementModel, el: XmlElement): unknown {
  if (isNil(el)) return null;
  if (model.fields === undefined) return simpleValue(model, el.text);
  const out: Record<string, unknown> = {};
  for (const f of model.fields) {
    const matches = el.children.filter((c) => c.local === f.name);
    if (f.repeated) out[f.name] = matches.map((m) => valueOf(f, m));
    else if (matches.length > 0) out[f.name] = valueOf(f, matches[0]!);
  }
  return out;
}

function simpleValue(model: ElementModel, raw: string): unknown {
  const text = raw.trim();
  switch (jsonTypeOf(model.type)) {
    case 'boolean': return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : raw;
    case 'integer': {
      const n = Number(text);
      // Beyond 2^53 a JSON number would lose digits: such values stay strings.
      return /^[+-]?\d+$/.test(text) && Number.isSafeInteger(n) ? n : raw;
    }
    case 'number': {
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? n : raw;
    }
    default: return raw;
  }
}
