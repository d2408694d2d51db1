/** Instances: the list with live status, row actions, and the launch form. */
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import {
  addressesOf,
  listFlavors,
  listImages,
  listKeyPairs,
  listNetworks,
  listSecurityGroups,
  listServers,
  transitional,
  type Server,
} from '../api/resources';
import { currentSession } from '../api/session-store';
import { ErrorNote, Field, FormActions, PageHeader, Status, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { Link } from '../router';

export const serverAction = (id: string, body: unknown) => call('compute', `/servers/${id}/action`, { body });

export function InstanceActions({ server, onDone }: { server: Server; onDone: () => void }) {
  const act = useAction();
  const run = (fn: () => Promise<unknown>) => void act.run(fn).then(onDone);
  const off = server.status === 'SHUTOFF';
  return (
    <span className="row-actions">
      {off ? (
        <button disabled={act.busy} onClick={() => run(() => serverAction(server.id, { 'os-start': null }))}>
          Start
        </button>
      ) : (
        <button disabled={act.busy || server.status !== 'ACTIVE'} onClick={() => run(() => serverAction(server.id, { 'os-stop': null }))}>
          Stop
        </button>
      )}
      <button
        disabled={act.busy || server.status !== 'ACTIVE'}
        onClick={() => run(() => serverAction(server.id, { reboot: { type: 'SOFT' } }))}
      >
        Reboot
      </button>
      <button
        className="danger"
        disabled={act.busy}
        onClick={() => {
          if (confirm(`Delete instance ${server.name}?`)) run(() => call('compute', `/servers/${server.id}`, { method: 'DELETE' }));
        }}
      >
        Delete
      </button>
      <ErrorNote error={act.error} />
    </span>
  );
}

export function InstancesPage({ all = false }: { all?: boolean }) {
  const [launching, setLaunching] = useState(false);
  const servers = useLoad(() => listServers(all), [all], 3000);
  return (
    <>
      <PageHeader title={all ? 'All Instances' : 'Instances'}>
        {all ? null : (
          <button className="primary" onClick={() => setLaunching(true)}>
            Launch Instance
          </button>
        )}
      </PageHeader>
      {launching ? <LaunchForm onClose={() => setLaunching(false)} onLaunched={servers.reload} /> : null}
      <ErrorNote error={servers.error} />
      <Table
        rows={servers.data}
        rowKey={(s) => s.id}
        empty="No instances yet."
        columns={[
          { title: 'Name', cell: (s) => <Link href={`/project/instances/${s.id}`}>{s.name}</Link> },
          ...(all ? [{ title: 'Project', cell: (s: Server) => s.tenant_id }] : []),
          { title: 'Addresses', cell: (s) => addressesOf(s) },
          { title: 'Flavor', cell: (s) => s.flavor.original_name ?? '' },
          { title: 'Key pair', cell: (s) => s.key_name ?? '' },
          { title: 'Status', cell: (s) => <Status value={s.status} /> },
          { title: 'Task', cell: (s) => s['OS-EXT-STS:task_state'] ?? '' },
          { title: 'Actions', cell: (s) => <InstanceActions server={s} onDone={servers.reload} /> },
        ]}
      />
      {servers.data?.some(transitional) ? <p className="muted">Refreshing while instances change…</p> : null}
    </>
  );
}

function LaunchForm({ onClose, onLaunched }: { onClose: () => void; onLaunched: () => void }) {
  const projectId = currentSession()?.project.id ?? '';
  const choices = useLoad(async () => {
    const [images, flavors, networks, groups, keys] = await Promise.all([
      listImages(),
      listFlavors(),
      listNetworks().catch(() => []),
      listSecurityGroups(projectId).catch(() => []),
      listKeyPairs(),
    ]);
    return { images: images.filter((i) => i.status === 'active'), flavors, networks, groups, keys };
  }, [projectId]);
  const [name, setName] = useState('');
  const [image, setImage] = useState('');
  const [flavor, setFlavor] = useState('');
  const [nets, setNets] = useState<string[]>([]);
  const [groups, setGroups] = useState<string[]>(['default']);
  const [key, setKey] = useState('');
  const [count, setCount] = useState(1);
  const act = useAction();
  const c = choices.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const server: Record<string, unknown> = {
      name,
      imageRef: image || c?.images[0]?.id,
      flavorRef: flavor || c?.flavors[0]?.id,
      networks: nets.length > 0 ? nets.map((uuid) => ({ uuid })) : c && c.networks.length > 0 ? 'auto' : 'none',
      security_groups: groups.map((g) => ({ name: g })),
      min_count: count,
      max_count: count,
    };
    if (key) server.key_name = key;
    void act
      .run(() => call('compute', '/servers', { body: { server } }))
      .then((ok) => {
        if (!ok) return;
        onLaunched();
        onClose();
      });
  };
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  return (
    <form className="panel" onSubmit={submit} aria-label="Launch instance">
      <h2>Launch Instance</h2>
      <ErrorNote error={choices.error} />
      <div className="grid">
        <Field label="Instance name">
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field label="Source image">
          <select name="image" value={image} onChange={(e) => setImage(e.target.value)} required>
            <option value="">Choose an image</option>
            {c?.images.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name || i.id}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Flavor">
          <select name="flavor" value={flavor} onChange={(e) => setFlavor(e.target.value)} required>
            <option value="">Choose a flavor</option>
            {c?.flavors.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name} ({f.vcpus} vCPU, {f.ram} MB, {f.disk} GB)
              </option>
            ))}
          </select>
        </Field>
        <Field label="Count">
          <input name="count" type="number" min={1} max={20} value={count} onChange={(e) => setCount(Number(e.target.value))} />
        </Field>
        <Field label="Key pair">
          <select name="key" value={key} onChange={(e) => setKey(e.target.value)}>
            <option value="">None</option>
            {c?.keys.map((k) => (
              <option key={k.name}>{k.name}</option>
            ))}
          </select>
        </Field>
      </div>
      <fieldset>
        <legend>Networks</legend>
        {c?.networks.length === 0 ? <p className="muted">No networks: the instance gets none.</p> : null}
        {c?.networks.map((n) => (
          <label key={n.id} className="check">
            <input type="checkbox" name="network" value={n.id} checked={nets.includes(n.id)} onChange={() => setNets(toggle(nets, n.id))} />
            {n.name || n.id} {n.shared ? '(shared)' : ''} {n['router:external'] ? '(external)' : ''}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Security groups</legend>
        {c?.groups.map((g) => (
          <label key={g.id} className="check">
            <input type="checkbox" checked={groups.includes(g.name)} onChange={() => setGroups(toggle(groups, g.name))} />
            {g.name}
          </label>
        ))}
      </fieldset>
      <ErrorNote error={act.error} />
      <FormActions onCancel={onClose} disabled={act.busy || !c}>
        {act.busy ? 'Launching…' : 'Launch'}
      </FormActions>
    </form>
  );
}
