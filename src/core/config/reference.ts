// Renders docs/config-reference.md from the config schema (schema.ts): one table per object,
// with each field's type, default and description. The schema is the single source; a test
// (reference.test.ts) fails when the committed page differs from what this renders.
//
//   npx node src/core/config/reference.ts            print the page
//   npx node src/core/config/reference.ts --write    rewrite docs/config-reference.md
import { ConfigSchema } from './schema.ts';

type Schema = Readonly<Record<string, unknown>>;

/** Where the page lives, relative to the repository root. */
export const REFERENCE_FILE = 'docs/config-reference.md';

interface Section {
  /** Dotted path with [] for list items, e.g. services[].targets[] ("" for the top level). */
  readonly path: string;
  readonly schema: Schema;
}

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const propertiesOf = (s: Schema): Record<string, Schema> | undefined =>
  isObject(s.properties) ? (s.properties as Record<string, Schema>) : undefined;
const itemsOf = (s: Schema): Schema | undefined => (s.type === 'array' && isObject(s.items) ? s.items : undefined);

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** Structural identity: the same object schema used in several places is documented once. */
function keyOf(s: Schema): string {
  return JSON.stringify(s);
}

/** Every object schema with properties, with all the paths it appears at, in document order. */
function collect(root: Schema): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  const walk = (s: Schema, path: string): void => {
    const props = propertiesOf(s);
    if (props) {
      const key = keyOf(s);
      const seen = paths.get(key);
      if (seen) seen.push(path);
      else paths.set(key, [path]);
      for (const [name, child] of Object.entries(props)) walk(child, join(path, name));
      return;
    }
    const items = itemsOf(s);
    if (items) walk(items, `${path}[]`);
  };
  walk(root, '');
  return paths;
}

const depth = (path: string): number => (path === '' ? 0 : path.split('.').length);

/** The path a shared schema is documented under: the shallowest one, then the first. */
function canonicalPaths(paths: Map<string, string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, list] of paths) {
    let best = list[0]!;
    for (const p of list) if (depth(p) < depth(best)) best = p;
    out.set(key, best);
  }
  return out;
}

/** The sections in reading order: depth first, each shared schema at its canonical path. */
function sections(root: Schema, canonical: Map<string, string>): Section[] {
  const out: Section[] = [];
  const walk = (s: Schema, path: string): void => {
    const props = propertiesOf(s);
    if (props) {
      if (canonical.get(keyOf(s)) !== path) return;
      out.push({ path, schema: s });
      for (const [name, child] of Object.entries(props)) walk(child, join(path, name));
      return;
    }
    const items = itemsOf(s);
    if (items) walk(items, `${path}[]`);
  };
  walk(root, '');
  return out;
}

// ---- markdown ---------------------------------------------------------------------------

function heading(path: string): string {
  return path === '' ? 'Top level' : code(path);
}

