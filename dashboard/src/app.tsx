/** The app: the sign-in page or, signed in, the page of the current path inside the layout. */
import { useEffect, useState, type ReactNode } from 'react';
import { call } from './api/client';
import { currentSession, expireSession, isAdmin, onSession, type Session } from './api/session-store';
import { Layout } from './components/layout';
import { useLoad } from './hooks';
import { FlavorsPage, HypervisorsPage } from './pages/compute-admin';
import { GroupsPage, ProjectsPage, RolesPage, UsersPage } from './pages/identity-admin';
import { ImagesPage } from './pages/images';
import { InstanceDetailPage } from './pages/instance-detail';
import { InstancesPage } from './pages/instances';
import { KeyPairsPage } from './pages/key-pairs';
import { FloatingIpsPage, RoutersPage, SecurityGroupsPage } from './pages/network-lists';
import { NetworkDetailPage } from './pages/network-detail';
import { NetworksPage } from './pages/networks';
import { OverviewPage } from './pages/overview';
import { SignIn } from './pages/sign-in';
import { TopologyPage } from './pages/topology';
import { match, navigate, usePath } from './router';

const ROUTES: { path: string; admin?: boolean; page: (p: Record<string, string>) => ReactNode }[] = [
  { path: '/project/overview', page: () => <OverviewPage /> },
  { path: '/project/instances', page: () => <InstancesPage /> },
  { path: '/project/instances/:id', page: (p) => <InstanceDetailPage id={p.id!} /> },
  { path: '/project/images', page: () => <ImagesPage /> },
  { path: '/project/key_pairs', page: () => <KeyPairsPage /> },
  { path: '/project/network_topology', page: () => <TopologyPage /> },
  { path: '/project/networks', page: () => <NetworksPage /> },
  { path: '/project/networks/:id', page: (p) => <NetworkDetailPage id={p.id!} /> },
  { path: '/project/routers', page: () => <RoutersPage /> },
  { path: '/project/floating_ips', page: () => <FloatingIpsPage /> },
  { path: '/project/security_groups', page: () => <SecurityGroupsPage /> },
  { path: '/admin/instances', admin: true, page: () => <InstancesPage all /> },
  { path: '/admin/hypervisors', admin: true, page: () => <HypervisorsPage /> },
  { path: '/admin/flavors', admin: true, page: () => <FlavorsPage /> },
  { path: '/identity/projects', admin: true, page: () => <ProjectsPage /> },
  { path: '/identity/users', admin: true, page: () => <UsersPage /> },
  { path: '/identity/groups', admin: true, page: () => <GroupsPage /> },
  { path: '/identity/roles', admin: true, page: () => <RolesPage /> },
];

export function App() {
  const [session, setSession] = useState<Session | undefined>(currentSession());
  const [notice, setNotice] = useState<string>();
  useEffect(
    () =>
      onSession((s, reason) => {
        setSession(s);
        setNotice(reason);
      }),
    [],
  );
  // The session ends on its own when the token expires.
  useEffect(() => {
    if (!session) return;
    const left = Date.parse(session.expiresAt) - Date.now();
    const t = setTimeout(() => expireSession('the token expired.'), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [session]);
  if (!session) return <SignIn notice={notice} />;
  return <SignedIn session={session} />;
}

function SignedIn({ session }: { session: Session }) {
  const path = usePath();
  // Which services this cloud has decides which pages the navigation offers.
  const catalog = useLoad(
    () => call<{ catalog: { type: string }[] }>('identity', '/v3/auth/catalog').then((r) => new Set(r.catalog.map((c) => c.type))),
    [session.token],
  );
  useEffect(() => {
    if (path === '/' || path === '') navigate('/project/instances');
  }, [path]);
  let content: ReactNode = <NotFound />;
  for (const r of ROUTES) {
    const params = match(r.path, path);
    if (!params) continue;
    content = r.admin && !isAdmin(session) ? <Forbidden /> : r.page(params);
    break;
  }
  return (
    <Layout session={session} services={catalog.data ?? new Set()} path={path}>
      <div key={session.project.id}>{content}</div>
    </Layout>
  );
}

function Forbidden() {
  return (
    <section className="panel" role="alert">
      <h1>Not authorized</h1>
      <p>This page is for administrators. Your role on this project does not allow it.</p>
    </section>
  );
}

function NotFound() {
  return (
    <section className="panel">
      <h1>Page not found</h1>
    </section>
  );
}
