// The verification link's target: posts the token back once, then shows the outcome.
import { useEffect, useRef, useState } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Link } from '../../router.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { AuthCard } from './Form.tsx';

type State = { kind: 'working' } | { kind: 'done' } | { kind: 'failed'; message: string };

export default function VerifyEmail({ search }: PageProps) {
  const token = search.get('token') ?? '';
  const { account, refresh } = usePortalSession();
  const [state, setState] = useState<State>(token ? { kind: 'working' } : { kind: 'failed', message: 'The link has no token. Open the link from the message again.' });
  // A token works once: StrictMode's double effect (and re-renders) must not spend it twice.
  const sent = useRef(false);
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    call(portal.POST('/portal/api/account/verify', { body: { token } }))
      .then(async () => { setState({ kind: 'done' }); await refresh(); })
      .catch((err: unknown) => setState({ kind: 'failed', message: messageOf(err) }));
  }, [token, refresh]);
  return (
    <AuthCard title="Verify your email">
      {state.kind === 'working' ? <Spinner label="Verifying your address" /> : null}
      {state.kind === 'done' ? (
        <div role="status">
          <p>Your address is verified. You can now create API keys.</p>
          <p>{account ? <Link href="/account">Go to your account</Link> : <Link href="/login">Log in</Link>}</p>
        </div>
      ) : null}
      {state.kind === 'failed' ? (
        <>
          <div className="form-errors" role="alert">This link did not work: {state.message}</div>
          <p>Links work once and expire after two days. {account ? <Link href="/account">Send a new link from your account page</Link> : <><Link href="/login">Log in</Link> to send a new one.</>}</p>
        </>
      ) : null}
    </AuthCard>
  );
}
