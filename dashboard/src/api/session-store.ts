/**
 * The signed-in session, kept in this tab's sessionStorage (gone with the
 * tab, never shared with other sites): the project-scoped token the APIs
 * take, and the unscoped one that switches projects.
 */
export interface Session {
  token: string;
  /** Unscoped token: rescopes to another project without the password. */
  unscopedToken: string;
  expiresAt: string;
  user: { id: string; name: string; domainId: string };
  project: { id: string; name: string };
  roles: string[];
  projects: { id: string; name: string }[];
}

const KEY = 'kumo.session';
type Listener = (s: Session | undefined, reason?: string) => void;
const listeners = new Set<Listener>();
let current: Session | undefined = load();

function load(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && Date.parse(s.expiresAt) > Date.now() ? s : undefined;
  } catch {
    return undefined;
  }
}

export const currentSession = (): Session | undefined => current;
export const currentToken = (): string | undefined => current?.token;
export const isAdmin = (s: Session | undefined): boolean => Boolean(s?.roles.includes('admin'));

export function setSession(s: Session | undefined, reason?: string): void {
  current = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l(s, reason);
}

export function expireSession(reason: string): void {
  if (current) setSession(undefined, `Your session has ended: ${reason}`);
}

export function onSession(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
