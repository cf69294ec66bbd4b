// A graphql service's schema: uploaded as SDL (PUT /admin/services/{name}/graphql-schema) or read
// from the upstream by introspection (POST …/graphql-schema/introspect), stored in api_specs
// (format graphql-sdl) for the portal docs and for the graphql plugin, which snapshots carry.
// Storing moves the config revision and is checked like any config change: a schema that the
// service's graphql instances cannot use (a deny rule naming a field it lacks) is refused whole.
import { createHash } from 'node:crypto';
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema, type IntrospectionQuery } from 'graphql';
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import { BodyTooLargeError, readCappedBody } from '../../core/net/read-capped.ts';
import type { StoredEntity, StoreSession } from '../../store/ports.ts';
import { NotFoundError, WriteValidationError, type ConfigService } from '../config-service.ts';
import { ApiProblem, type Operation, type OpInput } from './types.ts';

const MAX_SDL = 2 * 1024 * 1024;
/** Introspection results are larger than the SDL they print to (JSON, nested type references). */
const MAX_INTROSPECTION_BYTES = 16 * 1024 * 1024;
const INTROSPECTION_TIMEOUT_MS = 10_000;

export interface StoredSchema {
  readonly service: string;
  readonly spec_id: string;
  /** False when the latest stored schema already had this text (nothing written). */
  readonly stored: boolean;
  readonly types: number;
}

/** The SDL's problems, or the number of named types it defines. */
export function checkSdl(sdl: string): number | string {
  try {
    const schema = buildSchema(sdl);
    return Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__')).length;
  } catch (err) {
    return (err as Error).message.split('\n', 1)[0]!;
  }
}

async function graphqlService(session: StoreSession, name: string): Promise<StoredEntity> {
  const svc = (await session.all('service')).find((e) => e.key === name);
  if (svc === undefined) throw new NotFoundError(`service "${name}" does not exist`);
  if (svc.data.protocol !== 'graphql') throw new ApiProblem('validation-failed', `service "${name}" is not a graphql service`, [{ pointer: '', detail: 'set protocol: graphql on the service first' }]);
  return svc;
}

/** Who stored a schema (the audit log's actor). */
export interface SchemaActor {
  readonly name: string;
  readonly requestId?: string | undefined;
}

/** Stores the SDL as the service's latest schema (unless it already is), checking the config with it. */
export async function storeGraphqlSchema(config: ConfigService, name: string, sdl: string, actor: SchemaActor): Promise<StoredSchema> {
  const types = checkSdl(sdl);
  if (typeof types === 'string') throw new WriteValidationError([{ pointer: '/sdl', path: 'sdl', message: `not a valid GraphQL schema: ${types}` }]);
  const sameAsLatest = async (tx: StoreSession) => {
    const latest = (await tx.listSpecs(name)).at(-1);
    return latest !== undefined && latest.format === 'graphql-sdl' && (await tx.getSpec(latest.id))?.content === sdl ? latest.id : undefined;
  };
  const read = config.store.read();
  await graphqlService(read, name);
  const unchanged = await sameAsLatest(read);
  if (unchanged !== undefined) return { service: name, spec_id: unchanged, stored: false, types };
  return config.store.write(async (tx) => {
    const svc = await graphqlService(tx, name);
    const again = await sameAsLatest(tx);
    if (again !== undefined) return { service: name, spec_id: again, stored: false, types };
    const version = createHash('sha256').update(sdl).digest('hex').slice(0, 12);
    const row = await tx.insertSpec({ service: name, format: 'graphql-sdl', title: name, version, content: sdl });
    // The snapshot gateways will build with this schema: refused (and rolled back) if it does not compile.
    await config.load(tx);
    await tx.appendAudit({
      actor: actor.name, action: 'graphql-schema', entity: 'service', entity_id: svc.id, entity_key: name,
      before: null, after: JSON.stringify({ spec_id: row.id, format: 'graphql-sdl', sha256_prefix: version, bytes: Buffer.byteLength(sdl) }), request_id: actor.requestId ?? null,
    });
    return { service: name, spec_id: row.id, stored: true, types };
  }, { bump: true });
}

/** Where introspection goes: the service's first target, at `path` (default: the service path, or /graphql). */
function introspectionUrl(data: Record<string, unknown>, path: string | undefined): URL {
  const targets = data.targets as { url: string }[];
  const servicePath = typeof data.path === 'string' && data.path !== '/' ? data.path : '/graphql';
  const url = new URL(targets[0]!.url);
  url.pathname = path ?? servicePath;
  url.search = '';
  return url;
}

async function readCapped(res: Response, max: number): Promise<string> {
  try {
    const bytes = await readCappedBody(res, max);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new ApiProblem('graphql-introspection-failed', `the introspection result is larger than ${max} bytes`);
    throw err;
  }
}

