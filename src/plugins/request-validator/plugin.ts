import type { Static } from 'typebox';
import type { ValidateFunction } from 'ajv';
import { pluginEvents } from '../../telemetry/metrics.ts';
import { definePlugin, type PluginCompileEnv } from '../../core/pipeline/plugin.ts';
import { newCompilers } from './ajv.ts';
import { checkRequest, checkResponseBody, checkResponseHead, responseFor, type Enabled } from './check.ts';
import { shapeOf } from './json-schema.ts';
import { RequestValidatorSchema } from './schema.ts';
import { compileSpec, findOperation, type CompiledSpec, type LocationCheck, type Operation } from './spec.ts';
import type { Violation } from './violations.ts';

type Config = Static<typeof RequestValidatorSchema>;

export interface ValidatorConf {
  /** The OpenAPI document's operations, or undefined with direct JSON Schemas. */
  readonly spec: CompiledSpec | undefined;
  /** The one operation built from direct JSON Schemas. */
  readonly direct: Operation | undefined;
  readonly unknownOperations: 'reject' | 'allow';
  readonly enabled: Enabled;
  readonly bodyLimit: number;
  readonly maxErrors: number;
  readonly responses: boolean;
}

/** Scratch keys in ctx.vars. */
const OPERATION = 'request-validator.operation';
const RESPONSE_VIOLATIONS = 'request-validator.response';
/** Response bodies above this are not validated (they stream unchanged). */
const RESPONSE_BODY_LIMIT = 1024 * 1024;

// A stored spec is parsed once per snapshot (env.specOf) and compiled once per document and
// options here, however many routes of the service carry an instance.
const compiledDocuments = new WeakMap<object, Map<string, CompiledSpec | string>>();

function compileDocument(document: unknown, basePath: string | undefined, responses: boolean): CompiledSpec | string {
  if (typeof document !== 'object' || document === null) return compileSpec(document, { basePath, responses });
  const key = `${basePath ?? ''}\u0000${responses}`;
  let byOptions = compiledDocuments.get(document);
  if (!byOptions) compiledDocuments.set(document, (byOptions = new Map()));
  let compiled = byOptions.get(key);
  if (compiled === undefined) byOptions.set(key, (compiled = compileSpec(document, { basePath, responses })));
  return compiled;
}

function compile(c: Config, env: PluginCompileEnv): ValidatorConf | string {
  if (c.openapi !== undefined && c.schemas !== undefined) return 'give either openapi (a document) or schemas, not both';
  const enabled: Enabled = { path: c.locations.includes('path'), query: c.locations.includes('query'), header: c.locations.includes('header'), body: c.locations.includes('body') };
  const base = { unknownOperations: c.unknown_operations, enabled, bodyLimit: c.body_limit_bytes, maxErrors: c.max_errors, responses: c.validate_responses === 'log-only' };
  if (c.schemas !== undefined) {
    if (base.responses) return 'validate_responses needs an OpenAPI document (schemas describe requests only)';
    const direct = directOperation(c.schemas);
    return typeof direct === 'string' ? direct : { ...base, spec: undefined, direct };
  }
  let document: unknown = c.openapi;
  let origin = 'openapi';
  if (document === undefined) {
    if (env.service === undefined) return 'a global request-validator needs an inline openapi document or schemas (a stored spec belongs to one service)';
    const stored = env.specOf?.(env.service);
    if (stored === undefined) return `no API spec is stored for service "${env.service}": import one with "portcullis import openapi", or give an inline openapi document or schemas`;
    if (typeof stored === 'string') return stored;
    document = stored.document;
    origin = `the stored spec ${stored.id} of service "${env.service}"`;
  }
  const spec = compileDocument(document, c.base_path, base.responses);
  if (typeof spec === 'string') return `${origin}: ${spec}`;
  return { ...base, spec, direct: undefined };
}

