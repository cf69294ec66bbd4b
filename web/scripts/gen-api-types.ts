// Turns an OpenAPI 3.1 document into the `paths` / `operations` / `components` TypeScript shape
// openapi-fetch expects (the shape openapi-typescript emits, which needs a TypeScript we do not
// have), written as a folder of modules (web/src/api/<name>.gen/, imported through its index.ts;
// the layout is described below). The output is committed and a test fails when it drifts from
// the document: regenerate with `npx node web/scripts/gen-api-types.ts --write` (without
// `--write` it only lists what would change, and exits 1 if anything would).
//
// It covers the JSON Schema the project's documents use: $ref to components, const, enum,
// anyOf/oneOf (unions), allOf (intersections), type lists, objects (required, additional and
// pattern properties), arrays and tuples. Anything else becomes `unknown`, never `any`.
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Operation | unknown>>;
  components?: { schemas?: Record<string, Schema> };
};
type Parameter = { name: string; in: 'query' | 'header' | 'path' | 'cookie'; required?: boolean; schema?: Schema; description?: string };
type Operation = {
  operationId: string;
  tags?: string[];
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, { description?: string; headers?: Record<string, { schema?: Schema }>; content?: Record<string, { schema?: Schema }> }>;
};

const MEDIA_RESPONSE = 'MediaResponse';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const key = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));
const pad = (depth: number) => '    '.repeat(depth);

/** A JSDoc line for a description (never lets the text close the comment). */
function doc(text: unknown, depth: number): string {
  if (typeof text !== 'string' || text.trim() === '') return '';
  return `${pad(depth)}/** ${text.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ').trim()} */\n`;
}

const literal = (v: unknown) => JSON.stringify(v);
const union = (parts: string[]) => {
  const unique = [...new Set(parts)];
  return unique.length === 1 ? unique[0]! : unique.map((p) => (p.includes(' & ') ? `(${p})` : p)).join(' | ');
};

/** The TypeScript type for a schema, at an indentation depth (for object literals). */
export function typeOf(schema: unknown, depth = 0): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (schema === null || typeof schema !== 'object') return 'unknown';
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(s.$ref);
    return m ? `components["schemas"][${JSON.stringify(m[1])}]` : 'unknown';
  }
  if ('const' in s) return literal(s.const);
  if (Array.isArray(s.enum)) return union(s.enum.map(literal));
  if (Array.isArray(s.anyOf)) return union(s.anyOf.map((x) => typeOf(x, depth)));
  if (Array.isArray(s.oneOf)) return union(s.oneOf.map((x) => typeOf(x, depth)));
  if (Array.isArray(s.allOf)) return s.allOf.map((x) => { const t = typeOf(x, depth); return t.includes(' | ') ? `(${t})` : t; }).join(' & ');
  if (Array.isArray(s.type)) return union(s.type.map((t) => typeOf({ ...s, type: t }, depth)));
  switch (s.type) {
    case 'string': return 'string';
    case 'integer':
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'null': return 'null';
    case 'array': {
      if (Array.isArray(s.prefixItems)) return `[${s.prefixItems.map((x) => typeOf(x, depth)).join(', ')}]`;
      const item = typeOf(s.items, depth);
      return /[ |&]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
      return objectType(s, depth);
    default:
      if (s.properties || s.additionalProperties || s.patternProperties) return objectType(s, depth);
      return 'unknown';
  }
}

