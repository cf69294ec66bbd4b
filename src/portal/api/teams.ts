// Teams: every account starts with one (its owner); owners invite by mail, change roles and remove
// members; a team always keeps an owner. Everything team-scoped names the team in its path and
// answers 404 to non-members (the same as a team that does not exist).
import Type from 'typebox';
import { ApiProblem, Timestamp, Uuid } from '../../admin/api/types.ts';
import { DuplicateKeyError, type StoreSession } from '../../store/ports.ts';
import type { MemberRole, MemberView } from '../../store/portal/model.ts';
import type { PortalTeamRow, PortalTokenRow } from '../../store/schema.ts';
import { inviteMessage } from '../mail/messages.ts';
import { normaliseEmail, secretHash } from '../secrets.ts';
import { bodyOf, issueToken, linkTo, principalOf, requireMember, sendMail, throttle, type PortalContext, type PortalOperation } from './context.ts';

const Role = Type.Union([Type.Literal('owner'), Type.Literal('developer')], { description: 'owner: manages the team and its members; developer: manages applications, subscriptions and keys.' });
const TeamName = Type.String({ minLength: 1, maxLength: 100 });
const TeamSchema = Type.Object({ id: Uuid, name: Type.String(), role: Role, created_at: Timestamp, updated_at: Timestamp }, { title: 'PortalTeam' });
const TeamInputSchema = Type.Object({ name: TeamName }, { additionalProperties: false, title: 'PortalTeamInput' });
const MemberSchema = Type.Object({ user_id: Uuid, email: Type.String(), role: Role, joined_at: Timestamp }, { title: 'PortalMember' });
const RoleInputSchema = Type.Object({ role: Role }, { additionalProperties: false, title: 'PortalMemberRoleInput' });
const InviteInputSchema = Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), role: Type.Optional(Role) }, { additionalProperties: false, title: 'PortalInvitationInput' });
const InvitationSchema = Type.Object({ id: Type.String({ description: 'Identifies the invitation (not the token, which only the mail carries).' }), email: Type.String(), role: Role, created_at: Timestamp, expires_at: Timestamp }, { title: 'PortalInvitation' });
const AcceptSchema = Type.Object({ token: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false, title: 'PortalInvitationAccept' });

const presentTeam = (team: PortalTeamRow, role: MemberRole) => ({ id: team.id, name: team.name, role, created_at: team.created_at, updated_at: team.updated_at });
const presentMember = (m: MemberView) => ({ user_id: m.user_id, email: m.email, role: m.role, joined_at: m.created_at });
const presentInvitation = (row: PortalTokenRow) => ({ id: row.id, email: row.email, role: row.role as MemberRole, created_at: row.created_at, expires_at: row.expires_at });

/** Refuses a change that would leave the team without an owner (counted under a lock). */
async function keepAnOwner(tx: StoreSession, teamId: string, userId: string): Promise<void> {
  if (await tx.portal.roleIn(teamId, userId) !== 'owner') return;
  if (await tx.portal.countOwnersLocked(teamId) <= 1) throw new ApiProblem('last-owner');
}

