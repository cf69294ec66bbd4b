// The admin console (/console): checks the session, then the shell with its pages. Loaded as its
// own chunk, so the portal never pays for it.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { admin, ApiError, call } from '../api/client.ts';
import { Spinner } from '../ui/Spinner.tsx';
import { useToast } from '../ui/Toast.tsx';
import { SessionContext, sessionOf } from './session.tsx';
import { Shell } from './Shell.tsx';
import { SignIn } from './SignIn.tsx';

export default function Console() {
  const [me, setMe] = useState<{ user: string; role: string } | null | undefined>(undefined);
  const toast = useToast();
  useEffect(() => {
    document.title = 'Portcullis console';
    call(admin.GET('/admin/me')).then(
      (m) => setMe({ user: m.user, role: m.role }),
      (err: unknown) => {
        setMe(null);
        if (!(err instanceof ApiError && err.status === 401)) toast.show(`The admin API did not answer: ${err instanceof Error ? err.message : String(err)}`, 'error');
      },
    );
  }, [toast]);
  const signOut = useCallback(() => {
    void call(admin.DELETE('/admin/session')).finally(() => setMe(null));
  }, []);
  const session = useMemo(() => (me ? sessionOf(me.user, me.role, signOut) : undefined), [me, signOut]);
  if (me === undefined) return <div className="page-loading"><Spinner label="Checking your session" /></div>;
  if (!session) return <SignIn onSignedIn={(user, role) => setMe({ user, role })} />;
  return <SessionContext.Provider value={session}><Shell /></SessionContext.Provider>;
}