function objectType(s: Schema, depth: number): string {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const lines: string[] = [];
  for (const [name, prop] of Object.entries(props)) {
    lines.push(`${doc((prop as Schema | null)?.description, depth + 1)}${pad(depth + 1)}${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(prop, depth + 1)};`);
  }
  const extra: string[] = [];
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) extra.push(typeOf(s.additionalProperties, depth + 1));
  if (s.patternProperties && typeof s.patternProperties === 'object') extra.push(...Object.values(s.patternProperties as Record<string, unknown>).map((x) => typeOf(x, depth + 1)));
  if (extra.length) {
    // An index signature must admit every named property's type too.
    const all = Object.keys(props).length ? 'unknown' : union(extra);
    lines.push(`${pad(depth + 1)}[key: string]: ${all};`);
  }
  if (lines.length === 0) return s.additionalProperties === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n${pad(depth)}}`;
}

function parametersType(params: Parameter[], depth: number): string {
  const lines: string[] = [];
  for (const where of ['query', 'header', 'path', 'cookie'] as const) {
    const mine = params.filter((p) => p.in === where);
    if (mine.length === 0) {
      lines.push(`${pad(depth + 1)}${where}?: never;`);
      continue;
    }
    const anyRequired = mine.some((p) => p.required === true);
    const fields = mine.map((p) => `${doc(p.description, depth + 2)}${pad(depth + 2)}${key(p.name)}${p.required ? '' : '?'}: ${typeOf(p.schema, depth + 2)};`);
    lines.push(`${pad(depth + 1)}${where}${anyRequired ? '' : '?'}: {\n${fields.join('\n')}\n${pad(depth + 1)}};`);
  }
  return `{\n${lines.join('\n')}\n${pad(depth)}}`;
}

function contentType(content: Record<string, { schema?: Schema }> | undefined, depth: number): string {
  if (!content || Object.keys(content).length === 0) return 'never';
  const lines = Object.entries(content).map(([media, v]) => `${pad(depth + 1)}${JSON.stringify(media)}: ${typeOf(v.schema, depth + 1)};`);
  return `{\n${lines.join('\n')}\n${pad(depth)}}`;
}

function operationType(op: Operation, depth: number): string {
  const lines: string[] = [];
  lines.push(`${pad(depth + 1)}parameters: ${parametersType(op.parameters ?? [], depth + 1)};`);
  if (op.requestBody) lines.push(`${pad(depth + 1)}requestBody${op.requestBody.required ? '' : '?'}: {\n${pad(depth + 2)}content: ${contentType(op.requestBody.content, depth + 2)};\n${pad(depth + 1)}};`);
  else lines.push(`${pad(depth + 1)}requestBody?: never;`);
  const responses = Object.entries(op.responses).map(([status, r]) => {
    const name = `${doc(r.description, depth + 2)}${pad(depth + 2)}${/^\d+$/.test(status) ? status : JSON.stringify(status)}`;
    // Most responses (every problem+json error, most JSON bodies) are this one shape: written once
    // in index.ts rather than eight lines per status of every operation.
    const media = r.content ? Object.keys(r.content) : [];
    if (!r.headers && media.length === 1) return `${name}: ${MEDIA_RESPONSE}<${JSON.stringify(media[0])}, ${typeOf(r.content![media[0]!]!.schema, depth + 2)}>;`;
    const headers = r.headers ? `{\n${Object.entries(r.headers).map(([h, v]) => `${pad(depth + 4)}${JSON.stringify(h)}?: ${typeOf(v.schema, depth + 4)};`).join('\n')}\n${pad(depth + 4)}[name: string]: unknown;\n${pad(depth + 3)}}` : `{\n${pad(depth + 4)}[name: string]: unknown;\n${pad(depth + 3)}}`;
    return `${name}: {\n${pad(depth + 3)}headers: ${headers};\n${pad(depth + 3)}content${r.content ? '' : '?'}: ${contentType(r.content, depth + 3)};\n${pad(depth + 2)}};`;
  });
  lines.push(`${pad(depth + 1)}responses: {\n${responses.join('\n')}\n${pad(depth + 1)}};`);
  return `{\n${lines.join('\n')}\n${pad(depth)}}`;
}


/** A path item: its shared `parameters` and one member per method (`operations[id]` or never). */
function pathItemType(item: Record<string, Operation | unknown>, depth: number): string {
  const lines = [`${pad(depth + 1)}parameters: {\n${pad(depth + 2)}query?: never;\n${pad(depth + 2)}header?: never;\n${pad(depth + 2)}path?: never;\n${pad(depth + 2)}cookie?: never;\n${pad(depth + 1)}};`];
  for (const method of METHODS) {
    const op = item[method] as Operation | undefined;
    lines.push(op ? `${doc(op.summary, depth + 1)}${pad(depth + 1)}${method}: operations[${JSON.stringify(op.operationId)}];` : `${pad(depth + 1)}${method}?: never;`);
  }
  return `{\n${lines.join('\n')}\n${pad(depth)}}`;
}

// ---- Layout: one folder of modules per document ----------------------------------------------
//
// The repo keeps every source file under 600 lines, so a document becomes a folder: a module per
// OpenAPI tag (its path items, its operations, and the component schemas only that tag uses),
// `shared.ts` for the schemas several tags (or none) use, and `index.ts`, which combines them into
// the `paths` / `operations` / `components` openapi-fetch expects (interfaces extending the
// modules' interfaces: the same members, so the same types for every consumer). A module that
// would outgrow MODULE_LINES continues in `<tag>-2.ts`, `<tag>-3.ts`, …, filled in document
// order; a path item goes with its first operation's tag, operations without a tag go to
// `other.ts`. Modules refer to `components` / `operations` through the index (a type-only import,
// so the cycle is harmless), as openapi-typescript's single file does. Every grouping comes from the document, so a change to one tag's operations or schemas
// rewrites that tag's modules (and the index when modules come or go, or shared.ts when a schema
// gains or loses users), not the rest.

/** Lines a module aims to stay within (the repo's hard limit is 600). */
export const MODULE_LINES = 500;
/** How every generated file begins; `--write` only deletes stale files that begin so. */
export const GENERATED_MARK = '// Generated by web/scripts/gen-api-types.ts';
const SHARED = 'shared';
const UNTAGGED = 'other';

const KINDS = ['paths', 'operations', 'schemas'] as const;
type Kind = (typeof KINDS)[number];
const KIND_NAME: Record<Kind, string> = { paths: 'Paths', operations: 'Operations', schemas: 'Schemas' };
/** One member of a module's `<Prefix>Paths` / `Operations` / `Schemas` interface. */
/** What a module may import from its index. */
type IndexName = 'components' | 'operations' | typeof MEDIA_RESPONSE;
type Member = { kind: Kind; text: string; uses: ReadonlySet<IndexName> };

/** One generated file of a target's folder. */
export type GeneratedFile = { readonly name: string; readonly text: string };

const header = (source: string) => `${GENERATED_MARK} from ${source}. Do not edit: regenerate with\n// \`npx node web/scripts/gen-api-types.ts --write\`.\n`;

