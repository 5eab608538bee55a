import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role } from './api.js';

export interface Who {
  role: Role;
  user: string | null;
}

export const SessionContext = createContext<Who>({ role: 'viewer', user: null });

export function useWho(): Who {
  return useContext(SessionContext);
}

/**
 * What the UI offers a role (the admin API enforces the same server-side): only `admin` changes
 * anything; `finance` sees no logged content.
 */
export function canEdit(who: Who): boolean {
  return who.role === 'admin';
}

export function seesContent(who: Who): boolean {
  return who.role !== 'finance';
}
