// The reset link's target: a new password with the token. Every session of the account ends, so
// the page refreshes the session and asks the user to log in.
import { useState } from 'react';
import { call, portal } from '../../api/portal.ts';
import { Link } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { AuthCard, Form, ProblemSummary } from './Form.tsx';
import { PASSWORD_RULE, passwordProblem } from './problems.ts';
import { useSubmit } from './useSubmit.ts';

export default function ResetPassword({ search }: PageProps) {
  const token = search.get('token') ?? '';
  const { refresh } = usePortalSession();
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const { busy, problems, setProblems, run } = useSubmit(['password']);
  const submit = () => {
    const weak = passwordProblem(password);
    if (weak) { setProblems({ fields: { password: weak }, summary: undefined }); return; }
    void run(async () => {
      await call(portal.POST('/portal/api/password-reset/confirm', { body: { token, password } }));
      setDone(true);
      await refresh();
    });
  };
  if (!token) return <AuthCard title="Choose a new password"><div className="form-errors" role="alert">The link has no token. <Link href="/forgot-password">Ask for a new link</Link>.</div></AuthCard>;
  return (
    <AuthCard title="Choose a new password">
      {done ? (
        <div role="status">
          <p>Your password is changed, and every session of your account has ended.</p>
          <p><Link href="/login">Log in with the new password</Link></p>
        </div>
      ) : (
        <>
          <ProblemSummary message={problems.summary} />
          {problems.summary ? <p><Link href="/forgot-password">Ask for a new link</Link></p> : null}
          <Form label="Set a new password" onSubmit={submit}>
            <TextField label="New password" type="password" name="password" autoComplete="new-password" required value={password} onChange={setPassword} hint={PASSWORD_RULE} error={problems.fields.password} />
            <Button type="submit" variant="primary" busy={busy}>Set password</Button>
          </Form>
        </>
      )}
    </AuthCard>
  );
}
