// Log in, then back to where the visitor was going (`?next=`, a path on this site only).
import { useState } from 'react';
import { call, portal, setCsrfToken } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { AuthCard, Form, ProblemSummary } from './Form.tsx';
import { safeNext } from './problems.ts';
import { useSubmit } from './useSubmit.ts';

export default function Login({ search }: PageProps) {
  const { refresh } = usePortalSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, problems, run } = useSubmit(['email', 'password']);
  const next = safeNext(search.get('next'));
  const submit = () => void run(async () => {
    const session = await call(portal.POST('/portal/api/session', { body: { email, password } }));
    setCsrfToken(session.csrf_token);
    await refresh();
    navigate(next, { replace: true });
  });
  return (
    <AuthCard title="Log in">
      <ProblemSummary message={problems.summary} />
      <Form label="Log in" onSubmit={submit}>
        <TextField label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={setEmail} error={problems.fields.email} />
        <TextField label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={setPassword} error={problems.fields.password} />
        <Button type="submit" variant="primary" busy={busy}>Log in</Button>
      </Form>
      <p className="auth-links"><Link href="/forgot-password">Forgot your password?</Link> <Link href="/signup">Create an account</Link></p>
    </AuthCard>
  );
}
