/** The frame of every signed-in page: the navigation, the project switcher, the user and sign-out. */
import { useState, type ReactNode } from 'react';
import { signOut, switchProject } from '../api/auth';
import { isAdmin, type Session } from '../api/session-store';
import { NAV } from '../nav';
import { Link, navigate } from '../router';
import { SessionBanner } from './session-banner';
import { ErrorNote } from './ui';

export function Layout({
  session,
  services,
  path,
  children,
}: {
  session: Session;
  services: Set<string>;
  path: string;
  children: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string>();
  const admin = isAdmin(session);
  const onProject = (id: string) => {
    setError(undefined);
    switchProject(id).then(
      () => navigate('/project/instances'),
      (e: unknown) => setError((e as Error).message),
    );
  };
  return (
    <div className="shell">
      <header className="topbar">
        <button className="menu" aria-label="Menu" aria-expanded={open} onClick={() => setOpen(!open)}>
          ☰
        </button>
        <Link href="/project/overview" className="brand">
          Kumo
        </Link>
        <label className="project">
          <span className="sr-only">Project</span>
          <select aria-label="Project" value={session.project.id} onChange={(e) => onProject(e.target.value)}>
            {session.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <span className="user" title={session.roles.join(', ')}>
          {session.user.name}
        </span>
        <button onClick={() => void signOut()}>Sign out</button>
      </header>
      <nav className={open ? 'sidebar open' : 'sidebar'} aria-label="Main">
        {NAV.filter((s) => admin || !s.adminOnly).map((s) => (
          <section key={s.title}>
            <h2>{s.title}</h2>
            <ul>
              {s.items
                .filter((i) => !i.service || services.has(i.service))
                .map((i) => (
                  <li key={i.path}>
                    <Link href={i.path} aria-current={path.startsWith(i.path) ? 'page' : undefined} onClick={() => setOpen(false)}>
                      {i.title}
                    </Link>
                  </li>
                ))}
            </ul>
          </section>
        ))}
      </nav>
      <main>
        <SessionBanner session={session} />
        <ErrorNote error={error} />
        {children}
      </main>
    </div>
  );
}
