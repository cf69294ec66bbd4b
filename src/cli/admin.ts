// `portcullis admin token [--user NAME]`: a new admin API token straight in the store, for an
// operator with access to the database: the way back in when every token is lost. The user is
// created (role admin) when the store has none of that name.
import { parseArgs } from 'node:util';
import { AdminAuth } from '../admin/auth.ts';
import { DEFAULT_DB } from '../store/location.ts';
import { DuplicateKeyError } from '../store/ports.ts';
import { checkDb, UsageError } from './args.ts';
import { actorName, StoreOpenError, withStore, type Io } from './config.ts';

export async function runAdmin(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'token') throw new UsageError(sub === undefined ? 'admin needs a subcommand: portcullis admin token [--user NAME]' : `unknown admin subcommand "${sub}" (token)`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: { db: { type: 'string' }, user: { type: 'string' }, name: { type: 'string' } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const db = values.db ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
  const userName = values.user ?? 'admin';
  try {
    return await withStore(db, async (store) => {
      const actor = actorName();
      let user = await store.read().getAdminUserByName(userName);
      if (!user) {
        try {
          user = await store.write(async (tx) => {
            const created = await tx.insertAdminUser({ name: userName, email: null, role: 'admin' });
            await tx.appendAudit({ actor, action: 'create', entity: 'admin_user', entity_id: created.id, entity_key: created.name, before: null, after: JSON.stringify({ id: created.id, name: created.name, role: created.role }), request_id: null });
            return created;
          });
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
          user = (await store.read().getAdminUserByName(userName))!;
        }
      }
      const label = values.name ?? `issued by ${actor}`;
      const { token, id } = await new AdminAuth(store).issue(user.id, label, null);
      await store.write((tx) => tx.appendAudit({ actor, action: 'create', entity: 'admin_token', entity_id: id, entity_key: `${user.name}/${label}`, before: null, after: JSON.stringify({ id, name: label }), request_id: null }));
      io.err(`token for admin user "${user.name}" (role ${user.role}); shown once:`);
      io.out(token);
      return 0;
    });
  } catch (err) {
    if (err instanceof StoreOpenError) {
      io.err(`portcullis: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
