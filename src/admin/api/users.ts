// Admin users, their tokens, and who-am-I. Only the admin role manages users and tokens; anyone
// authenticated can see themselves.
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import { AdminTokenInputSchema, AdminUserSchema, type AdminUser } from '../../core/entities/schemas.ts';
import type { AdminTokenRow, AdminUserRow } from '../../store/schema.ts';
import type { Store, StoreSession } from '../../store/ports.ts';
import type { AdminAuth } from '../auth.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, Uuid, etagOf, expectedVersion, pageBody, pageParams, pageSchema, type OpInput, type Operation } from './types.ts';

const UserResponse = Type.Object({ id: Uuid, ...AdminUserSchema.properties, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() }, { title: 'AdminUser' });
const TokenResponse = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp, expires_at: Type.Optional(Timestamp), last_used_at: Type.Optional(Timestamp) }, { title: 'AdminToken' });
const TokenCreated = Type.Object({ ...TokenResponse.properties, token: Type.String({ description: 'The bearer token. Shown this once.' }) }, { title: 'CreatedAdminToken' });

const presentUser = (u: AdminUserRow) => ({ id: u.id, name: u.name, ...(u.email ? { email: u.email } : {}), role: u.role, created_at: u.created_at, updated_at: u.updated_at, version: u.version });
const presentToken = (t: AdminTokenRow) => ({ id: t.id, name: t.name, created_at: t.created_at, ...(t.expires_at ? { expires_at: t.expires_at } : {}), ...(t.last_used_at ? { last_used_at: t.last_used_at } : {}) });

function checkUser(body: unknown): AdminUser {
  const v = validate<AdminUser>(AdminUserSchema, body);
  if (!v.ok) throw new WriteValidationError(v.issues);
  return v.value;
}

