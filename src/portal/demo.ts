// The demo's developer account (`npm start`): verified, owner of its own team, so the portal can be
// tried at once. Only the demo calls this; real accounts sign up and verify their address.
import { hashPassword } from '../core/identity/secrets.ts';
import type { Store } from '../store/ports.ts';
import { normaliseEmail } from './secrets.ts';

/** Creates the account, or sets its password if it exists; returns whether it was created. */
export async function ensureDeveloperAccount(store: Store, emailIn: string, password: string, teamName: string): Promise<boolean> {
  const email = normaliseEmail(emailIn);
  const hash = await hashPassword(password);
  const now = new Date().toISOString();
  return store.write(async (tx) => {
    const existing = await tx.portal.getUserByEmail(email);
    if (existing) {
      await tx.portal.updateUser(existing.id, { password_hash: hash, ...(existing.email_verified_at === null ? { email_verified_at: now } : {}) });
      return false;
    }
    const user = await tx.portal.insertUser({ email, password_hash: hash, email_verified_at: now });
    const team = await tx.portal.insertTeam(teamName);
    await tx.portal.addMember(team.id, user.id, 'owner');
    return true;
  });
}
