// The compiled element model: the config's element trees, each nested level validated with the
// same schema, frozen into plain objects the converters walk.
import { validate } from '../../core/config/validate.ts';
import { ElementModelSchema, type ElementModelConfig, type XsdType } from './schema.ts';

export interface ElementModel {
  readonly name: string;
  readonly namespace: string;
  readonly type: XsdType;
  /** Child elements in sequence order; undefined for a simple element. */
  readonly fields: readonly ElementModel[] | undefined;
  readonly minOccurs: number;
  /** Infinity for unbounded. */
  readonly maxOccurs: number;
  /** The JSON member is an array (maxOccurs other than 1). */
  readonly repeated: boolean;
  readonly nillable: boolean;
  readonly enumeration: ReadonlySet<string> | undefined;
}

const MAX_DEPTH = 32;

/** Compiles an element tree; a string says what is wrong and where (a JSON pointer into the config). */
export function compileElement(raw: ElementModelConfig, pointer: string, depth = 0): ElementModel | string {
  if (depth > MAX_DEPTH) return `${pointer}: element models nest deeper than ${MAX_DEPTH} levels`;
  if (raw.max_occurs !== -1 && raw.max_occurs < Math.max(1, raw.min_occurs)) return `${pointer}: max_occurs is below min_occurs (or 0)`;
  let fields: ElementModel[] | undefined;
  if (raw.fields !== undefined) {
    fields = [];
    const seen = new Set<string>();
    for (let i = 0; i < raw.fields.length; i++) {
      const at = `${pointer}/fields/${i}`;
      const checked = validate<ElementModelConfig>(ElementModelSchema, raw.fields[i], at);
      if (!checked.ok) return `${checked.issues[0]!.pointer}: ${checked.issues[0]!.message}`;
      if (seen.has(checked.value.name)) return `${at}/name: "${checked.value.name}" appears twice in one sequence`;
      seen.add(checked.value.name);
      const child = compileElement(checked.value, at, depth + 1);
      if (typeof child === 'string') return child;
      fields.push(child);
    }
  }
  const maxOccurs = raw.max_occurs === -1 ? Infinity : raw.max_occurs;
  return Object.freeze({
    name: raw.name,
    namespace: raw.namespace,
    type: raw.type,
    fields: fields === undefined ? undefined : Object.freeze(fields),
    minOccurs: raw.min_occurs,
    maxOccurs,
    repeated: maxOccurs !== 1,
    nillable: raw.nillable,
    enumeration: raw.enumeration === undefined ? undefined : new Set(raw.enumeration),
  });
}
