// After sign-up: the link is in the mailbox. The address is only echoed back from the URL (the
// API never says whether it was new).
import { Link } from '../../router.tsx';
import type { PageProps } from '../routes.tsx';
import { AuthCard } from './Form.tsx';

export default function CheckEmail({ search }: PageProps) {
  const email = search.get('email');
  return (
    <AuthCard title="Check your email">
      <p>
        We sent a message to {email ? <strong className="break-anywhere">{email}</strong> : 'your address'} with a link to verify it.
        The link works once, for two days.
      </p>
      <p>You can already <Link href="/login">log in</Link> and look around; creating API keys needs a verified address.</p>
      <p className="hint">No message? Check the spam folder, or log in and send a new link from your account page.</p>
    </AuthCard>
  );
}
