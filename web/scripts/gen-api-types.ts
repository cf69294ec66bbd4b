// Turns an OpenAPI 3.1 document into the `paths` / `operations` / `components` TypeScript shape
// openapi-fetch expects (the shape openapi-typescript emits, which needs a TypeScript we do not
// have). The output is committed (web/src/api/*.gen.ts) and a test fails when it drifts from the
// document: regenerate with `npx node web/scripts/gen-api-types.ts --write`.
//
// It covers the JSON Schema the project's documents use: $ref to components, const, enum,
// anyOf/oneOf (unions), allOf (intersections), type lists, objects (required, additional and
// pattern properties), arrays and tuples. Anything else becomes `unknown`, never `any`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Operation | unknown>>;
  components?: { schemas?: Record<string, Schema> };
};
type Parameter = { name: string; in: 'query' | 'header' | 'path' | 'cookie'; required?: boolean; schema?: Schema; description?: string };
type Operation = {
  operationId: string;
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, { description?: string; headers?: Record<string, { schema?: Schema }>; content?: Record<string, { schema?: Schema }> }>;
};

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
    const headers = r.headers ? `{\n${Object.entries(r.headers).map(([h, v]) => `${pad(depth + 4)}${JSON.stringify(h)}?: ${typeOf(v.schema, depth + 4)};`).join('\n')}\n${pad(depth + 4)}[name: string]: unknown;\n${pad(depth + 3)}}` : `{\n${pad(depth + 4)}[name: string]: unknown;\n${pad(depth + 3)}}`;
    return `${doc(r.description, depth + 2)}${pad(depth + 2)}${/^\d+$/.test(status) ? status : JSON.stringify(status)}: {\n${pad(depth + 3)}headers: ${headers};\n${pad(depth + 3)}content${r.content ? '' : '?'}: ${contentType(r.content, depth + 3)};\n${pad(depth + 2)}};`;
  });
  lines.push(`${pad(depth + 1)}responses: {\n${responses.join('\n')}\n${pad(depth + 1)}};`);
  return `{\n${lines.join('\n')}\n${pad(depth)}}`;
}

/** The generated module's text for a document (`source` names it in the header). */
export function generate(document: Doc, source: string): string {
  const out: string[] = [];
  out.push(`// Generated by web/scripts/gen-api-types.ts from ${source}. Do not edit: regenerate with\n// \`npx node web/scripts/gen-api-types.ts --write\`.\n`);
  out.push('export interface paths {');
  const operations: [string, Operation][] = [];
  for (const path of Object.keys(document.paths)) {
    const item = document.paths[path]!;
    out.push(`${pad(1)}${JSON.stringify(path)}: {`);
    out.push(`${pad(2)}parameters: {\n${pad(3)}query?: never;\n${pad(3)}header?: never;\n${pad(3)}path?: never;\n${pad(3)}cookie?: never;\n${pad(2)}};`);
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (!op) {
        out.push(`${pad(2)}${method}?: never;`);
        continue;
      }
      operations.push([op.operationId, op]);
      out.push(`${doc(op.summary, 2)}${pad(2)}${method}: operations[${JSON.stringify(op.operationId)}];`);
    }
    out.push(`${pad(1)}};`);
  }
  out.push('}\n');
  out.push('export type webhooks = Record<string, never>;\n');
  out.push('export interface components {');
  out.push(`${pad(1)}schemas: {`);
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    out.push(`${doc(schema.description, 2)}${pad(2)}${key(name)}: ${typeOf(schema, 2)};`);
  }
  out.push(`${pad(1)}};`);
  out.push(`${pad(1)}responses: never;\n${pad(1)}parameters: never;\n${pad(1)}requestBodies: never;\n${pad(1)}headers: never;\n${pad(1)}pathItems: never;`);
  out.push('}\n');
  out.push('export type $defs = Record<string, never>;\n');
  out.push('export interface operations {');
  for (const [id, op] of operations) out.push(`${pad(1)}${JSON.stringify(id)}: ${operationType(op, 1)};`);
  out.push('}\n');
  return out.join('\n');
}

/** The documents the web app has a client for: OpenAPI document → generated module. */
export const TARGETS: readonly { readonly source: string; readonly document: URL; readonly output: URL }[] = [
  { source: 'docs/admin-openapi.json', document: new URL('../../docs/admin-openapi.json', import.meta.url), output: new URL('../src/api/admin.gen.ts', import.meta.url) },
  { source: 'docs/portal-openapi.json', document: new URL('../../docs/portal-openapi.json', import.meta.url), output: new URL('../src/api/portal.gen.ts', import.meta.url) },
];

export function generateTarget(target: (typeof TARGETS)[number]): string {
  return generate(JSON.parse(readFileSync(target.document, 'utf8')) as Doc, target.source);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const target of TARGETS) {
    const text = generateTarget(target);
    if (process.argv.includes('--write')) {
      writeFileSync(target.output, text);
      console.log(`wrote ${fileURLToPath(target.output)}`);
    } else {
      process.stdout.write(text);
    }
  }
}
