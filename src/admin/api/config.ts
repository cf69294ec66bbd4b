// Declarative sync over HTTP (what `portcullis config` does against the store), the audit log
// and stored API specs.
import Type from 'typebox';
import YAML from 'yaml';
import { ConfigSchema as ConfigDocumentSchema } from '../../core/config/schema.ts';
import type { AuditRow } from '../../store/schema.ts';
import type { ConfigService } from '../config-service.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, pageBody, pageParams, pageSchema, type Operation } from './types.ts';

const ConfigSchema = Type.Object(ConfigDocumentSchema.properties, { additionalProperties: false, title: 'ConfigDocument' });

const ChangeSchema = Type.Object({
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
  kind: Type.String(),
  key: Type.String(),
  fields: Type.Optional(Type.Array(Type.Object({ path: Type.String(), before: Type.Unknown(), after: Type.Unknown() }))),
  moved: Type.Optional(Type.Boolean()),
});
const PlanSchema = Type.Object({ changes: Type.Array(ChangeSchema), revision: Type.Integer(), applied: Type.Boolean() }, { title: 'ConfigPlan' });
const AuditSchema = Type.Object({
  id: Type.String(), at: Timestamp, actor: Type.String(), action: Type.String(), entity: Type.String(),
  entity_id: Type.Union([Type.String(), Type.Null()]), entity_key: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown({ description: 'The entity before the change (null on create).' }),
  after: Type.Unknown({ description: 'The entity after the change (null on delete).' }),
  request_id: Type.Union([Type.String(), Type.Null()]),
}, { title: 'AuditEntry' });

const presentAudit = (a: AuditRow) => ({ ...a, before: a.before === null ? null : JSON.parse(a.before) as unknown, after: a.after === null ? null : JSON.parse(a.after) as unknown });

export function configOperations(service: ConfigService): Operation[] {
  return [
    {
      id: 'export-config', method: 'GET', path: '/admin/config', tag: 'Config', role: 'viewer',
      summary: 'The whole configuration as a declarative document',
      description: 'Round-trips exactly: applying it back changes nothing. `?format=yaml` (or `Accept: application/yaml`) for YAML.',
      query: [{ name: 'format', description: '`json` (default) or `yaml`.', schema: Type.Union([Type.Literal('json'), Type.Literal('yaml')]) }],
      responses: { 200: { description: 'The document; `X-Config-Revision` names the store revision.', schema: ConfigSchema } },
      async handler(input) {
        const { revision, document } = await service.export();
        const yaml = input.query.format === 'yaml' || (input.query.format === undefined && /application\/(x-)?yaml/.test(String(input.headers.accept ?? '')));
        const headers = { 'x-config-revision': String(revision) };
        return yaml ? { body: YAML.stringify(document), contentType: 'application/yaml; charset=utf-8', headers } : { body: document, headers };
      },
    },
    {
      id: 'diff-config', method: 'POST', path: '/admin/config/diff', tag: 'Config', role: 'viewer',
      summary: 'What applying a document would change',
      body: ConfigSchema, bodyDescription: 'A config document, as JSON or YAML (`Content-Type: application/yaml`).',
      responses: { 200: { description: 'The changes (nothing is written).', schema: PlanSchema } },
      async handler(input) { return { body: await service.plan(input.body) }; },
    },
    {
      id: 'apply-config', method: 'POST', path: '/admin/config/apply', tag: 'Config', role: 'editor', write: true,
      summary: 'Make the store match a document, in one transaction',
      description: 'Sections present in the document are synced (entities missing from them are deleted); absent sections are left alone. Consumers’ credentials are never in a document and are deleted with their consumer.',
      query: [{ name: 'dry_run', description: '`true`: plan only, write nothing.', schema: Type.Boolean() }],
      body: ConfigSchema, bodyDescription: 'A config document, as JSON or YAML (`Content-Type: application/yaml`).',
      responses: { 200: { description: 'What changed (or would, on a dry run).', schema: PlanSchema } },
      async handler(input) {
        const dryRun = input.query.dry_run === 'true' || input.query.dry_run === '1';
        return { body: await service.apply(input.body, { dryRun, actor: { name: input.principal?.user ?? 'anonymous', requestId: input.requestId } }) };
      },
    },
    {
      id: 'list-audit', method: 'GET', path: '/admin/audit', tag: 'Audit log', role: 'admin',
      summary: 'Every write: who, what, before and after, when (newest first)',
      query: [
        LIMIT_PARAM, CURSOR_PARAM,
        { name: 'entity', description: 'Entity kind, e.g. route, credential, admin_user.', schema: Type.String() },
        { name: 'entity_id', description: 'One entity’s history.', schema: Type.String() },
        { name: 'actor', description: 'Changes by this admin user.', schema: Type.String() },
        { name: 'since', description: 'Entries at or after this time.', schema: Timestamp },
      ],
      responses: { 200: { description: 'One page.', schema: pageSchema(AuditSchema) } },
      async handler(input) {
        const q = input.query;
        if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw new ApiProblem('validation-failed', 'since must be an RFC 3339 date-time', [{ pointer: '', detail: 'query parameter since must be an RFC 3339 date-time' }]);
        const page = await service.store.read().listAudit({
          ...pageParams(q),
          ...(q.entity !== undefined ? { entity: q.entity } : {}), ...(q.entity_id !== undefined ? { entity_id: q.entity_id } : {}),
          ...(q.actor !== undefined ? { actor: q.actor } : {}), ...(q.since !== undefined ? { since: new Date(q.since).toISOString() } : {}),
        });
        return { body: pageBody(page, presentAudit) };
      },
    },
    {
      id: 'list-specs', method: 'GET', path: '/admin/specs', tag: 'API spec', role: 'viewer',
      summary: 'Stored API description documents (from OpenAPI import)',
      query: [{ name: 'service', description: 'Only this service’s documents.', schema: Type.String() }],
      responses: { 200: { description: 'Specs without their content.', schema: Type.Object({ data: Type.Array(Type.Object({ id: Type.String(), service: Type.String(), format: Type.String(), title: Type.String(), version: Type.String(), created_at: Timestamp })) }) } },
      async handler(input) { return { body: { data: await service.store.read().listSpecs(input.query.service) } }; },
    },
    {
      id: 'get-spec', method: 'GET', path: '/admin/specs/{id}', tag: 'API spec', role: 'viewer',
      summary: 'One stored document, as it was imported',
      responses: { 200: { description: 'The document text (JSON or YAML; XML for a WSDL; GraphQL SDL as text/plain).', contentType: 'text/plain' } },
      problems: ['not-found'],
      async handler(input) {
        const spec = await service.store.read().getSpec(input.params.id!);
        if (!spec) throw new ApiProblem('not-found', 'no such spec');
        if (spec.format === 'graphql-sdl') return { body: spec.content, contentType: 'text/plain; charset=utf-8' };
        const start = spec.content.trimStart();
        const json = start.startsWith('{');
        // A WSDL (format "wsdl") is XML.
        const xml = start.startsWith('<');
        return { body: spec.content, contentType: json ? 'application/json; charset=utf-8' : xml ? 'application/xml; charset=utf-8' : 'application/yaml; charset=utf-8' };
      },
    },
  ];
}