/**
 * Asks the service's upstream for its schema and returns it as SDL. Only the service's own
 * configured target is contacted (an admin chose it), never a URL from the request: the request
 * names a path at most. No redirects are followed; the answer is time- and size-capped.
 */
export async function introspectService(config: ConfigService, name: string, path?: string): Promise<string> {
  const { data } = await graphqlService(config.store.read(), name);
  const url = introspectionUrl(data, path);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
      redirect: 'error',
      signal: AbortSignal.timeout(INTROSPECTION_TIMEOUT_MS),
    });
  } catch {
    // The cause may name hosts and addresses: the detail stays generic.
    throw new ApiProblem('graphql-introspection-failed', 'the upstream could not be reached or did not answer in time');
  }
  const text = await readCapped(res, MAX_INTROSPECTION_BYTES);
  if (res.status < 200 || res.status > 299) throw new ApiProblem('graphql-introspection-failed', `the upstream answered ${res.status}`);
  let result: { data?: IntrospectionQuery | null };
  try {
    result = JSON.parse(text) as typeof result;
  } catch {
    throw new ApiProblem('graphql-introspection-failed', 'the upstream’s answer is not JSON');
  }
  if (result.data === undefined || result.data === null || !('__schema' in result.data)) throw new ApiProblem('graphql-introspection-failed', 'the upstream’s answer has no data.__schema (is introspection disabled there?)');
  try {
    return printSchema(buildClientSchema(result.data));
  } catch (err) {
    throw new ApiProblem('graphql-introspection-failed', `the introspected schema cannot be built: ${(err as Error).message.split('\n', 1)[0]}`);
  }
}

const SchemaUpload = Type.Object({
  sdl: Type.String({ minLength: 1, maxLength: MAX_SDL, description: 'The schema in GraphQL SDL.' }),
}, { additionalProperties: false });

const IntrospectRequest = Type.Object({
  path: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9._~!$&\'()*+,;=:@%/-]*$', maxLength: 1024, description: 'Path of the GraphQL endpoint on the service’s first target (default: the service path, or /graphql).' })),
}, { additionalProperties: false });

const StoredSchemaResult = Type.Object({
  service: Type.String(),
  spec_id: Type.String({ description: 'The api_specs row (GET /admin/specs/{id}).' }),
  stored: Type.Boolean({ description: 'false: the latest stored schema already had this text.' }),
  types: Type.Integer({ description: 'Named types the schema defines (built-in scalars included).' }),
}, { title: 'GraphqlSchemaResult' });

const NameParam = (params: Record<string, string>) => params.name!;
const actorOf = (input: OpInput): SchemaActor => ({ name: input.principal?.user ?? 'anonymous', requestId: input.requestId });

export function graphqlOperations(config: ConfigService): Operation[] {
  return [
    {
      id: 'put-graphql-schema', method: 'PUT', path: '/admin/services/{name}/graphql-schema', tag: 'Config', role: 'editor', write: true,
      summary: 'Store a graphql service’s schema (SDL)',
      description: 'The schema the graphql plugin checks operations against and the portal documents. Stored as the service’s latest api_specs document (format graphql-sdl); gateways reload with it. Refused (400) if it is not valid SDL or the service’s graphql config cannot use it.',
      body: SchemaUpload,
      responses: { 200: { description: 'Stored (or already the latest).', schema: StoredSchemaResult } },
      problems: ['not-found'],
      async handler(input) {
        const v = validate<{ sdl: string }>(SchemaUpload, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        return { body: await storeGraphqlSchema(config, NameParam(input.params), v.value.sdl, actorOf(input)) };
      },
    },
    {
      id: 'introspect-graphql-schema', method: 'POST', path: '/admin/services/{name}/graphql-schema/introspect', tag: 'Config', role: 'editor', write: true,
      summary: 'Read a graphql service’s schema from its upstream and store it',
      description: 'Sends the standard introspection query to the service’s first target (never to a URL from the request) and stores the result as SDL, as PUT …/graphql-schema does.',
      body: IntrospectRequest,
      bodyRequired: false,
      responses: { 200: { description: 'Stored (or already the latest).', schema: StoredSchemaResult } },
      problems: ['not-found', 'graphql-introspection-failed'],
      async handler(input) {
        const v = validate<{ path?: string }>(IntrospectRequest, input.body ?? {});
        if (!v.ok) throw new WriteValidationError(v.issues);
        const name = NameParam(input.params);
        const sdl = await introspectService(config, name, v.value.path);
        return { body: await storeGraphqlSchema(config, name, sdl, actorOf(input)) };
      },
    },
  ];
}
