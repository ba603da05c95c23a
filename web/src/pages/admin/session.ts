import { createContext, useContext } from 'react';
import type { AdminSession } from '../../api';

export interface SessionState {
  /** undefined while /me is being asked, null when logged out. */
  session: AdminSession | null | undefined;
  setSession: (s: AdminSession | null) => void;
}

export const SessionContext = createContext<SessionState>({
  session: undefined,
  setSession: () => {},
});

export function useSession(): SessionState {
  return useContext(SessionContext);
}
