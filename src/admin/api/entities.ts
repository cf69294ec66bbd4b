// CRUD for every config entity kind, generated from the kind's schema: list (filters, sort,
// cursor), create, read, replace (PUT), merge-patch (PATCH), delete; ETag/If-Match on each entity.
import Type, { type TSchema } from 'typebox';
import { KIND_LIST, KINDS, type EntityKind, type KindName } from '../../core/entities/kinds.ts';
import { SORT_FIELDS, type SortField, type StoredEntity } from '../../store/ports.ts';
import type { ConfigService } from '../config-service.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, Uuid, etagOf, expectedVersion, pageBody, pageParams, pageSchema, type OpInput, type Operation, type QueryParam } from './types.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function entityResponseSchema(kind: EntityKind): TSchema {
  return Type.Object({ id: Uuid, ...kind.schema.properties, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer({ minimum: 1, description: 'Increments on every change; the ETag is "v<version>".' }) }, { title: kind.title.replace(/ /g, '') });
}

export function present(e: StoredEntity): Record<string, unknown> {
  return { id: e.id, ...e.data, created_at: e.created_at, updated_at: e.updated_at, version: e.version };
}

/** By id, or by natural key (a name) for convenience: /admin/services/carrier. */
export async function findEntity(service: ConfigService, kind: KindName, ref: string): Promise<StoredEntity> {
  const session = service.store.read();
  const found = UUID_RE.test(ref) ? await session.get(kind, ref) : await session.getByKey(kind, ref);
  if (!found) throw new ApiProblem('not-found', `no ${KINDS[kind].title.toLowerCase()} "${ref}"`);
  return found;
}

function sortParam(value: string | undefined): { sort: SortField; descending: boolean } {
  if (value === undefined) return { sort: 'position', descending: false };
  const descending = value.startsWith('-');
  const field = descending ? value.slice(1) : value;
  if (!(SORT_FIELDS as readonly string[]).includes(field)) throw new ApiProblem('validation-failed', `sort must be one of ${SORT_FIELDS.join(', ')} (prefix "-" for descending)`, [{ pointer: '', detail: `query parameter sort: unknown field "${field}"` }]);
  return { sort: field as SortField, descending };
}

const actorOf = (input: OpInput) => ({ name: input.principal?.user ?? 'anonymous', requestId: input.requestId });

export function entityOperations(service: ConfigService): Operation[] {
  return KIND_LIST.flatMap((kind): Operation[] => {
    const base = `/admin/${kind.collection}`;
    const one = `${base}/{id}`;
    const title = kind.title.toLowerCase();
    const response = entityResponseSchema(kind);
    const description = (kind.schema as { description?: string }).description;
    const inputSchema = Type.Object(kind.schema.properties, { additionalProperties: false, title: `${kind.title.replace(/ /g, '')}Input`, ...(description ? { description } : {}) });
    const filters: QueryParam[] = ['name', ...kind.columns].map((c) => ({ name: c, description: `Only ${kind.collection} whose ${c} equals this.`, schema: Type.String() }));
    // Plugin secrets are shown as the REDACTED marker, never in clear or sealed.
    const shown = (e: StoredEntity) => present(service.presentable(kind.kind, e));
    const withEtag = (e: StoredEntity, status = 200) => ({ status, body: shown(e), headers: { etag: etagOf(e.version) } });
    return [
      {
        id: `list-${kind.collection}`, method: 'GET', path: base, tag: kind.title, role: 'viewer',
        summary: `List ${kind.collection}`,
        query: [LIMIT_PARAM, CURSOR_PARAM, { name: 'sort', description: `Sort field: ${SORT_FIELDS.join(', ')}; prefix "-" for descending. Default: position (declaration order).`, schema: Type.String() }, { name: 'tag', description: 'Only entities carrying this tag.', schema: Type.String() }, ...filters],
        responses: { 200: { description: 'One page.', schema: pageSchema(response) } },
        async handler(input) {
          const page = pageParams(input.query);
          const filterValues = Object.fromEntries(filters.map((f) => [f.name, input.query[f.name]]).filter(([, v]) => v !== undefined)) as Record<string, string>;
          const result = await service.store.read().list(kind.kind, { ...page, ...sortParam(input.query.sort), filters: filterValues, ...(input.query.tag !== undefined ? { tag: input.query.tag } : {}) });
          return { body: pageBody(result, shown) };
        },
      },
      {
        id: `create-${kind.kind}`, method: 'POST', path: base, tag: kind.title, role: 'editor', write: true,
        summary: `Create a ${title}`, body: inputSchema,
        responses: { 201: { description: 'Created.', schema: response, etag: true } },
        problems: ['conflict'],
        async handler(input) {
          const created = await service.create(kind.kind, input.body, actorOf(input));
          return { ...withEtag(created, 201), headers: { etag: etagOf(created.version), location: `${base}/${created.id}` } };
        },
      },
      {
        id: `get-${kind.kind}`, method: 'GET', path: one, tag: kind.title, role: 'viewer',
        summary: `Read a ${title} (by id or name)`,
        responses: { 200: { description: 'The entity.', schema: response, etag: true } },
        problems: ['not-found'],
        async handler(input) { return withEtag(await findEntity(service, kind.kind, input.params.id!)); },
      },
      {
        id: `replace-${kind.kind}`, method: 'PUT', path: one, tag: kind.title, role: 'editor', write: true,
        summary: `Replace a ${title}`, description: 'Fields left out take their defaults. Send `If-Match` with the ETag you read to avoid overwriting someone else’s change.',
        body: inputSchema,
        responses: { 200: { description: 'Replaced.', schema: response, etag: true } },
        problems: ['not-found', 'conflict', 'entity-in-use', 'precondition-failed'],
        async handler(input) {
          const current = await findEntity(service, kind.kind, input.params.id!);
          return withEtag(await service.update(kind.kind, current.id, input.body, expectedVersion(input.headers, current.version), actorOf(input)));
        },
      },
      {
        id: `patch-${kind.kind}`, method: 'PATCH', path: one, tag: kind.title, role: 'editor', write: true,
        summary: `Change some fields of a ${title} (JSON merge patch, RFC 7396)`,
        body: Type.Object({}, { additionalProperties: true, description: 'Fields to change; null removes an optional field.' }),
        responses: { 200: { description: 'Updated.', schema: response, etag: true } },
        problems: ['not-found', 'conflict', 'entity-in-use', 'precondition-failed'],
        async handler(input) {
          if (input.body === null || typeof input.body !== 'object' || Array.isArray(input.body)) throw new ApiProblem('validation-failed', 'a merge patch is a JSON object', [{ pointer: '', detail: 'must be an object' }]);
          const current = await findEntity(service, kind.kind, input.params.id!);
          return withEtag(await service.update(kind.kind, current.id, input.body, expectedVersion(input.headers, current.version), actorOf(input), true));
        },
      },
      {
        id: `delete-${kind.kind}`, method: 'DELETE', path: one, tag: kind.title, role: 'editor', write: true,
        summary: `Delete a ${title}`,
        description: kind.owns.length > 0 ? `Also deletes its ${kind.owns.map((o) => KINDS[o.kind].collection).join(' and ')}${kind.kind === 'consumer' ? ' and credentials' : ''}.` : undefined,
        responses: { 204: { description: 'Deleted.' } },
        problems: ['not-found', 'entity-in-use', 'precondition-failed'],
        async handler(input) {
          const current = await findEntity(service, kind.kind, input.params.id!);
          await service.remove(kind.kind, current.id, expectedVersion(input.headers, current.version), actorOf(input));
          return { status: 204 };
        },
      },
    ];
  });
}
