/** Identity administration: projects, users (with role grants), groups and roles. */
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { ErrorNote, Field, PageHeader, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';

interface Named {
  id: string;
  name: string;
  description?: string;
  enabled?: boolean;
  domain_id?: string;
  default_project_id?: string;
}

const list = (kind: 'projects' | 'users' | 'groups' | 'roles') =>
  call<Record<string, Named[]>>('identity', `/v3/${kind}`).then((r) => r[kind]!);

export function ProjectsPage() {
  const projects = useLoad(() => list('projects'), []);
  const act = useAction();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act
      .run(() => call('identity', '/v3/projects', { body: { project: { name, description, domain_id: 'default' } } }))
      .then((ok) => {
        if (ok) setName('');
        projects.reload();
      });
  };
  return (
    <>
      <PageHeader title="Projects" />
      <form className="inline" onSubmit={submit} aria-label="Create project">
        <input aria-label="Project name" placeholder="Project name" value={name} onChange={(e) => setName(e.target.value)} required />
        <input aria-label="Description" placeholder="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
        <button type="submit" className="primary" disabled={act.busy}>
          Create Project
        </button>
      </form>
      <ErrorNote error={projects.error ?? act.error} />
      <Table
        rows={projects.data}
        rowKey={(p) => p.id}
        empty="No projects."
        columns={[
          { title: 'Name', cell: (p) => p.name },
          { title: 'ID', cell: (p) => <code>{p.id}</code> },
          { title: 'Description', cell: (p) => p.description ?? '' },
          { title: 'Enabled', cell: (p) => (p.enabled === false ? 'No' : 'Yes') },
        ]}
      />
    </>
  );
}

export function UsersPage() {
  const data = useLoad(async () => {
    const [users, projects, roles] = await Promise.all([list('users'), list('projects'), list('roles')]);
    return { users, projects, roles };
  }, []);
  const act = useAction();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [project, setProject] = useState('');
  const [role, setRole] = useState('member');
  const d = data.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act
      .run(async () => {
        const user: Record<string, unknown> = { name, password, domain_id: 'default' };
        if (project) user.default_project_id = project;
        const r = await call<{ user: Named }>('identity', '/v3/users', { body: { user } });
        const roleId = d?.roles.find((x) => x.name === role)?.id;
        if (project && roleId) await call('identity', `/v3/projects/${project}/users/${r.user.id}/roles/${roleId}`, { method: 'PUT' });
      })
      .then((ok) => {
        if (ok) setName('');
        data.reload();
      });
  };
  return (
    <>
      <PageHeader title="Users" />
      <form className="panel" onSubmit={submit} aria-label="Create user">
        <h2>Create User</h2>
        <div className="grid">
          <Field label="User name">
            <input name="username" value={name} onChange={(e) => setName(e.target.value)} required />
          </Field>
          <Field label="Password">
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </Field>
          <Field label="Primary project">
            <select name="project" value={project} onChange={(e) => setProject(e.target.value)}>
              <option value="">None</option>
              {d?.projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Role">
            <select name="role" value={role} onChange={(e) => setRole(e.target.value)}>
              {d?.roles.map((r) => (
                <option key={r.id}>{r.name}</option>
              ))}
            </select>
          </Field>
        </div>
        <ErrorNote error={act.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={act.busy}>
            Create User
          </button>
        </div>
      </form>
      {d ? <GrantRole users={d.users} projects={d.projects} roles={d.roles} onDone={data.reload} /> : null}
      <ErrorNote error={data.error} />
      <Table
        rows={d?.users}
        rowKey={(u) => u.id}
        empty="No users."
        columns={[
          { title: 'Name', cell: (u) => u.name },
          { title: 'ID', cell: (u) => <code>{u.id}</code> },
          { title: 'Primary project', cell: (u) => d?.projects.find((p) => p.id === u.default_project_id)?.name ?? '' },
          { title: 'Roles', cell: (u) => <UserRoles userId={u.id} list={d} /> },
        ]}
      />
    </>
  );
}

/** Grants a role on a project to a user (PUT /v3/projects/{p}/users/{u}/roles/{r}). */
function GrantRole({ users, projects, roles, onDone }: { users: Named[]; projects: Named[]; roles: Named[]; onDone: () => void }) {
  const [user, setUser] = useState('');
  const [project, setProject] = useState('');
  const [role, setRole] = useState('');
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(() => call('identity', `/v3/projects/${project}/users/${user}/roles/${role}`, { method: 'PUT' })).then(onDone);
  };
  const pick = (label: string, value: string, set: (v: string) => void, items: Named[]) => (
    <select aria-label={label} value={value} onChange={(e) => set(e.target.value)} required>
      <option value="">{label}…</option>
      {items.map((x) => (
        <option key={x.id} value={x.id}>
          {x.name}
        </option>
      ))}
    </select>
  );
  return (
    <form className="inline" onSubmit={submit} aria-label="Grant role">
      {pick('User', user, setUser, users)}
      {pick('Project', project, setProject, projects)}
      {pick('Role', role, setRole, roles)}
      <button type="submit" disabled={act.busy}>
        Grant Role
      </button>
      <ErrorNote error={act.error} />
    </form>
  );
}

/** The user's role assignments, by name (GET /v3/role_assignments?include_names). */
function UserRoles({ userId, list }: { userId: string; list: unknown }) {
  const r = useLoad(
    () =>
      call<{ role_assignments: { role: { name: string }; scope?: { project?: { name: string }; domain?: { name: string } } }[] }>(
        'identity',
        `/v3/role_assignments?user.id=${userId}&include_names=true`,
      ).then((x) => x.role_assignments),
    // Reloaded with the list (a grant changes the assignments).
    [userId, list],
  );
  return <>{r.data?.map((a) => `${a.role.name}@${a.scope?.project?.name ?? a.scope?.domain?.name ?? 'system'}`).join(', ') ?? ''}</>;
}

export function GroupsPage() {
  return <NamedList kind="groups" title="Groups" />;
}
export function RolesPage() {
  return <NamedList kind="roles" title="Roles" />;
}

function NamedList({ kind, title }: { kind: 'groups' | 'roles'; title: string }) {
  const rows = useLoad(() => list(kind), [kind]);
  const act = useAction();
  const [name, setName] = useState('');
  const one = kind.slice(0, -1);
  return (
    <>
      <PageHeader title={title} />
      <form
        className="inline"
        aria-label={`Create ${one}`}
        onSubmit={(e) => {
          e.preventDefault();
          const body = { [one]: kind === 'groups' ? { name, domain_id: 'default' } : { name } };
          void act.run(() => call('identity', `/v3/${kind}`, { body })).then(rows.reload);
        }}
      >
        <input aria-label={`${title} name`} placeholder="Name" value={name} onChange={(e) => setName(e.target.value)} required />
        <button type="submit">Create</button>
      </form>
      <ErrorNote error={rows.error ?? act.error} />
      <Table
        rows={rows.data}
        rowKey={(r) => r.id}
        empty={`No ${kind}.`}
        columns={[
          { title: 'Name', cell: (r) => r.name },
          { title: 'ID', cell: (r) => <code>{r.id}</code> },
          { title: 'Description', cell: (r) => r.description ?? '' },
        ]}
      />
    </>
  );
}