export function userOperations(store: Store, auth: AdminAuth): Operation[] {
  const find = async (id: string) => {
    const session = store.read();
    const user = await session.getAdminUser(id) ?? await session.getAdminUserByName(id);
    if (!user) throw new ApiProblem('not-found', `no admin user "${id}"`);
    return user;
  };
  const audit = (tx: Parameters<Parameters<typeof store.write>[0]>[0], input: OpInput, action: string, entity: string, id: string, key: string, before: unknown, after: unknown) => tx.appendAudit({
    actor: input.principal?.user ?? 'anonymous', action, entity, entity_id: id, entity_key: key,
    before: before === null ? null : JSON.stringify(before), after: after === null ? null : JSON.stringify(after), request_id: input.requestId,
  });
  // The last admin cannot be demoted or deleted: that would lock everyone out. Counted inside the
  // write's transaction, so two concurrent requests cannot each remove "the other" admin.
  const guardLastAdmin = async (session: StoreSession, user: AdminUserRow) => {
    if (user.role !== 'admin') return;
    const admins = await session.countAdminsLocked();
    if (admins <= 1) throw new ApiProblem('conflict', 'this is the last admin; create another admin first');
  };
  return [
    {
      id: 'get-me', method: 'GET', path: '/admin/me', tag: 'Admin user', role: 'viewer',
      summary: 'Who the presented token belongs to',
      responses: { 200: { description: 'The caller.', schema: Type.Object({ user: Type.String(), role: Type.String(), token_id: Type.String() }) } },
      async handler(input) { return { body: { user: input.principal!.user, role: input.principal!.role, token_id: input.principal!.tokenId } }; },
    },
    {
      id: 'list-admin-users', method: 'GET', path: '/admin/users', tag: 'Admin user', role: 'admin',
      summary: 'List admin users', query: [LIMIT_PARAM, CURSOR_PARAM],
      responses: { 200: { description: 'One page.', schema: pageSchema(UserResponse) } },
      async handler(input) {
        const page = await store.read().listAdminUsers(pageParams(input.query));
        return { body: pageBody(page, presentUser) };
      },
    },
    {
      id: 'create-admin-user', method: 'POST', path: '/admin/users', tag: 'Admin user', role: 'admin', write: true,
      summary: 'Create an admin user', body: AdminUserSchema,
      responses: { 201: { description: 'Created.', schema: UserResponse, etag: true } },
      problems: ['conflict'],
      async handler(input) {
        const u = checkUser(input.body);
        const row = await store.write(async (tx) => {
          const created = await tx.insertAdminUser({ name: u.name, email: u.email ?? null, role: u.role });
          await audit(tx, input, 'create', 'admin_user', created.id, created.name, null, presentUser(created));
          return created;
        });
        return { status: 201, body: presentUser(row), headers: { etag: etagOf(row.version), location: `/admin/users/${row.id}` } };
      },
    },
    {
      id: 'get-admin-user', method: 'GET', path: '/admin/users/{id}', tag: 'Admin user', role: 'admin',
      summary: 'Read an admin user (by id or name)',
      responses: { 200: { description: 'The user.', schema: UserResponse, etag: true } },
      problems: ['not-found'],
      async handler(input) {
        const u = await find(input.params.id!);
        return { body: presentUser(u), headers: { etag: etagOf(u.version) } };
      },
    },
    {
      id: 'replace-admin-user', method: 'PUT', path: '/admin/users/{id}', tag: 'Admin user', role: 'admin', write: true,
      summary: 'Replace an admin user (name, email, role)', body: AdminUserSchema,
      responses: { 200: { description: 'Replaced.', schema: UserResponse, etag: true } },
      problems: ['not-found', 'conflict', 'precondition-failed'],
      async handler(input) {
        const u = checkUser(input.body);
        const current = await find(input.params.id!);
        const row = await store.write(async (tx) => {
          if (u.role !== 'admin') await guardLastAdmin(tx, current);
          const updated = await tx.updateAdminUser(current.id, { name: u.name, email: u.email ?? null, role: u.role }, expectedVersion(input.headers, current.version) ?? current.version);
          await audit(tx, input, 'update', 'admin_user', current.id, updated.name, presentUser(current), presentUser(updated));
          return updated;
        });
        return { body: presentUser(row), headers: { etag: etagOf(row.version) } };
      },
    },
    {
      id: 'delete-admin-user', method: 'DELETE', path: '/admin/users/{id}', tag: 'Admin user', role: 'admin', write: true,
      summary: 'Delete an admin user and all their tokens',
      responses: { 204: { description: 'Deleted.' } },
      problems: ['not-found', 'conflict', 'precondition-failed'],
      async handler(input) {
        const current = await find(input.params.id!);
        await store.write(async (tx) => {
          await guardLastAdmin(tx, current);
          await tx.deleteAdminUser(current.id, expectedVersion(input.headers, current.version) ?? current.version);
          await audit(tx, input, 'delete', 'admin_user', current.id, current.name, presentUser(current), null);
        });
        return { status: 204 };
      },
    },
    {
      id: 'list-admin-tokens', method: 'GET', path: '/admin/users/{id}/tokens', tag: 'Admin user', role: 'admin',
      summary: 'List a user’s tokens (never the secrets)',
      responses: { 200: { description: 'Tokens.', schema: Type.Object({ data: Type.Array(TokenResponse) }) } },
      problems: ['not-found'],
      async handler(input) {
        const u = await find(input.params.id!);
        return { body: { data: (await store.read().listAdminTokens(u.id)).map(presentToken) } };
      },
    },
    {
      id: 'create-admin-token', method: 'POST', path: '/admin/users/{id}/tokens', tag: 'Admin user', role: 'admin', write: true,
      summary: 'Issue a token for a user (shown once)', body: AdminTokenInputSchema,
      responses: { 201: { description: 'Created.', schema: TokenCreated } },
      problems: ['not-found'],
      async handler(input) {
        const v = validate<{ name: string; expires_at?: string }>(AdminTokenInputSchema, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        const u = await find(input.params.id!);
        const { token, id } = await auth.issue(u.id, v.value.name, v.value.expires_at ?? null);
        const row = (await store.read().getAdminToken(id))!;
        await store.write((tx) => audit(tx, input, 'create', 'admin_token', id, `${u.name}/${v.value.name}`, null, presentToken(row)));
        return { status: 201, body: { ...presentToken(row), token }, headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'delete-admin-token', method: 'DELETE', path: '/admin/users/{id}/tokens/{token_id}', tag: 'Admin user', role: 'admin', write: true,
      summary: 'Revoke a token',
      responses: { 204: { description: 'Revoked.' } },
      problems: ['not-found'],
      async handler(input) {
        const u = await find(input.params.id!);
        const token = await store.read().getAdminToken(input.params.token_id!);
        if (!token || token.user_id !== u.id) throw new ApiProblem('not-found', 'no such token');
        await store.write(async (tx) => {
          await tx.deleteAdminToken(token.id);
          await audit(tx, input, 'delete', 'admin_token', token.id, `${u.name}/${token.name}`, presentToken(token), null);
        });
        return { status: 204 };
      },
    },
  ];
}