/** GitHub's heading anchors: lower-case, punctuation dropped, spaces to hyphens. */
function anchor(path: string): string {
  return heading(path).toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function link(path: string): string {
  return `[${heading(path)}](#${anchor(path)})`;
}

/** A code span that survives backticks in its content. */
function code(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  return runs.length > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** Prose from the schema is text, not markdown: "*.example.com" must not start emphasis. */
function prose(text: string): string {
  return text.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
}

/** Table cells: one line, and "|" escaped (GFM also needs that inside code spans). */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (isObject(v)) return `{${Object.entries(v).map(([k, x]) => `${k}: ${literal(x)}`).join(', ')}}`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "list of integers, each 100 to 599" from the item type "integer, 100 to 599". */
function listOf(itemType: string): string {
  const [first, ...rest] = itemType.split(', ');
  const noun = first === 'string' || first === 'integer' || first === 'number' || first === 'boolean' ? `${first}s` : first!;
  return rest.length > 0 ? `list of ${noun}, each ${rest.join(', ')}` : `list of ${noun}`;
}

/** "1 to 3600000", "≥ 0"; with a unit: "1 to 1000 items", "at least 1 character". */
function rangeText(min: unknown, max: unknown, unit?: string): string | undefined {
  const hasMin = typeof min === 'number', hasMax = typeof max === 'number';
  if (unit === undefined) {
    if (hasMin && hasMax) return `${min} to ${max}`;
    if (hasMin) return `≥ ${min}`;
    if (hasMax) return `≤ ${max}`;
    return undefined;
  }
  if (hasMin && hasMax) return `${min} to ${plural(max, unit)}`;
  if (hasMin) return `at least ${plural(min, unit)}`;
  if (hasMax) return `at most ${plural(max, unit)}`;
  return undefined;
}

function constants(s: Schema): unknown[] | undefined {
  if ('const' in s) return [s.const];
  if (!Array.isArray(s.anyOf)) return undefined;
  const values = (s.anyOf as unknown[]).map((o) => (isObject(o) && 'const' in o ? o.const : undefined));
  return values.some((v) => v === undefined) ? undefined : values;
}

function typeText(s: Schema, path: string, canonical: Map<string, string>): string {
  const consts = constants(s);
  if (consts) return consts.length === 1 ? `always ${code(literal(consts[0]))}` : `one of ${consts.map((c) => code(literal(c))).join(', ')}`;
  const parts: string[] = [];
  switch (s.type) {
    case 'string': {
      parts.push('string');
      if (typeof s.format === 'string') parts.push(`format ${code(s.format)}`);
      const length = rangeText(s.minLength, s.maxLength, 'character');
      if (length) parts.push(length);
      if (typeof s.pattern === 'string') parts.push(`matching ${code(s.pattern)}`);
      break;
    }
    case 'integer':
    case 'number': {
      parts.push(s.type);
      const range = rangeText(s.minimum, s.maximum);
      if (range) parts.push(range);
      break;
    }
    case 'boolean':
      parts.push('boolean');
      break;
    case 'array': {
      const items = itemsOf(s);
      const itemPath = `${path}[]`;
      if (items && propertiesOf(items)) parts.push(`list of objects, see ${link(canonical.get(keyOf(items)) ?? itemPath)}`);
      else parts.push(items ? listOf(typeText(items, itemPath, canonical)) : 'list');
      const count = rangeText(s.minItems, s.maxItems, 'item');
      if (count) parts.push(count);
      break;
    }
    case 'object': {
      if (propertiesOf(s)) {
        parts.push(`object, see ${link(canonical.get(keyOf(s)) ?? path)}`);
        break;
      }
      const patterns = isObject(s.patternProperties) ? Object.entries(s.patternProperties) : [];
      if (patterns.length === 1) {
        const [keyPattern, value] = patterns[0]!;
        const keys = keyPattern === '^.*$' ? 'any key' : `keys matching ${code(keyPattern)}`;
        const values = isObject(value) && Object.keys(value).length > 0 ? typeText(value, `${path}.*`, canonical) : 'any value';
        parts.push(`map: ${keys} → ${values}`);
      } else parts.push('object');
      break;
    }
    default:
      parts.push('any');
  }
  return parts.join(', ');
}

/** A reading aid after defaults in bytes or milliseconds: 61440 (60 KiB), 300000 (5 min). */
function unitHint(name: string, v: unknown): string {
  if (typeof v !== 'number' || v === 0) return '';
  if (name.endsWith('_bytes')) {
    if (v % (1024 * 1024) === 0) return ` (${v / (1024 * 1024)} MiB)`;
    if (v % 1024 === 0) return ` (${v / 1024} KiB)`;
  }
  if (name.endsWith('_ms')) {
    if (v >= 60_000 && v % 60_000 === 0) return ` (${v / 60_000} min)`;
    if (v >= 1000 && v % 1000 === 0) return ` (${v / 1000} s)`;
  }
  return '';
}

function defaultText(name: string, s: Schema, required: boolean): string {
  if ('default' in s && s.default === '') return code('""');
  if ('default' in s) return `${code(literal(s.default))}${unitHint(name, s.default)}`;
  return required ? '**required**' : '—';
}

function renderSection(section: Section, canonical: Map<string, string>, usedAt: readonly string[], allStrict: boolean): string {
  const { path, schema } = section;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const lines = [`## ${heading(path)}`, ''];
  if (typeof schema.description === 'string') lines.push(prose(schema.description), '');
  const elsewhere = usedAt.filter((p) => p !== path);
  if (elsewhere.length > 0) lines.push(`Also used for ${elsewhere.map(code).join(' and ')}.`, '');
  if (!allStrict) lines.push(schema.additionalProperties === false ? 'Other keys are refused.' : 'Other keys are allowed.', '');
  lines.push('| Field | Type | Default | Description |', '| --- | --- | --- | --- |');
  for (const [name, prop] of Object.entries(propertiesOf(schema) ?? {})) {
    const description = typeof prop.description === 'string' ? prose(prop.description) : '';
    lines.push(`| ${cell(code(name))} | ${cell(typeText(prop, join(path, name), canonical))} | ${cell(defaultText(name, prop, required.has(name)))} | ${cell(description)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The whole of docs/config-reference.md. Pure: the same schema always gives the same text. */
export function renderConfigReference(): string {
  const root = ConfigSchema as unknown as Schema;
  const paths = collect(root);
  const canonical = canonicalPaths(paths);
  const list = sections(root, canonical);
  const allStrict = list.every((s) => s.schema.additionalProperties === false);
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/core/config/schema.ts by src/core/config/reference.ts: do not edit.',
    '     After changing the schema run: npx node src/core/config/reference.ts --write -->',
    '',
    'Every field of `portcullis.yaml`, one table per object. [configuration.md](configuration.md)',
    'explains the file with examples; this page is generated from the schema the gateway validates',
    'with, so it is always complete.',
    '',
    '- `[]` stands for one entry of a list: `services[].targets[]` is a target of a service.',
    '- **required**: the field has no default and must be given. `—`: optional, no default.',
    '- A field left out takes its default before the file is checked; an object default of `{}`',
    '  means "every field at its default".',
    '- Durations are in milliseconds (`_ms`), sizes in bytes (`_bytes`).',
    ...(allStrict ? ['- Unknown keys are refused everywhere: a misspelt field is an error, never silently ignored.'] : []),
    '',
    '## Contents',
    '',
    ...list.map((s) => `- ${link(s.path)}`),
    '',
  ];
  for (const s of list) out.push(renderSection(s, canonical, paths.get(keyOf(s.schema)) ?? [], allStrict));
  return `${out.join('\n').trimEnd()}\n`;
}

if (import.meta.main) {
  const text = renderConfigReference();
  if (process.argv.includes('--write')) {
    // The only I/O in core, behind the direct-run guard: tests and the gateway never reach it.
    const { writeFileSync } = await import('node:fs');
    const file = new URL(`../../../${REFERENCE_FILE}`, import.meta.url);
    writeFileSync(file, text);
    console.log(`wrote ${REFERENCE_FILE}`);
  } else {
    process.stdout.write(text);
  }
}