export function teamOperations(ctx: PortalContext): PortalOperation[] {
  const { store, settings } = ctx;
  const teamOf = async (id: string) => {
    const team = await store.read().portal.getTeam(id);
    if (!team) throw new ApiProblem('not-found', 'no such team');
    return team;
  };
  return [
    {
      id: 'portal-list-teams', method: 'GET', path: '/portal/api/teams', tag: 'Team', role: 'user',
      summary: 'The teams you belong to, with your role in each',
      responses: { 200: { description: 'Your teams.', schema: Type.Object({ data: Type.Array(TeamSchema) }) } },
      async handler(input) {
        const teams = await store.read().portal.teamsOf(principalOf(input).userId);
        return { body: { data: teams.map((m) => presentTeam(m.team, m.role)) } };
      },
    },
    {
      id: 'portal-create-team', method: 'POST', path: '/portal/api/teams', tag: 'Team', role: 'user', write: true,
      summary: 'Create another team (you are its owner)',
      body: TeamInputSchema,
      responses: { 201: { description: 'Created.', schema: TeamSchema } },
      async handler(input) {
        const p = principalOf(input);
        const { name } = bodyOf<{ name: string }>(TeamInputSchema, input.body);
        const team = await store.write(async (tx) => {
          const created = await tx.portal.insertTeam(name);
          await tx.portal.addMember(created.id, p.userId, 'owner');
          return created;
        });
        return { status: 201, body: presentTeam(team, 'owner'), headers: { location: `/portal/api/teams/${team.id}` } };
      },
    },
    {
      id: 'portal-get-team', method: 'GET', path: '/portal/api/teams/{team}', tag: 'Team', role: 'user',
      summary: 'A team you belong to',
      responses: { 200: { description: 'The team.', schema: TeamSchema } },
      problems: ['not-found'],
      async handler(input) {
        const role = await requireMember(ctx, principalOf(input), input.params.team!);
        return { body: presentTeam(await teamOf(input.params.team!), role) };
      },
    },
    {
      id: 'portal-rename-team', method: 'PATCH', path: '/portal/api/teams/{team}', tag: 'Team', role: 'user', write: true,
      summary: 'Rename a team (owners)',
      body: TeamInputSchema,
      responses: { 200: { description: 'Renamed.', schema: TeamSchema } },
      problems: ['not-found', 'forbidden'],
      async handler(input) {
        const team = input.params.team!;
        await requireMember(ctx, principalOf(input), team, ['owner']);
        const { name } = bodyOf<{ name: string }>(TeamInputSchema, input.body);
        await store.write((tx) => tx.portal.renameTeam(team, name));
        return { body: presentTeam(await teamOf(team), 'owner') };
      },
    },
    {
      id: 'portal-list-members', method: 'GET', path: '/portal/api/teams/{team}/members', tag: 'Team', role: 'user',
      summary: 'A team’s members',
      responses: { 200: { description: 'The members.', schema: Type.Object({ data: Type.Array(MemberSchema) }) } },
      problems: ['not-found'],
      async handler(input) {
        await requireMember(ctx, principalOf(input), input.params.team!);
        const members = await store.read().portal.listMembers(input.params.team!);
        return { body: { data: members.map(presentMember) } };
      },
    },
    {
      id: 'portal-set-member-role', method: 'PATCH', path: '/portal/api/teams/{team}/members/{user}', tag: 'Team', role: 'user', write: true,
      summary: 'Change a member’s role (owners); the last owner stays owner',
      body: RoleInputSchema,
      responses: { 200: { description: 'Changed.', schema: MemberSchema } },
      problems: ['not-found', 'forbidden', 'last-owner'],
      async handler(input) {
        const { team, user } = input.params as { team: string; user: string };
        await requireMember(ctx, principalOf(input), team, ['owner']);
        const { role } = bodyOf<{ role: MemberRole }>(RoleInputSchema, input.body);
        await store.write(async (tx) => {
          if (role !== 'owner') await keepAnOwner(tx, team, user);
          if (!await tx.portal.setMemberRole(team, user, role)) throw new ApiProblem('not-found', 'no such member');
        });
        const member = (await store.read().portal.listMembers(team)).find((m) => m.user_id === user)!;
        return { body: presentMember(member) };
      },
    },
    {
      id: 'portal-remove-member', method: 'DELETE', path: '/portal/api/teams/{team}/members/{user}', tag: 'Team', role: 'user', write: true,
      summary: 'Remove a member (owners), or leave the team (yourself); the last owner cannot leave',
      responses: { 204: { description: 'Removed.' } },
      problems: ['not-found', 'forbidden', 'last-owner'],
      async handler(input) {
        const { team, user } = input.params as { team: string; user: string };
        const p = principalOf(input);
        await requireMember(ctx, p, team, user === p.userId ? undefined : ['owner']);
        await store.write(async (tx) => {
          await keepAnOwner(tx, team, user);
          if (!await tx.portal.removeMember(team, user)) throw new ApiProblem('not-found', 'no such member');
        });
        return { status: 204 };
      },
    },
    {
      id: 'portal-list-invitations', method: 'GET', path: '/portal/api/teams/{team}/invitations', tag: 'Team', role: 'user',
      summary: 'Open invitations (owners)',
      responses: { 200: { description: 'Unused, unexpired invitations.', schema: Type.Object({ data: Type.Array(InvitationSchema) }) } },
      problems: ['not-found', 'forbidden'],
      async handler(input) {
        await requireMember(ctx, principalOf(input), input.params.team!, ['owner']);
        const rows = await store.read().portal.listInvitations(input.params.team!, new Date(settings.now()).toISOString());
        return { body: { data: rows.map(presentInvitation) } };
      },
    },
    {
      id: 'portal-invite', method: 'POST', path: '/portal/api/teams/{team}/invitations', tag: 'Team', role: 'user', write: true,
      summary: 'Invite someone by email (owners); the mailed link joins them with the role',
      body: InviteInputSchema,
      responses: { 201: { description: 'Invited (the link is mailed, never returned).', schema: InvitationSchema } },
      problems: ['not-found', 'forbidden', 'too-many-attempts'],
      async handler(input) {
        const p = principalOf(input);
        const teamId = input.params.team!;
        await requireMember(ctx, p, teamId, ['owner']);
        const b = bodyOf<{ email: string; role?: MemberRole }>(InviteInputSchema, input.body);
        const email = normaliseEmail(b.email);
        throttle([ctx.throttles.invitesPerUser, p.userId], [ctx.throttles.mailPerAddress, email]);
        const role = b.role ?? 'developer';
        const team = await teamOf(teamId);
        const issued = await store.write((tx) => issueToken(tx, settings, 'invite', settings.inviteTtlMs, { email, team_id: teamId, role, created_by: p.userId }));
        sendMail(ctx, inviteMessage(email, team.name, role, linkTo(settings, 'accept-invitation', issued.token)));
        const row = await store.read().portal.getToken(issued.id);
        return { status: 201, body: presentInvitation(row!) };
      },
    },
    {
      id: 'portal-withdraw-invitation', method: 'DELETE', path: '/portal/api/teams/{team}/invitations/{invitation}', tag: 'Team', role: 'user', write: true,
      summary: 'Withdraw an open invitation (owners)',
      responses: { 204: { description: 'Withdrawn.' } },
      problems: ['not-found', 'forbidden'],
      async handler(input) {
        const { team, invitation } = input.params as { team: string; invitation: string };
        await requireMember(ctx, principalOf(input), team, ['owner']);
        if (!await store.write((tx) => tx.portal.deleteInvitation(team, invitation))) throw new ApiProblem('not-found', 'no such open invitation');
        return { status: 204 };
      },
    },
    {
      id: 'portal-accept-invitation', method: 'POST', path: '/portal/api/invitations/accept', tag: 'Team', role: 'user', write: true,
      summary: 'Accept an invitation with the token from the mailed link',
      description: 'The signed-in account’s email must be the invited address (a forwarded link does not let someone else in). Accepting also verifies that address.',
      body: AcceptSchema,
      responses: { 200: { description: 'Joined.', schema: TeamSchema } },
      problems: ['token-invalid', 'conflict'],
      async handler(input) {
        const p = principalOf(input);
        const { token } = bodyOf<{ token: string }>(AcceptSchema, input.body);
        const id = secretHash(token);
        const at = new Date(settings.now()).toISOString();
        const joined = await store.write(async (tx) => {
          const row = await tx.portal.getToken(id);
          // A link for another address is answered like an unknown one.
          if (!row?.team_id || row.email !== p.email || !await tx.portal.useToken(id, 'invite', at)) throw new ApiProblem('token-invalid');
          const role = row.role as MemberRole;
          try {
            await tx.portal.addMember(row.team_id, p.userId, role);
          } catch (err) {
            if (err instanceof DuplicateKeyError) throw new ApiProblem('conflict', 'you are already a member of this team');
            throw err;
          }
          if (!p.verified) await tx.portal.updateUser(p.userId, { email_verified_at: at });
          return { team: (await tx.portal.getTeam(row.team_id))!, role };
        });
        return { body: presentTeam(joined.team, joined.role) };
      },
    },
  ];
}
