// The current team: members and their roles, open invitations, invite by email, remove, leave.
// Owner-only controls are not rendered for developers (the API refuses them anyway).
import { useCallback, useEffect, useState } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { SelectField, TextField } from '../../ui/Field.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { usePortalSession } from '../session.tsx';
import { Form, ProblemSummary } from './Form.tsx';
import './account.css';
import { useSubmit } from './useSubmit.ts';

type Member = components['schemas']['PortalMember'];
type Invitation = components['schemas']['PortalInvitation'];
type Role = Member['role'];
const ROLES = [{ value: 'developer', label: 'Developer' }, { value: 'owner', label: 'Owner' }] as const;

function Invite({ team, onInvited }: { team: string; onInvited(): void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [sent, setSent] = useState<string | undefined>();
  const { busy, problems, run } = useSubmit(['email', 'role']);
  const submit = () => void run(async () => {
    await call(portal.POST('/portal/api/teams/{team}/invitations', { params: { path: { team } }, body: { email, role } }));
    setSent(email);
    setEmail('');
    onInvited();
  });
  return (
    <div className="account-form">
      <ProblemSummary message={problems.summary} />
      {sent ? <p role="status" className="break-anywhere">Invitation sent to {sent}.</p> : null}
      <Form label="Invite a member" onSubmit={submit}>
        <TextField label="Email" type="email" required value={email} onChange={setEmail} error={problems.fields.email} />
        <SelectField label="Role" value={role} onChange={(v) => setRole(v as Role)} options={ROLES} hint="Owners manage the team and its members; developers manage applications and keys." error={problems.fields.role} />
        <Button type="submit" busy={busy}>Send invitation</Button>
      </Form>
    </div>
  );
}

export default function Team() {
  const { account, team, refresh } = usePortalSession();
  const [members, setMembers] = useState<readonly Member[] | undefined>();
  const [invitations, setInvitations] = useState<readonly Invitation[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const owner = team?.role === 'owner';
  const teamId = team?.id;

  const load = useCallback(async () => {
    if (!teamId) return;
    setError(undefined);
    try {
      setMembers((await call(portal.GET('/portal/api/teams/{team}/members', { params: { path: { team: teamId } } }))).data);
      if (owner) setInvitations((await call(portal.GET('/portal/api/teams/{team}/invitations', { params: { path: { team: teamId } } }))).data);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [teamId, owner]);
  useEffect(() => { setMembers(undefined); setInvitations(undefined); void load(); }, [load]);

  const act = async (work: () => Promise<unknown>, after: () => Promise<void> = load) => {
    setActionError(undefined);
    try {
      await work();
      await after();
    } catch (err) {
      setActionError(messageOf(err));
    }
  };
  if (!team || !teamId) return <div className="container account-page"><h1>Team</h1><p>You are not in a team yet.</p></div>;
  const path = (user: string) => ({ params: { path: { team: teamId, user } } });
  const setRole = (user: string, role: Role) => act(() => call(portal.PATCH('/portal/api/teams/{team}/members/{user}', { ...path(user), body: { role } })));
  const remove = (m: Member) => {
    if (!window.confirm(`Remove ${m.email} from ${team.name}?`)) return;
    void act(() => call(portal.DELETE('/portal/api/teams/{team}/members/{user}', path(m.user_id))));
  };
  const leave = () => {
    if (!account || !window.confirm(`Leave ${team.name}? You lose access to its applications and keys.`)) return;
    void act(() => call(portal.DELETE('/portal/api/teams/{team}/members/{user}', path(account.id))), refresh);
  };
  const withdraw = (inv: Invitation) => act(() => call(portal.DELETE('/portal/api/teams/{team}/invitations/{invitation}', { params: { path: { team: teamId, invitation: inv.id } } })));

  return (
    <div className="container account-page">
      <h1 className="break-anywhere">Team {team.name}</h1>
      <p>Your role: <Badge tone="info">{team.role}</Badge></p>
      {actionError ? <div className="form-errors" role="alert">{actionError}</div> : null}
      <section aria-labelledby="team-members">
        <h2 id="team-members">Members</h2>
        <DataTable<Member>
          caption="Members" rows={members} loading={members === undefined} error={error} empty="No members." rowKey={(m) => m.user_id}
          columns={[
            { key: 'email', header: 'Email', render: (m) => m.email, truncate: (m) => m.email },
            {
              key: 'role', header: 'Role',
              render: (m) => owner && m.user_id !== account?.id
                ? <select className="input" aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => void setRole(m.user_id, e.target.value as Role)}>{ROLES.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}</select>
                : m.role,
            },
            { key: 'joined', header: 'Joined', render: (m) => new Date(m.joined_at).toLocaleDateString() },
            {
              key: 'actions', header: 'Actions',
              render: (m) => m.user_id === account?.id
                ? <Button small onClick={leave}>Leave team</Button>
                : owner ? <Button small variant="danger" onClick={() => remove(m)} aria-label={`Remove ${m.email}`}>Remove</Button> : null,
            },
          ]}
        />
      </section>
      {owner ? (
        <>
          <section aria-labelledby="team-invitations">
            <h2 id="team-invitations">Open invitations</h2>
            <DataTable<Invitation>
              caption="Open invitations" rows={invitations} loading={invitations === undefined} error={error} empty="No open invitations." rowKey={(i) => i.id}
              columns={[
                { key: 'email', header: 'Email', render: (i) => i.email, truncate: (i) => i.email },
                { key: 'role', header: 'Role', render: (i) => i.role },
                { key: 'expires', header: 'Expires', render: (i) => new Date(i.expires_at).toLocaleString() },
                { key: 'actions', header: 'Actions', render: (i) => <Button small onClick={() => void withdraw(i)} aria-label={`Withdraw the invitation of ${i.email}`}>Withdraw</Button> },
              ]}
            />
          </section>
          <section aria-labelledby="team-invite">
            <h2 id="team-invite">Invite a member</h2>
            <Invite team={teamId} onInvited={() => void load()} />
          </section>
        </>
      ) : null}
    </div>
  );
}