/** The names of the component schemas a piece of the document refers to. */
function refsIn(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) refsIn(x, found);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      const m = k === '$ref' && typeof v === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(v) : null;
      if (m) found.add(m[1]!);
      else refsIn(v, found);
    }
  }
  return found;
}

/** A tag's module name: lower-case words joined by '-'; the index and shared names stay reserved. */
function slugOf(tag: string | undefined): string {
  if (tag === undefined) return UNTAGGED;
  const slug = tag.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'tag';
  return slug === 'index' || slug === SHARED ? `tag-${slug}` : slug;
}

/** A module's interface prefix: its name in PascalCase (`plugin-instance-2` → `PluginInstance2`). */
function prefixOf(name: string): string {
  const pascal = name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(pascal) ? `Tag${pascal}` : pascal;
}

/** The document's members grouped by module name, each group in document order (a path item, then its operations). */
function groupsOf(document: Doc): Map<string, Member[]> {
  const groups = new Map<string, Member[]>();
  const add = (name: string, member: Member) => (groups.get(name) ?? groups.set(name, []).get(name)!).push(member);
  const users = new Map<string, Set<string>>(); // schema → the groups whose operations use it
  for (const [path, item] of Object.entries(document.paths)) {
    const ops = METHODS.flatMap((m) => (item[m] ? [item[m] as Operation] : []));
    const home = slugOf(ops[0]?.tags?.[0]);
    add(home, { kind: 'paths', text: `${pad(1)}${JSON.stringify(path)}: ${pathItemType(item, 1)};`, uses: new Set(ops.length ? ['operations'] : []) });
    for (const op of ops) {
      const group = slugOf(op.tags?.[0]);
      const refs = refsIn(op);
      const text = `${pad(1)}${JSON.stringify(op.operationId)}: ${operationType(op, 1)};`;
      const uses = new Set<IndexName>(refs.size ? ['components'] : []);
      if (text.includes(`${MEDIA_RESPONSE}<`)) uses.add(MEDIA_RESPONSE);
      add(group, { kind: 'operations', text, uses });
      for (const ref of refs) users.set(ref, (users.get(ref) ?? new Set()).add(group));
    }
  }
  // A schema another schema refers to is used wherever that one is.
  const schemas = Object.entries(document.components?.schemas ?? {});
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, schema] of schemas) {
      for (const ref of refsIn(schema)) {
        const theirs = users.get(ref) ?? new Set();
        for (const group of users.get(name) ?? []) {
          if (theirs.has(group)) continue;
          theirs.add(group);
          changed = true;
        }
        users.set(ref, theirs);
      }
    }
  }
  for (const [name, schema] of schemas) {
    const mine = [...(users.get(name) ?? [])];
    add(mine.length === 1 ? mine[0]! : SHARED, { kind: 'schemas', text: `${doc(schema.description, 1)}${pad(1)}${key(name)}: ${typeOf(schema, 1)};`, uses: new Set(refsIn(schema).size ? ['components'] : []) });
  }
  return groups;
}

