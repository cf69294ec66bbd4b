// The account page: the address and whether it is verified (with a new link on request), a
// password change, and log out.
import { useState } from 'react';
import { call, messageOf, portal, setCsrfToken } from '../../api/portal.ts';
import { navigate } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import { usePortalSession } from '../session.tsx';
import { Form, ProblemSummary } from './Form.tsx';
import './account.css';
import { PASSWORD_RULE, passwordProblem } from './problems.ts';
import { useSubmit } from './useSubmit.ts';

function ResendVerification() {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const resend = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await call(portal.POST('/portal/api/account/verification'));
      setSent(true);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  if (sent) return <p role="status">A new verification link is on its way. It works once, for two days.</p>;
  return (
    <>
      <p>Verify your address to create API keys.</p>
      {error ? <div className="form-errors" role="alert">{error}</div> : null}
      <Button busy={busy} onClick={() => void resend()}>Send a new verification link</Button>
    </>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const { busy, problems, setProblems, run } = useSubmit(['current_password', 'new_password']);
  const submit = () => {
    const weak = passwordProblem(next);
    if (weak) { setProblems({ fields: { new_password: weak }, summary: undefined }); return; }
    setDone(false);
    void run(async () => {
      await call(portal.POST('/portal/api/account/password', { body: { current_password: current, new_password: next } }));
      setCurrent('');
      setNext('');
      setDone(true);
    });
  };
  return (
    <div className="account-form">
      <ProblemSummary message={problems.summary} />
      {done ? <p role="status">Password changed. Your other sessions have ended.</p> : null}
      <Form label="Change password" onSubmit={submit}>
        <TextField label="Current password" type="password" autoComplete="current-password" required value={current} onChange={setCurrent} error={problems.fields.current_password} />
        <TextField label="New password" type="password" autoComplete="new-password" required value={next} onChange={setNext} hint={PASSWORD_RULE} error={problems.fields.new_password} />
        <Button type="submit" busy={busy}>Change password</Button>
      </Form>
    </div>
  );
}

export default function Account() {
  const { account, refresh } = usePortalSession();
  const [error, setError] = useState<string | undefined>();
  const logout = async () => {
    try {
      await call(portal.DELETE('/portal/api/session'));
      setCsrfToken(undefined);
      await refresh();
      navigate('/');
    } catch (err) {
      setError(messageOf(err));
    }
  };
  if (!account) return null;
  return (
    <div className="container account-page">
      <h1>Your account</h1>
      <section aria-labelledby="account-details">
        <h2 id="account-details">Details</h2>
        <dl className="account-facts">
          <dt>Email</dt><dd>{account.email}</dd>
          <dt>Address</dt><dd>{account.verified ? <Badge tone="success">verified</Badge> : <Badge tone="warning">not verified</Badge>}</dd>
          <dt>Member since</dt><dd>{new Date(account.created_at).toLocaleDateString()}</dd>
        </dl>
        {account.verified ? null : <ResendVerification />}
      </section>
      <section aria-labelledby="account-password">
        <h2 id="account-password">Change password</h2>
        <ChangePassword />
      </section>
      <section aria-labelledby="account-session">
        <h2 id="account-session">Session</h2>
        {error ? <div className="form-errors" role="alert">{error}</div> : null}
        <Button onClick={() => void logout()}>Log out</Button>
      </section>
    </div>
  );
}
