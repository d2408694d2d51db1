/** Keystone sign-in, project switching and sign-out (POST/DELETE /v3/auth/tokens). */
import { call, rawCall } from './client';
import { currentSession, setSession, type Session } from './session-store';

interface TokenBody {
  token: {
    expires_at: string;
    user: { id: string; name: string; domain: { id: string } };
    project?: { id: string; name: string };
    roles?: { name: string }[];
  };
}

async function issue(auth: unknown): Promise<{ id: string; body: TokenBody }> {
  const r = await rawCall('identity', '/v3/auth/tokens', { body: { auth }, anonymous: true });
  return { id: r.headers.get('X-Subject-Token') ?? '', body: (await r.json()) as TokenBody };
}

async function scoped(unscoped: string, projectId: string) {
  return issue({ identity: { methods: ['token'], token: { id: unscoped } }, scope: { project: { id: projectId } } });
}

function sessionOf(unscoped: string, t: { id: string; body: TokenBody }, projects: Session['projects']): Session {
  const b = t.body.token;
  return {
    token: t.id,
    unscopedToken: unscoped,
    expiresAt: b.expires_at,
    user: { id: b.user.id, name: b.user.name, domainId: b.user.domain.id },
    project: { id: b.project!.id, name: b.project!.name },
    roles: (b.roles ?? []).map((r) => r.name),
    projects,
  };
}

const LAST_PROJECT = 'kumo.lastProject';

/** Password sign-in: an unscoped token, the user's projects, then a token for the last used (or first) one. */
export async function signIn(domain: string, username: string, password: string): Promise<void> {
  const un = await issue({
    identity: { methods: ['password'], password: { user: { name: username, domain: { name: domain }, password } } },
  });
  const list = await rawCall('identity', '/v3/auth/projects', { headers: { 'X-Auth-Token': un.id }, anonymous: true });
  const projects = ((await list.json()) as { projects: { id: string; name: string }[] }).projects
    .map((p) => ({ id: p.id, name: p.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (projects.length === 0) throw new Error('You have no role on any project: ask an administrator for one.');
  const last = localStorage.getItem(LAST_PROJECT);
  const project = projects.find((p) => p.id === last) ?? projects[0]!;
  setSession(sessionOf(un.id, await scoped(un.id, project.id), projects));
}

/**
 * Token renewal: Keystone keeps a token's expiry through rescoping, so a longer session needs the password
 * again. A new unscoped token, then the current project's, replace the old ones (which are revoked).
 */
export async function renewSession(password: string): Promise<void> {
  const s = currentSession();
  if (!s) return;
  const un = await issue({ identity: { methods: ['password'], password: { user: { id: s.user.id, password } } } });
  const old = [s.token, s.unscopedToken];
  setSession(sessionOf(un.id, await scoped(un.id, s.project.id), s.projects));
  for (const t of old) await revoke(t);
}

async function revoke(t: string): Promise<void> {
  await call('identity', '/v3/auth/tokens', {
    method: 'DELETE',
    headers: { 'X-Auth-Token': t, 'X-Subject-Token': t },
    anonymous: true,
  }).catch(() => undefined);
}

export async function switchProject(projectId: string): Promise<void> {
  const s = currentSession();
  if (!s) return;
  setSession(sessionOf(s.unscopedToken, await scoped(s.unscopedToken, projectId), s.projects));
  localStorage.setItem(LAST_PROJECT, projectId);
}

/** Revokes both tokens, then forgets them (a failed revoke still signs out here). */
export async function signOut(): Promise<void> {
  const s = currentSession();
  setSession(undefined, 'You have signed out.');
  if (!s) return;
  for (const t of [s.token, s.unscopedToken]) {
    await call('identity', '/v3/auth/tokens', {
      method: 'DELETE',
      headers: { 'X-Auth-Token': t, 'X-Subject-Token': t },
      anonymous: true,
    }).catch(() => undefined);
  }
}
