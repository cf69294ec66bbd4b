// Measures one operation of a parsed document: depth, aliases, root fields and estimated cost,
// fragments and inline fragments expanded, plus the schema coordinates it selects (for deny
// rules) and whether it introspects. Each fragment is measured once and its figures reused at
// every spread (memoised per parent type), so a document that spreads fragments into each other
// costs time linear in its size, not in its expansion; a fragment cycle is reported, never followed.
import {
  Kind, getNamedType, getNullableType, isCompositeType, isLeafType, isListType,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLField,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode,
} from 'graphql';

export interface CostModel {
  readonly scalar: number;
  readonly object: number;
  /** Type.field → cost. */
  readonly fields: ReadonlyMap<string, number>;
  readonly sizeArguments: readonly string[];
  readonly defaultSize: number;
  /** Coordinates named by some deny rule: only those are recorded. */
  readonly watched: ReadonlySet<string>;
}

export interface Measure {
  readonly depth: number;
  readonly aliases: number;
  readonly cost: number;
  /** Watched coordinates the selection reaches. */
  readonly coordinates: ReadonlySet<string>;
  readonly introspection: boolean;
}

export interface OperationMeasure extends Measure {
  readonly rootFields: number;
}

/** Multipliers and costs are capped so that a hostile `first: 1e15` cannot overflow to Infinity. */
const MAX_MULTIPLIER = 1_000_000;
const COST_CAP = Number.MAX_SAFE_INTEGER;
const NONE: ReadonlySet<string> = new Set();

export class FragmentCycleError extends Error {}

/** The operation a request names (or the only one), or a message saying why there is none. */
export function selectOperation(doc: DocumentNode, operationName: string | undefined): OperationDefinitionNode | string {
  let found: OperationDefinitionNode | undefined;
  let count = 0;
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    count++;
    if (operationName === undefined ? count === 1 : def.name?.value === operationName) found = def;
  }
  if (count === 0) return 'The document contains no operation.';
  if (operationName === undefined && count > 1) return 'The document contains several operations: operationName is required.';
  if (found === undefined) return `Unknown operation named "${operationName}".`;
  return found;
}

export class Analyzer {
  private readonly schema: GraphQLSchema | undefined;
  private readonly model: CostModel;
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  private readonly memo = new Map<string, Measure>();
  private readonly onStack = new Set<string>();
  private readonly variables: Readonly<Record<string, unknown>>;
  /** Integer defaults of the operation's variables (`$first: Int = 50`), used when a variable is not given. */
  private defaults: ReadonlyMap<string, number> = new Map();
  /** Whether a multiplier came from a variable (then the figures hold for these variables only). */
  usedVariables = false;

  constructor(schema: GraphQLSchema | undefined, model: CostModel, doc: DocumentNode, variables: Readonly<Record<string, unknown>> | undefined) {
    this.schema = schema;
    this.model = model;
    this.variables = variables ?? {};
    for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(def.name.value, def);
  }

  operation(op: OperationDefinitionNode): OperationMeasure {
    const defaults = new Map<string, number>();
    for (const v of op.variableDefinitions ?? []) if (v.defaultValue?.kind === Kind.INT) defaults.set(v.variable.name.value, Number(v.defaultValue.value));
    this.defaults = defaults;
    const root = this.schema?.getRootType(op.operation) ?? undefined;
    const m = this.selection(op.selectionSet, root, undefined);
    return { ...m, rootFields: this.rootFieldCount(op.selectionSet, new Set()) };
  }

