// OpenAPI 3.1 documents generated from an operation table and the entity schemas (the same objects
// that validate requests): the admin API's here (docs/admin-openapi.json, checked in; a test fails
// when it drifts; regenerate: npx node src/admin/openapi.ts --write), the portal API's through the
// same generator with its own profile (src/portal/openapi.ts).
import { writeFileSync } from 'node:fs';
import type { TSchema } from 'typebox';
import { ERRORS } from '../core/errors/registry.ts';
import { ProblemSchema, type AnyOperation } from './api/types.ts';

export const OPENAPI_FILE = new URL('../../docs/admin-openapi.json', import.meta.url);

/** A plain JSON Schema from a TypeBox schema (drops TypeBox's own symbols and keys). */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key.startsWith('~') ? undefined : value)));
}

/**
 * Titled schemas (entities, inputs, pages' items) go to components once and are referenced by
 * $ref everywhere else, which keeps the document small and the generated client's types named.
 */
class SchemaRegistry {
  readonly components: Record<string, unknown> = {};
  toJson(schema: unknown): unknown {
    return this.#walk(plain(schema));
  }
  #walk(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.#walk(n));
    if (node === null || typeof node !== 'object') return node;
    const obj = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'examples' || k === 'default' || k === 'const' ? v : this.#walk(v)]));
    const title = obj.title;
    if (typeof title !== 'string' || !/^[A-Za-z0-9._-]+$/.test(title)) return obj;
    const existing = this.components[title];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(obj)) throw new Error(`two different schemas are titled ${title}`);
    this.components[title] = obj;
    return { $ref: `#/components/schemas/${title}` };
  }
}

/** What differs between the APIs sharing the generator: their name, server and security. */
export interface OpenApiProfile {
  readonly title: string;
  readonly description: string;
  readonly server: { url: string; description: string };
  readonly securitySchemes: Record<string, unknown>;
  /** The security requirement of an operation with a role, and extension fields naming the role. */
  secured(role: string): { security: Record<string, string[]>[]; extensions: Record<string, unknown> };
  /** Problems every operation with a role can answer besides its own (e.g. 401, 403). */
  readonly authProblems: readonly (keyof typeof ERRORS)[];
  /** Problems every writing operation can answer besides its own. */
  readonly writeProblems: readonly (keyof typeof ERRORS)[];
  /** Writes take If-Match (optimistic concurrency with ETags). */
  readonly conditionalWrites: boolean;
}

export const ADMIN_PROFILE: OpenApiProfile = {
  title: 'Portcullis admin API',
  description: 'Manage a Portcullis node: services, routes, plugins, consumers and credentials, plans, products, subscriptions, admin users, the audit log and declarative config. Every change reaches the gateway within a second. Errors are RFC 9457 problem documents.',
  server: { url: 'http://127.0.0.1:8081', description: 'The admin listener (default)' },
  securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An admin token (`pcat_…`). Roles: viewer reads; editor also writes config, consumers and credentials; admin also manages admin users, tokens and reads the audit log.' } },
  secured: (role) => ({ security: [{ bearer: [] }], extensions: { 'x-required-role': role } }),
  authProblems: ['unauthorized', 'forbidden'],
  writeProblems: ['read-only-config', 'store-unavailable'],
  conditionalWrites: true,
};

export function buildOpenApi(operations: readonly AnyOperation[], version: string, profile: OpenApiProfile = ADMIN_PROFILE): Record<string, unknown> {
  const registry = new SchemaRegistry();
  const jsonSchema = (schema: TSchema) => registry.toJson(schema);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params = [
      ...[...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' }, description: m[1] === 'id' ? 'Id, or the natural key (name).' : undefined })),
      ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: jsonSchema(q.schema) })),
      ...(profile.conditionalWrites && op.write && ['PUT', 'PATCH', 'DELETE'].includes(op.method) ? [{ name: 'If-Match', in: 'header', required: false, description: 'ETag from a read; the write fails with 412 if the entity changed since.', schema: { type: 'string' } }] : []),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.etag ? { headers: { ETag: { description: 'Entity version, for If-Match.', schema: { type: 'string' } } } } : {}),
        ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema) } } } : r.contentType ? { content: { [r.contentType]: { schema: { type: 'string' } } } } : {}),
      };
    }
    const problem = (code: keyof typeof ERRORS) => ({ description: `${ERRORS[code].title} (${code})`, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
    const codes = new Set<keyof typeof ERRORS>([...(op.role ? profile.authProblems : []), ...(op.body || op.query ? ['validation-failed'] as const : []), ...(op.write ? profile.writeProblems : []), ...(op.problems ?? [])]);
    for (const code of codes) {
      const status = String(ERRORS[code].status);
      if (!responses[status]) responses[status] = problem(code);
      else if (status !== Object.keys(op.responses)[0]) (responses[status] as { description: string }).description += ` / ${code}`;
    }
    (paths[op.path] ??= {})[op.method.toLowerCase()] = {
      operationId: op.id,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(op.role ? (({ security, extensions }) => ({ security, ...extensions }))(profile.secured(op.role)) : { security: [] }),
      ...(params.length ? { parameters: params.map((p) => JSON.parse(JSON.stringify(p)) as unknown) } : {}),
      ...(op.body ? { requestBody: { required: op.bodyRequired !== false, ...(op.bodyDescription ? { description: op.bodyDescription } : {}), content: { 'application/json': { schema: jsonSchema(op.body) }, ...(op.id.endsWith('-config') ? { 'application/yaml': { schema: jsonSchema(op.body) } } : {}) } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: profile.title,
      version,
      description: profile.description,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [profile.server],
    security: profile.secured('').security,
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: profile.securitySchemes,
      schemas: { Problem: plain(ProblemSchema), ...Object.fromEntries(Object.entries(registry.components).sort(([a], [b]) => (a < b ? -1 : 1))) },
    },
  };
}

export function openApiText(operations: readonly AnyOperation[], version: string, profile: OpenApiProfile = ADMIN_PROFILE): string {
  return `${JSON.stringify(buildOpenApi(operations, version, profile), null, 2)}\n`;
}

if (import.meta.main && process.argv.includes('--write')) {
  const { documentOperations } = await import('./document-operations.ts');
  const { operations, version } = await documentOperations();
  writeFileSync(OPENAPI_FILE, openApiText(operations, version));
  console.log(`wrote ${OPENAPI_FILE.pathname}`);
}
