// Sign-up: email, password (the rule shown and checked before sending), optional team name.
// The API answers 202 whether or not the address is registered, so the page always moves on to
// "check your email".
import { useState } from 'react';
import { call, portal } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import { AuthCard, Form, ProblemSummary } from './Form.tsx';
import { PASSWORD_RULE, passwordProblem } from './problems.ts';
import { useSubmit } from './useSubmit.ts';

export default function SignUp() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [teamName, setTeamName] = useState('');
  const { busy, problems, setProblems, run } = useSubmit(['email', 'password', 'team_name']);
  const submit = () => {
    const weak = passwordProblem(password);
    if (weak) { setProblems({ fields: { password: weak }, summary: undefined }); return; }
    void run(async () => {
      await call(portal.POST('/portal/api/signup', { body: { email, password, ...(teamName.trim() ? { team_name: teamName.trim() } : {}) } }));
      navigate(`/check-email?email=${encodeURIComponent(email)}`);
    });
  };
  return (
    <AuthCard title="Create your account">
      <ProblemSummary message={problems.summary} />
      <Form label="Sign up" onSubmit={submit}>
        <TextField label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={setEmail} error={problems.fields.email} />
        <TextField label="Password" type="password" name="password" autoComplete="new-password" required value={password} onChange={setPassword} hint={PASSWORD_RULE} error={problems.fields.password} />
        <TextField label="Team name" name="team_name" autoComplete="organization" value={teamName} onChange={setTeamName} hint="Optional: your company or project. You can invite others to it." error={problems.fields.team_name} />
        <Button type="submit" variant="primary" busy={busy}>Sign up</Button>
      </Form>
      <p className="auth-links">Already have an account? <Link href="/login">Log in</Link></p>
    </AuthCard>
  );
}
