// The portal's tables: users, sessions, mailed tokens, teams and their members, and the link from
// a team to its applications (consumers). Plain accessors; the portal validates inputs and decides
// who may do what before anything reaches here.
import { uuidv7 } from '../ids.ts';
import { uniquely } from '../ports.ts';
import type { Db } from '../page.ts';
import type { Dialect, PortalAppRow, PortalMemberRow, PortalSessionRow, PortalTeamRow, PortalTokenRow, PortalUserRow } from '../schema.ts';

export type TokenPurpose = 'verify-email' | 'reset-password' | 'invite';
export type MemberRole = 'owner' | 'developer';
export interface Membership { readonly team: PortalTeamRow; readonly role: MemberRole }
export interface MemberView { readonly user_id: string; readonly email: string; readonly role: MemberRole; readonly created_at: string }

const num = <T extends { version: number }>(r: T): T => ({ ...r, version: Number(r.version) });

export class PortalModel {
  readonly #db: Db;
  readonly #dialect: Dialect;
  constructor(db: Db, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  #now(): string { return new Date().toISOString(); }

  // --- users ----------------------------------------------------------------------------------

  async insertUser(input: { email: string; password_hash: string; email_verified_at?: string | null }): Promise<PortalUserRow> {
    const now = this.#now();
    const row: PortalUserRow = { id: uuidv7(), email: input.email, password_hash: input.password_hash, email_verified_at: input.email_verified_at ?? null, created_at: now, updated_at: now, version: 1 };
    await uniquely('a user with this email', () => this.#db.insertInto('portal_users').values(row).execute());
    return row;
  }

  async getUser(id: string): Promise<PortalUserRow | undefined> {
    const row = await this.#db.selectFrom('portal_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? num(row) : undefined;
  }

  async getUserByEmail(email: string): Promise<PortalUserRow | undefined> {
    const row = await this.#db.selectFrom('portal_users').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? num(row) : undefined;
  }

  async updateUser(id: string, patch: Partial<Pick<PortalUserRow, 'password_hash' | 'email_verified_at'>>): Promise<void> {
    await this.#db.updateTable('portal_users').set((eb) => ({ ...patch, updated_at: this.#now(), version: eb('version', '+', 1) })).where('id', '=', id).execute();
  }

  // --- sessions -------------------------------------------------------------------------------

  async insertSession(row: PortalSessionRow): Promise<void> {
    await this.#db.insertInto('portal_sessions').values(row).execute();
  }

  getSession(id: string): Promise<PortalSessionRow | undefined> {
    return this.#db.selectFrom('portal_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async touchSession(id: string, at: string): Promise<void> {
    await this.#db.updateTable('portal_sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.#db.deleteFrom('portal_sessions').where('id', '=', id).execute();
  }

  /** Ends every session of a user but `keep` (password change: the one that made it stays). */
  async deleteSessionsOf(userId: string, keep?: string): Promise<number> {
    let q = this.#db.deleteFrom('portal_sessions').where('user_id', '=', userId);
    if (keep !== undefined) q = q.where('id', '!=', keep);
    const result = await q.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Clean-up: sessions past their absolute end, or idle since before `idleBefore`. */
  async deleteExpiredSessions(now: string, idleBefore: string): Promise<number> {
    const result = await this.#db.deleteFrom('portal_sessions').where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)])).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // --- mailed tokens --------------------------------------------------------------------------

  async insertToken(row: Omit<PortalTokenRow, 'created_at' | 'used_at'>): Promise<PortalTokenRow> {
    const full: PortalTokenRow = { ...row, created_at: this.#now(), used_at: null };
    await this.#db.insertInto('portal_tokens').values(full).execute();
    return full;
  }

  getToken(id: string): Promise<PortalTokenRow | undefined> {
    return this.#db.selectFrom('portal_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Spends a token: true when this call marked it used (it existed for this purpose, was unused and
   * unexpired at `at`). Conditional in one statement, so of two concurrent uses exactly one wins.
   */
  async useToken(id: string, purpose: TokenPurpose, at: string): Promise<boolean> {
    const result = await this.#db.updateTable('portal_tokens').set({ used_at: at })
      .where('id', '=', id).where('purpose', '=', purpose).where('used_at', 'is', null).where('expires_at', '>', at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Clean-up: mailed tokens expired before `before` (used or not). */
  async deleteExpiredTokens(before: string): Promise<number> {
    const result = await this.#db.deleteFrom('portal_tokens').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Open (unused, unexpired) invitations of a team, newest first. */
  listInvitations(teamId: string, now: string): Promise<PortalTokenRow[]> {
    return this.#db.selectFrom('portal_tokens').selectAll().where('team_id', '=', teamId).where('purpose', '=', 'invite')
      .where('used_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
  }

  /** Withdraws an open invitation; the id is the token's hash (never the token). */
  async deleteInvitation(teamId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('portal_tokens').where('id', '=', id).where('team_id', '=', teamId).where('purpose', '=', 'invite').where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  // --- teams and members ----------------------------------------------------------------------

  async insertTeam(name: string): Promise<PortalTeamRow> {
    const now = this.#now();
    const row: PortalTeamRow = { id: uuidv7(), name, created_at: now, updated_at: now, version: 1 };
    await this.#db.insertInto('portal_teams').values(row).execute();
    return row;
  }

  async getTeam(id: string): Promise<PortalTeamRow | undefined> {
    const row = await this.#db.selectFrom('portal_teams').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? num(row) : undefined;
  }

  async renameTeam(id: string, name: string): Promise<void> {
    await this.#db.updateTable('portal_teams').set((eb) => ({ name, updated_at: this.#now(), version: eb('version', '+', 1) })).where('id', '=', id).execute();
  }

  /** The teams a user belongs to, with the user's role in each, oldest membership first. */
  async teamsOf(userId: string): Promise<Membership[]> {
    const rows = await this.#db.selectFrom('portal_members').innerJoin('portal_teams', 'portal_teams.id', 'portal_members.team_id')
      .select(['portal_teams.id', 'portal_teams.name', 'portal_teams.created_at', 'portal_teams.updated_at', 'portal_teams.version', 'portal_members.role'])
      .where('portal_members.user_id', '=', userId).orderBy('portal_members.created_at').orderBy('portal_members.id').execute();
    return rows.map(({ role, ...team }) => ({ team: num(team), role: role as MemberRole }));
  }

  async addMember(teamId: string, userId: string, role: MemberRole): Promise<PortalMemberRow> {
    const now = this.#now();
    const row: PortalMemberRow = { id: uuidv7(), team_id: teamId, user_id: userId, role, created_at: now, updated_at: now };
    await uniquely('this membership', () => this.#db.insertInto('portal_members').values(row).execute());
    return row;
  }

  async roleIn(teamId: string, userId: string): Promise<MemberRole | undefined> {
    const row = await this.#db.selectFrom('portal_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return row?.role as MemberRole | undefined;
  }

  async listMembers(teamId: string): Promise<MemberView[]> {
    const rows = await this.#db.selectFrom('portal_members').innerJoin('portal_users', 'portal_users.id', 'portal_members.user_id')
      .select(['portal_members.user_id', 'portal_users.email', 'portal_members.role', 'portal_members.created_at'])
      .where('portal_members.team_id', '=', teamId).orderBy('portal_members.created_at').orderBy('portal_members.id').execute();
    return rows.map((r) => ({ ...r, role: r.role as MemberRole }));
  }

  /**
   * The team's owners, counted under a lock held to the end of the transaction (Postgres: row locks
   * on the owners; SQLite: the write transaction holds the database lock), so two owners leaving at
   * once cannot both see "another owner remains".
   */
  async countOwnersLocked(teamId: string): Promise<number> {
    let q = this.#db.selectFrom('portal_members').select('id').where('team_id', '=', teamId).where('role', '=', 'owner');
    if (this.#dialect === 'postgres') q = q.forUpdate();
    return (await q.execute()).length;
  }

  async setMemberRole(teamId: string, userId: string, role: MemberRole): Promise<boolean> {
    const result = await this.#db.updateTable('portal_members').set({ role, updated_at: this.#now() }).where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async removeMember(teamId: string, userId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('portal_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  // --- applications ---------------------------------------------------------------------------

  async insertApp(input: Pick<PortalAppRow, 'team_id' | 'consumer' | 'name' | 'description'>): Promise<PortalAppRow> {
    const now = this.#now();
    const row: PortalAppRow = { id: uuidv7(), ...input, created_at: now, updated_at: now, version: 1 };
    await uniquely(`an application for consumer "${input.consumer}"`, () => this.#db.insertInto('portal_apps').values(row).execute());
    return row;
  }

  /** A team's application; undefined when it does not exist or belongs to another team. */
  async getApp(teamId: string, id: string): Promise<PortalAppRow | undefined> {
    const row = await this.#db.selectFrom('portal_apps').selectAll().where('id', '=', id).where('team_id', '=', teamId).executeTakeFirst();
    return row ? num(row) : undefined;
  }

  async appByConsumer(consumer: string): Promise<PortalAppRow | undefined> {
    const row = await this.#db.selectFrom('portal_apps').selectAll().where('consumer', '=', consumer).executeTakeFirst();
    return row ? num(row) : undefined;
  }

  async listApps(teamId: string): Promise<PortalAppRow[]> {
    const rows = await this.#db.selectFrom('portal_apps').selectAll().where('team_id', '=', teamId).orderBy('created_at').orderBy('id').execute();
    return rows.map(num);
  }

  async updateApp(teamId: string, id: string, patch: Partial<Pick<PortalAppRow, 'name' | 'description'>>): Promise<PortalAppRow | undefined> {
    await this.#db.updateTable('portal_apps').set((eb) => ({ ...patch, updated_at: this.#now(), version: eb('version', '+', 1) })).where('id', '=', id).where('team_id', '=', teamId).execute();
    return this.getApp(teamId, id);
  }

  async deleteApp(teamId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('portal_apps').where('id', '=', id).where('team_id', '=', teamId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
