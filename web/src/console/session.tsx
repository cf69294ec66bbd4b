// Who is signed in to the console. The token itself never reaches JavaScript: it lives in the
// HttpOnly `pc_admin` cookie the server set on sign-in; the app only knows the user and role.
import { createContext, useContext } from 'react';

export type Role = 'admin' | 'editor' | 'viewer';

export interface SessionInfo {
  readonly user: string;
  readonly role: Role;
  /** Editors and admins change config; viewers only read (and see no edit buttons). */
  readonly canEdit: boolean;
  signOut(): void;
}

export const SessionContext = createContext<SessionInfo>({ user: '', role: 'viewer', canEdit: false, signOut: () => undefined });
export const useSession = () => useContext(SessionContext);

export const sessionOf = (user: string, role: string, signOut: () => void): SessionInfo => {
  const r: Role = role === 'admin' || role === 'editor' ? role : 'viewer';
  return { user, role: r, canEdit: r !== 'viewer', signOut };
};