function moduleText(source: string, prefix: string, members: Member[]): string {
  const uses = new Set(members.flatMap((m) => [...m.uses]));
  const imported = (['components', 'operations', MEDIA_RESPONSE] as const).filter((n) => uses.has(n));
  const out = [header(source)];
  if (imported.length) out.push(`import type { ${imported.join(', ')} } from './index.ts';\n`);
  for (const kind of KINDS) {
    const mine = members.filter((m) => m.kind === kind);
    if (mine.length) out.push(`export interface ${prefix}${KIND_NAME[kind]} {\n${mine.map((m) => m.text).join('\n')}\n}\n`);
  }
  return out.join('\n');
}

const lineCount = (text: string) => text.split('\n').length - 1;

/** A group's members packed, in order, into as few modules of at most MODULE_LINES as they fill. */
function pack(source: string, members: Member[]): Member[][] {
  const modules: Member[][] = [];
  let current: Member[] = [];
  for (const member of members) {
    if (current.length && lineCount(moduleText(source, 'X', [...current, member])) > MODULE_LINES) {
      modules.push(current);
      current = [];
    }
    current.push(member);
  }
  if (current.length) modules.push(current);
  return modules;
}

function implementers(modules: { prefix: string; kinds: Set<Kind> }[], kind: Kind): string {
  const names = modules.filter((m) => m.kinds.has(kind)).map((m) => `${pad(1)}${m.prefix}${KIND_NAME[kind]}`);
  return names.length ? ` extends\n${names.join(',\n')} {}` : ' {}';
}

