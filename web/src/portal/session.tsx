// Who is logged in to the portal, and the team the pages work in. The session itself is an
// HttpOnly cookie; the app keeps the account, the CSRF token (in api/portal.ts) and the teams.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { call, portal, setCsrfToken } from '../api/portal.ts';
import type { components } from '../api/portal.gen/index.ts';

type Schemas = components['schemas'];
export type Account = Schemas["PortalAccount"];
export type Team = Schemas["PortalTeam"];

export interface PortalSession {
  /** undefined while the first answer is on its way. */
  readonly loading: boolean;
  readonly account: Account | undefined;
  readonly teams: readonly Team[];
  /** The team the team-scoped pages show (the first one unless the user picked another). */
  readonly team: Team | undefined;
  selectTeam(id: string): void;
  /** Ask the server again (after login, logout, verification, joining a team). */
  refresh(): Promise<void>;
}

const Ctx = createContext<PortalSession>({ loading: true, account: undefined, teams: [], team: undefined, selectTeam: () => undefined, refresh: async () => undefined });
export const usePortalSession = () => useContext(Ctx);

const TEAM_KEY = 'portcullis.portal.team';

export function PortalSessionProvider({ children }: { children: ReactNode }) {
  const [loading, setLoading] = useState(true);
  const [account, setAccount] = useState<Account | undefined>();
  const [teams, setTeams] = useState<readonly Team[]>([]);
  const [teamId, setTeamId] = useState<string | undefined>(() => sessionStorage.getItem(TEAM_KEY) ?? undefined);

  const refresh = useCallback(async () => {
    try {
      const session = await call(portal.GET('/portal/api/session'));
      setCsrfToken(session.csrf_token);
      setAccount(session.authenticated ? session.account : undefined);
      setTeams(session.authenticated ? (await call(portal.GET('/portal/api/teams'))).data : []);
    } catch {
      setAccount(undefined);
      setTeams([]);
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => { void refresh(); }, [refresh]);

  const selectTeam = useCallback((id: string) => {
    sessionStorage.setItem(TEAM_KEY, id);
    setTeamId(id);
  }, []);
  const team = teams.find((t) => t.id === teamId) ?? teams[0];
  const value = useMemo(() => ({ loading, account, teams, team, selectTeam, refresh }), [loading, account, teams, team, selectTeam, refresh]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
