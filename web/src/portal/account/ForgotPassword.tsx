// Ask for a reset link. The API answers 202 for any address, and so does the page.
import { useState } from 'react';
import { call, portal } from '../../api/portal.ts';
import { Link } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import { AuthCard, Form, ProblemSummary } from './Form.tsx';
import { useSubmit } from './useSubmit.ts';

export default function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { busy, problems, run } = useSubmit(['email']);
  const submit = () => void run(async () => {
    await call(portal.POST('/portal/api/password-reset', { body: { email } }));
    setSent(true);
  });
  return (
    <AuthCard title="Reset your password">
      {sent ? (
        <div role="status">
          <p>If <strong className="break-anywhere">{email}</strong> has an account, a message with a reset link is on its way. The link works once, for one hour.</p>
          <p><Link href="/login">Back to log in</Link></p>
        </div>
      ) : (
        <>
          <ProblemSummary message={problems.summary} />
          <Form label="Request a reset link" onSubmit={submit}>
            <TextField label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={setEmail} error={problems.fields.email} />
            <Button type="submit" variant="primary" busy={busy}>Send reset link</Button>
          </Form>
          <p className="auth-links"><Link href="/login">Back to log in</Link></p>
        </>
      )}
    </AuthCard>
  );
}
