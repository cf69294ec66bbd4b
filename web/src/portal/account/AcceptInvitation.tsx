// The invitation link's target (logged-in only: the route sends visitors to log in and back).
// Accepting is an explicit click, so a link preview or prefetch never joins anyone to a team.
import { call, portal } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { AuthCard, ProblemSummary } from './Form.tsx';
import { useSubmit } from './useSubmit.ts';

export default function AcceptInvitation({ search }: PageProps) {
  const token = search.get('token') ?? '';
  const { account, refresh, selectTeam } = usePortalSession();
  const { busy, problems, run } = useSubmit([]);
  const accept = () => void run(async () => {
    const team = await call(portal.POST('/portal/api/invitations/accept', { body: { token } }));
    await refresh();
    selectTeam(team.id);
    navigate('/team');
  });
  return (
    <AuthCard title="Join a team">
      {!token ? <div className="form-errors" role="alert">The link has no token. Open the link from the invitation again.</div> : (
        <>
          <p>You were invited to a team. You are logged in as <strong className="break-anywhere">{account?.email}</strong>; the invitation must be for this address.</p>
          <ProblemSummary message={problems.summary} />
          <div className="btn-row">
            <Button variant="primary" busy={busy} onClick={accept}>Accept invitation</Button>
            <Link href="/">Not now</Link>
          </div>
        </>
      )}
    </AuthCard>
  );
}
