import { useState, type FormEvent } from 'react';
import { admin, ApiError, call, messageOf } from '../api/client.ts';
import { Button } from '../ui/Button.tsx';
import { TextField } from '../ui/Field.tsx';

/** Sign-in with an admin token, exchanged for an HttpOnly session cookie (POST /admin/session). */
export function SignIn({ onSignedIn }: { onSignedIn(user: string, role: string): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await call(admin.POST('/admin/session', { body: { token: token.trim() } }));
      setToken('');
      onSignedIn(session.user, session.role);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid (or has expired).' : messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="center-card" id="main">
      <div className="card">
        <h1>Portcullis console</h1>
        <p>Sign in with an admin API token. It is kept in a cookie scripts cannot read, and only sent to the admin API.</p>
        <form onSubmit={submit} noValidate>
          <TextField label="Admin token" type="password" name="token" autoComplete="current-password" required value={token} onChange={setToken} error={error} hint="A token starting with pcat_, from the first start's output or an admin." />
          <Button type="submit" variant="primary" busy={busy} disabled={token.trim() === ''}>Sign in</Button>
        </form>
      </div>
    </main>
  );
}
