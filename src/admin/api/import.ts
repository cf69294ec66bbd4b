// POST /admin/import/openapi: a service and its routes from an OpenAPI (3.0/3.1) or Swagger 2.0
// document sent inline. The admin API takes no URLs to fetch: that would let an API caller make
// the control plane reach into the network (SSRF); `portcullis import openapi URL` fetches instead.
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import type { ConfigService } from '../config-service.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, type Operation } from './types.ts';

const ImportRequestSchema = Type.Object({
  spec: Type.Union([Type.String({ minLength: 1 }), Type.Object({}, { additionalProperties: true })], { description: 'The OpenAPI/Swagger document: its JSON/YAML text, or the JSON object.' }),
  service: Type.Optional(Type.String({ description: 'Service name (default: a slug of info.title).' })),
  upstream: Type.Optional(Type.String({ description: 'Upstream base URL, http(s)://host[:port][/base] (default: the spec’s first server).' })),
  routes_by: Type.Union([Type.Literal('operation'), Type.Literal('path')], { default: 'operation', description: 'One route per operation, or one per path.' }),
  path_prefix: Type.Optional(Type.String({ pattern: '^/', description: 'Put in front of every route path, e.g. /carrier.' })),
  strip_prefix: Type.Boolean({ default: false, description: 'Forward the spec’s own paths, without path_prefix.' }),
  tags: Type.Array(Type.String(), { default: [], description: 'Extra tags for the service and its routes.' }),
  dry_run: Type.Boolean({ default: false, description: 'Report what would change; write nothing.' }),
}, { additionalProperties: false });

type ImportRequest = { spec: string | object; service?: string; upstream?: string; routes_by: 'operation' | 'path'; path_prefix?: string; strip_prefix: boolean; tags: string[]; dry_run: boolean };

const ImportResultSchema = Type.Object({
  service: Type.String(), routes: Type.Array(Type.String()), format: Type.String(),
  changes: Type.Array(Type.Unknown()), revision: Type.Integer(), applied: Type.Boolean(),
  spec_id: Type.Optional(Type.String()), warnings: Type.Array(Type.String()),
}, { title: 'ImportResult' });

const WsdlImportRequestSchema = Type.Object({
  wsdl: Type.String({ minLength: 1, description: 'The WSDL 1.1 document (XML text).' }),
  service: Type.Optional(Type.String({ description: 'Service name (default: a slug of the wsdl:service name).' })),
  upstream: Type.Optional(Type.String({ description: 'The SOAP endpoint URL (default: the port’s soap:address).' })),
  soap_version: Type.Optional(Type.Union([Type.Literal('1.1'), Type.Literal('1.2')], { description: 'Binding to use (default 1.1 when the WSDL has one).' })),
  path_prefix: Type.Optional(Type.String({ pattern: '^/', description: 'Path of the proxy route and prefix of the REST routes (default /<service>).' })),
  rest: Type.Boolean({ default: false, description: 'Also one JSON route per operation, mediated to SOAP (soap-mediation).' }),
  tags: Type.Array(Type.String(), { default: [], description: 'Extra tags for the service and its routes.' }),
  dry_run: Type.Boolean({ default: false, description: 'Report what would change; write nothing.' }),
}, { additionalProperties: false });

type WsdlImportRequest = { wsdl: string; service?: string; upstream?: string; soap_version?: '1.1' | '1.2'; path_prefix?: string; rest: boolean; tags: string[]; dry_run: boolean };

const WsdlImportResultSchema = Type.Object({
  service: Type.String(), routes: Type.Array(Type.String()), soap_version: Type.String(), operations: Type.Array(Type.String()),
  changes: Type.Array(Type.Unknown()), revision: Type.Integer(), applied: Type.Boolean(),
  spec_ids: Type.Optional(Type.Object({ wsdl: Type.String(), openapi: Type.Optional(Type.String()) })), warnings: Type.Array(Type.String()),
}, { title: 'WsdlImportResult' });