  private rootFieldCount(set: SelectionSetNode, seen: Set<string>): number {
    let n = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) { if (!s.name.value.startsWith('__')) n++; }
      else if (s.kind === Kind.INLINE_FRAGMENT) n += this.rootFieldCount(s.selectionSet, seen);
      else {
        const f = this.fragments.get(s.name.value);
        if (f === undefined || seen.has(f.name.value)) continue;
        seen.add(f.name.value);
        n += this.rootFieldCount(f.selectionSet, seen);
      }
    }
    return n;
  }

  /** `size`: a size argument of an enclosing non-list field (a connection), for the lists inside it. */
  private selection(set: SelectionSetNode, parent: GraphQLCompositeType | undefined, size: number | undefined): Measure {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    let introspection = false;
    let coordinates: Set<string> | undefined;
    const add = (m: Measure) => {
      if (m.depth > depth) depth = m.depth;
      aliases += m.aliases;
      cost = Math.min(COST_CAP, cost + m.cost);
      if (m.introspection) introspection = true;
      if (m.coordinates.size > 0) {
        coordinates ??= new Set();
        for (const c of m.coordinates) coordinates.add(c);
      }
    };
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) add(this.field(s, parent, size));
      else if (s.kind === Kind.INLINE_FRAGMENT) add(this.selection(s.selectionSet, this.typeNamed(s.typeCondition?.name.value) ?? parent, size));
      else add(this.fragment(s.name.value, size));
    }
    return { depth, aliases, cost, introspection, coordinates: coordinates ?? NONE };
  }

  private fragment(name: string, size: number | undefined): Measure {
    const def = this.fragments.get(name);
    if (def === undefined) return { depth: 0, aliases: 0, cost: 0, introspection: false, coordinates: NONE };
    // Memoised per enclosing connection size too (the only outside input to its figures).
    const key = size === undefined ? name : `${name}\u0000${size}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (this.onStack.has(name)) throw new FragmentCycleError(`Fragment "${name}" spreads itself.`);
    this.onStack.add(name);
    const m = this.selection(def.selectionSet, this.typeNamed(def.typeCondition.name.value), size);
    this.onStack.delete(name);
    this.memo.set(key, m);
    return m;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType | undefined, enclosingSize: number | undefined): Measure {
    const name = node.name.value;
    if (name === '__schema' || name === '__type') return { depth: 0, aliases: 0, cost: 0, introspection: true, coordinates: NONE };
    const alias = node.alias !== undefined ? 1 : 0;
    if (name === '__typename') return { depth: 0, aliases: alias, cost: 0, introspection: false, coordinates: NONE };
    const def: GraphQLField<unknown, unknown> | undefined = parent !== undefined && 'getFields' in parent ? parent.getFields()[name] : undefined;
    const coordinate = parent !== undefined ? `${parent.name}.${name}` : undefined;
    const leaf = def !== undefined ? isLeafType(getNamedType(def.type)) : node.selectionSet === undefined;
    const own = (coordinate !== undefined ? this.model.fields.get(coordinate) : undefined) ?? (leaf ? this.model.scalar : this.model.object);
    const isList = def !== undefined && isListType(getNullableType(def.type));
    const size = this.sizeArgument(node);
    // A size argument on a list multiplies it; on an object (a Relay-style connection) it sizes
    // the lists inside (edges, nodes) instead of their default size.
    const sizesChildren = size !== undefined && def !== undefined && !isList;
    const multiplier = size !== undefined && !sizesChildren ? size : isList ? (enclosingSize ?? this.model.defaultSize) : 1;
    let child: Measure | undefined;
    if (node.selectionSet !== undefined) {
      const named = def !== undefined ? getNamedType(def.type) : undefined;
      child = this.selection(node.selectionSet, named !== undefined && isCompositeType(named) ? named : undefined, sizesChildren ? size : undefined);
    }
    const cost = Math.min(COST_CAP, multiplier * (own + (child?.cost ?? 0)));
    let coordinates = child?.coordinates ?? NONE;
    if (coordinate !== undefined && this.model.watched.has(coordinate)) coordinates = new Set([...coordinates, coordinate]);
    return {
      depth: node.selectionSet !== undefined ? 1 + (child?.depth ?? 0) : 0,
      aliases: alias + (child?.aliases ?? 0),
      cost,
      introspection: child?.introspection ?? false,
      coordinates,
    };
  }

  /** The largest size argument given (capped), or undefined. */
  private sizeArgument(node: FieldNode): number | undefined {
    let size: number | undefined;
    for (const arg of node.arguments ?? []) {
      if (!this.model.sizeArguments.includes(arg.name.value)) continue;
      const n = this.intValue(arg.value);
      if (n !== undefined && (size === undefined || n > size)) size = n;
    }
    return size === undefined ? undefined : Math.min(MAX_MULTIPLIER, Math.max(0, size));
  }

  private intValue(v: ValueNode): number | undefined {
    if (v.kind === Kind.INT) return Number(v.value);
    if (v.kind === Kind.VARIABLE) {
      this.usedVariables = true;
      const given = this.variables[v.name.value];
      if (typeof given === 'number' && Number.isFinite(given)) return Math.trunc(given);
      return given === undefined ? this.defaults.get(v.name.value) : undefined;
    }
    return undefined;
  }

  private typeNamed(name: string | undefined): GraphQLCompositeType | undefined {
    if (name === undefined || this.schema === undefined) return undefined;
    const t = this.schema.getType(name);
    return t !== undefined && isCompositeType(t) ? t : undefined;
  }
}