/** An operation from direct JSON Schemas: each location's schema is an object of parameters. */
function directOperation(schemas: NonNullable<Config['schemas']>): Operation | string {
  const { params: paramAjv, body: bodyAjv } = newCompilers();
  const problems: string[] = [];
  const compileWith = (ajv: typeof paramAjv, schema: object, where: string): ValidateFunction | undefined => {
    try {
      return ajv.compile(schema);
    } catch (err) {
      problems.push(`schemas.${where}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const location = (given: object | undefined, where: 'path' | 'query' | 'headers'): LocationCheck | undefined => {
    const schema = given as Record<string, unknown> | undefined;
    if (schema === undefined) return undefined;
    const validate = compileWith(paramAjv, schema, where);
    if (!validate) return undefined;
    const props = typeof schema.properties === 'object' && schema.properties !== null ? schema.properties as Record<string, unknown> : {};
    const params = Object.entries(props).map(([name, s]) => {
      const shape = shapeOf(s, () => undefined);
      const style = where === 'query' ? 'form' as const : 'simple' as const;
      const inner = typeof s === 'object' && s !== null && typeof (s as { properties?: unknown }).properties === 'object' ? Object.keys((s as { properties: object }).properties) : [];
      return { name, key: where === 'headers' ? name.toLowerCase() : name, shape, style, explode: where === 'query', properties: inner, json: false };
    });
    return { params, validate };
  };
  const op: Operation = {
    method: '*',
    template: '(route)',
    path: location(schemas.path, 'path'),
    query: location(schemas.query, 'query'),
    header: location(schemas.headers, 'headers'),
    body: schemas.body === undefined ? undefined : { required: false, json: [{ type: '*/*', validate: compileWith(bodyAjv, schemas.body, 'body') }], others: [] },
    responses: undefined,
  };
  return problems.length > 0 ? problems.join('; ') : op;
}

function failed(errors: readonly Violation[]) {
  return {
    problem: 'validation-failed' as const,
    detail: `The request does not match the API description (${errors.length === 1 ? '1 violation' : `${errors.length} violations`}; see errors).`,
    extensions: { errors },
  };
}

export const requestValidator = definePlugin<typeof RequestValidatorSchema, ValidatorConf>({
  name: 'request-validator',
  version: '1.0.0',
  description: 'Validates path, query and header parameters and the JSON body against an OpenAPI 3.0/3.1 document (inline or the service’s stored spec) or JSON Schemas; 400 validation-failed lists each violation. Optionally checks upstream responses (log only).',
  priority: 999,
  configSchema: RequestValidatorSchema,
  scopes: ['service', 'route'],
  compile,
  requestBodyLimit: (conf) => (conf.enabled.body ? conf.bodyLimit : undefined),
  responseBodyLimit: RESPONSE_BODY_LIMIT,
  needsResponseBody: (conf) => conf.responses,
  handlers: {
    access(ctx, conf) {
      let op: Operation;
      let pathParams: Readonly<Record<string, string>>;
      if (conf.direct !== undefined) {
        op = conf.direct;
        pathParams = ctx.params;
      } else {
        const found = findOperation(conf.spec!, ctx.method, ctx.upstream.path);
        if (found === undefined || 'allowed' in found) {
          if (conf.unknownOperations === 'allow') return undefined;
          if (found === undefined) return { problem: 'not-found', detail: 'No operation of the API description matches this path.' };
          return { problem: 'method-not-allowed', detail: 'The API description has no operation for this method on this path.', headers: { allow: found.allowed.join(', ') } };
        }
        op = found.operation;
        pathParams = found.pathParams;
      }
      if (conf.responses) ctx.vars[OPERATION] = op;
      const result = checkRequest(op, { pathParams, query: ctx.query, headers: ctx.headers, body: ctx.requestBody }, conf.enabled, conf.maxErrors);
      if (result === 'unsupported') {
        const accepted = op.body ? [...op.body.json.map((j) => j.type), ...op.body.others].filter((t) => t !== '*/*') : [];
        return { problem: 'unsupported-media-type', detail: accepted.length > 0 ? `This operation accepts ${accepted.join(', ')}.` : 'Send the body as JSON.' };
      }
      return result.length > 0 ? failed(result) : undefined;
    },
    'upstream-response'(ctx, conf) {
      const op = conf.responses ? ctx.vars[OPERATION] as Operation | undefined : undefined;
      if (op?.responses === undefined || ctx.response === undefined) return undefined;
      const violations = checkResponseHead(responseFor(op.responses, ctx.response.status), ctx.response.status, ctx.response.headers, conf.maxErrors);
      ctx.vars[RESPONSE_VIOLATIONS] = violations;
      return undefined;
    },
    'response-body'(ctx, conf, body) {
      const op = ctx.vars[OPERATION] as Operation | undefined;
      const violations = ctx.vars[RESPONSE_VIOLATIONS] as Violation[] | undefined;
      if (op?.responses === undefined || violations === undefined || ctx.response === undefined) return undefined;
      checkResponseBody(responseFor(op.responses, ctx.response.status), ctx.response.headers, body, violations, conf.maxErrors);
      return undefined;
    },
    log(ctx) {
      const violations = ctx.vars[RESPONSE_VIOLATIONS] as Violation[] | undefined;
      if (violations === undefined || violations.length === 0) return;
      const op = ctx.vars[OPERATION] as Operation;
      pluginEvents.labels('request-validator', 'response-invalid', ctx.serviceName ?? '', ctx.routeName ?? '').inc();
      // Where and what, never the values (they may hold personal data or secrets).
      ctx.log.warn({ request_id: ctx.id, route: ctx.routeName, service: ctx.serviceName, operation: `${op.method} ${op.template}`, status: ctx.response?.status, violations },
        'upstream response does not match the API description');
    },
  },
});