function wsdlImportOperation(service: ConfigService): Operation {
  return {
    id: 'import-wsdl', method: 'POST', path: '/admin/import/wsdl', tag: 'Config', role: 'editor', write: true,
    summary: 'Create or update a SOAP service and its routes from a WSDL document',
    description: 'WSDL 1.1 with SOAP 1.1/1.2 bindings, sent inline (the admin API fetches no URLs). Creates the soap service, a proxy route and, with rest, one mediated JSON route per operation; stores the WSDL and the REST face’s OpenAPI document (GET /admin/specs). Unsafe XML (DTDs, entities) is refused.',
    body: WsdlImportRequestSchema,
    responses: { 200: { description: 'What the import changed (or would, on a dry run).', schema: WsdlImportResultSchema } },
    async handler(input) {
      const v = validate<WsdlImportRequest>(WsdlImportRequestSchema, input.body);
      if (!v.ok) throw new WriteValidationError(v.issues);
      const r = v.value;
      const { importWsdl, ImportError } = await import('../import/wsdl/index.ts');
      try {
        const result = await importWsdl(service, { text: r.wsdl, label: 'wsdl' }, {
          ...(r.service !== undefined ? { serviceName: r.service } : {}),
          ...(r.upstream !== undefined ? { upstream: r.upstream } : {}),
          ...(r.soap_version !== undefined ? { soapVersion: r.soap_version } : {}),
          ...(r.path_prefix !== undefined ? { pathPrefix: r.path_prefix } : {}),
          rest: r.rest,
          tags: r.tags,
          dryRun: r.dry_run,
          actor: { name: input.principal?.user ?? 'anonymous', requestId: input.requestId },
        });
        return { body: result };
      } catch (err) {
        if (err instanceof ImportError) throw new ApiProblem('validation-failed', `the WSDL cannot be imported: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`, err.problems.map((p) => ({ pointer: '/wsdl', detail: p })));
        throw err;
      }
    },
  };
}

export function importOperations(service: ConfigService): Operation[] {
  return [{
    id: 'import-openapi', method: 'POST', path: '/admin/import/openapi', tag: 'Config', role: 'editor', write: true,
    summary: 'Create or update a service and its routes from an OpenAPI or Swagger document',
    description: 'Swagger 2.0 and OpenAPI 3.0/3.1. Routes are created or updated by name and nothing is deleted; the document is stored for the portal (GET /admin/specs). A broken document gets 400 with every problem listed.',
    body: ImportRequestSchema,
    responses: { 200: { description: 'What the import changed (or would, on a dry run).', schema: ImportResultSchema } },
    async handler(input) {
      const v = validate<ImportRequest>(ImportRequestSchema, input.body);
      if (!v.ok) throw new WriteValidationError(v.issues);
      const r = v.value;
      // Loaded on first use: the validator and its schemas are large and most nodes never import.
      const { importOpenApi, OpenApiImportError } = await import('../import/openapi.ts');
      try {
        const result = await importOpenApi(service, { text: typeof r.spec === 'string' ? r.spec : JSON.stringify(r.spec), label: 'spec' }, {
          ...(r.service !== undefined ? { serviceName: r.service } : {}),
          ...(r.upstream !== undefined ? { upstream: r.upstream } : {}),
          routesBy: r.routes_by,
          ...(r.path_prefix !== undefined ? { pathPrefix: r.path_prefix } : {}),
          stripPrefix: r.strip_prefix,
          tags: r.tags,
          dryRun: r.dry_run,
          actor: { name: input.principal?.user ?? 'anonymous', requestId: input.requestId },
        });
        return { body: result };
      } catch (err) {
        if (err instanceof OpenApiImportError) throw new ApiProblem('validation-failed', `the document cannot be imported: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`, err.problems.map((p) => ({ pointer: '/spec', detail: p })));
        throw err;
      }
    },
  }, wsdlImportOperation(service)];
}