/** The generated folder for a document: one `GeneratedFile` per module (`source` names it in the headers). */
export function generate(document: Doc, source: string): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const modules: { name: string; prefix: string; kinds: Set<Kind> }[] = [];
  for (const [group, members] of groupsOf(document)) {
    pack(source, members).forEach((part, i) => {
      const name = i === 0 ? group : `${group}-${i + 1}`;
      const prefix = prefixOf(name);
      if (files.some((f) => f.name === `${name}.ts`)) throw new Error(`${source}: two modules would be named ${name}.ts (rename a tag)`);
      modules.push({ name, prefix, kinds: new Set(part.map((m) => m.kind)) });
      files.push({ name: `${name}.ts`, text: moduleText(source, prefix, part) });
    });
  }
  const out = [header(source)];
  for (const m of modules) out.push(`import type { ${KINDS.filter((k) => m.kinds.has(k)).map((k) => `${m.prefix}${KIND_NAME[k]}`).join(', ')} } from './${m.name}.ts';`);
  out.push('');
  out.push(`export interface paths${implementers(modules, 'paths')}\n`);
  out.push('export type webhooks = Record<string, never>;\n');
  out.push(`export interface components {\n${pad(1)}schemas: Schemas;`);
  out.push(`${pad(1)}responses: never;\n${pad(1)}parameters: never;\n${pad(1)}requestBodies: never;\n${pad(1)}headers: never;\n${pad(1)}pathItems: never;`);
  out.push('}\n');
  out.push('export type $defs = Record<string, never>;\n');
  out.push(`/** A response with no declared headers and one media type (the operations' usual shape). */\nexport type ${MEDIA_RESPONSE}<Media extends string, Body> = {\n${pad(1)}headers: {\n${pad(2)}[name: string]: unknown;\n${pad(1)}};\n${pad(1)}content: {\n${pad(2)}[M in Media]: Body;\n${pad(1)}};\n};\n`);
  out.push(`export interface operations${implementers(modules, 'operations')}\n`);
  out.push(`interface Schemas${implementers(modules, 'schemas')}\n`);
  files.push({ name: 'index.ts', text: out.join('\n') });
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An OpenAPI document (`source` names it in the headers) and the folder generated from it. */
export type Target = { readonly source: string; readonly document: URL; readonly folder: URL };

/** The documents the web app has a client for. */
export const TARGETS: readonly Target[] = [
  { source: 'docs/admin-openapi.json', document: new URL('../../docs/admin-openapi.json', import.meta.url), folder: new URL('../src/api/admin.gen/', import.meta.url) },
  { source: 'docs/portal-openapi.json', document: new URL('../../docs/portal-openapi.json', import.meta.url), folder: new URL('../src/api/portal.gen/', import.meta.url) },
];

export function generateTarget(target: Target): GeneratedFile[] {
  return generate(JSON.parse(readFileSync(target.document, 'utf8')) as Doc, target.source);
}

/** What `--write` changes in a target's folder: files to (re)write, stale generated files to delete, entries it leaves alone. */
export function driftOf(target: Target): { write: GeneratedFile[]; remove: string[]; foreign: string[] } {
  const dir = fileURLToPath(target.folder);
  const files = generateTarget(target);
  const present = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : [];
  const write = files.filter((f) => !existsSync(join(dir, f.name)) || readFileSync(join(dir, f.name), 'utf8') !== f.text);
  const wanted = new Set(files.map((f) => f.name));
  const stale = present.filter((e) => !wanted.has(e.name));
  const generated = (e: (typeof stale)[number]) => e.isFile() && e.name.endsWith('.ts') && readFileSync(join(dir, e.name), 'utf8').startsWith(GENERATED_MARK);
  return { write, remove: stale.filter(generated).map((e) => e.name), foreign: stale.filter((e) => !generated(e)).map((e) => e.name) };
}

/** Brings a target's folder in line with its document; returns the drift it fixed (foreign entries stay). */
export function writeTarget(target: Target): ReturnType<typeof driftOf> {
  const dir = fileURLToPath(target.folder);
  const drift = driftOf(target);
  mkdirSync(dir, { recursive: true });
  for (const f of drift.write) writeFileSync(join(dir, f.name), f.text);
  for (const name of drift.remove) unlinkSync(join(dir, name));
  return drift;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const write = process.argv.includes('--write');
  for (const target of TARGETS) {
    const dir = fileURLToPath(target.folder);
    const drift = write ? writeTarget(target) : driftOf(target);
    for (const f of drift.write) console.log(`${write ? 'wrote' : 'would write'} ${join(dir, f.name)}`);
    for (const name of drift.remove) console.log(`${write ? 'removed stale' : 'would remove stale'} ${join(dir, name)}`);
    for (const name of drift.foreign) console.error(`${join(dir, name)} is not generated: move it out of the generated folder`);
    const changes = drift.write.length + drift.remove.length;
    if (changes === 0) console.log(`${dir} is up to date`);
    if (drift.foreign.length || (!write && changes > 0)) process.exitCode = 1;
  }
}
