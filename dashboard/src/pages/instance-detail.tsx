/** One instance: overview, interfaces and addresses, console log, VNC console, snapshot and floating IP. */
import { useState } from 'react';
import { call } from '../api/client';
import { listFloatingIps, listNetworks, listPorts, transitional, type Server } from '../api/resources';
import { ErrorNote, PageHeader, Status, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import { InstanceActions, serverAction } from './instances';

type Tab = 'overview' | 'interfaces' | 'log' | 'console';

export function InstanceDetailPage({ id }: { id: string }) {
  const [tab, setTab] = useState<Tab>('overview');
  const server = useLoad(() => call<{ server: Server }>('compute', `/servers/${id}`).then((r) => r.server), [id], 4000);
  const s = server.data;
  if (server.error && !s) return <ErrorNote error={server.error} />;
  if (!s) return <p className="muted">Loading…</p>;
  return (
    <>
      <PageHeader title={s.name}>
        <InstanceActions
          server={s}
          onDone={() => {
            server.reload();
            call('compute', `/servers/${id}`).catch(() => navigate('/project/instances'));
          }}
        />
      </PageHeader>
      <div role="tablist" className="tabs">
        {(['overview', 'interfaces', 'log', 'console'] as Tab[]).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {{ overview: 'Overview', interfaces: 'Interfaces', log: 'Console Log', console: 'Console' }[t]}
          </button>
        ))}
      </div>
      {tab === 'overview' ? <Overview s={s} reload={server.reload} /> : null}
      {tab === 'interfaces' ? <Interfaces id={id} /> : null}
      {tab === 'log' ? <ConsoleLog id={id} /> : null}
      {tab === 'console' ? <VncConsole id={id} /> : null}
    </>
  );
}

function Overview({ s, reload }: { s: Server; reload: () => void }) {
  const snap = useAction();
  const [snapName, setSnapName] = useState(`${s.name}-snapshot`);
  return (
    <section className="panel">
      <dl className="facts">
        <dt>ID</dt>
        <dd>{s.id}</dd>
        <dt>Status</dt>
        <dd>
          <Status value={s.status} /> {s['OS-EXT-STS:task_state'] ?? ''} {transitional(s) ? '…' : ''}
        </dd>
        <dt>Flavor</dt>
        <dd>
          {s.flavor.original_name} ({s.flavor.vcpus} vCPU, {s.flavor.ram} MB)
        </dd>
        <dt>Key pair</dt>
        <dd>{s.key_name ?? 'None'}</dd>
        <dt>Security groups</dt>
        <dd>{(s.security_groups ?? []).map((g) => g.name).join(', ')}</dd>
        <dt>Created</dt>
        <dd>{s.created}</dd>
        {s.fault ? (
          <>
            <dt>Fault</dt>
            <dd className="error">{s.fault.message}</dd>
          </>
        ) : null}
      </dl>
      <h3>Addresses</h3>
      <ul>
        {Object.entries(s.addresses).flatMap(([net, addrs]) =>
          addrs.map((a) => (
            <li key={net + a.addr}>
              {net}: {a.addr} {a['OS-EXT-IPS:type'] === 'floating' ? '(floating)' : ''}
            </li>
          )),
        )}
      </ul>
      <AssociateFloatingIp s={s} onDone={reload} />
      <h3>Snapshot</h3>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void snap.run(() => serverAction(s.id, { createImage: { name: snapName } })).then(reload);
        }}
      >
        <input aria-label="Snapshot name" value={snapName} onChange={(e) => setSnapName(e.target.value)} required />
        <button type="submit" disabled={snap.busy || s.status !== 'ACTIVE'}>
          Create Snapshot
        </button>
      </form>
      <ErrorNote error={snap.error} />
    </section>
  );
}

function AssociateFloatingIp({ s, onDone }: { s: Server; onDone: () => void }) {
  const data = useLoad(async () => {
    const [fips, ports, nets] = await Promise.all([listFloatingIps(), listPorts(`?device_id=${s.id}`), listNetworks()]);
    return { free: fips.filter((f) => !f.port_id), ports, external: nets.filter((n) => n['router:external']) };
  }, [s.id]);
  const act = useAction();
  const [choice, setChoice] = useState('');
  const d = data.data;
  if (!d || d.ports.length === 0) return null;
  const associate = async () => {
    let fip = choice;
    if (!fip || fip.startsWith('new:')) {
      const net = fip ? fip.slice(4) : d.external[0]?.id;
      const r = await call<{ floatingip: { id: string } }>('network', '/v2.0/floatingips', {
        body: { floatingip: { floating_network_id: net } },
      });
      fip = r.floatingip.id;
    }
    await call('network', `/v2.0/floatingips/${fip}`, { method: 'PUT', body: { floatingip: { port_id: d.ports[0]!.id } } });
  };
  return (
    <>
      <h3>Floating IP</h3>
      <div className="inline">
        <select aria-label="Floating IP" value={choice} onChange={(e) => setChoice(e.target.value)}>
          <option value="">Allocate a new one</option>
          {d.free.map((f) => (
            <option key={f.id} value={f.id}>
              {f.floating_ip_address}
            </option>
          ))}
          {d.external.map((n) => (
            <option key={n.id} value={`new:${n.id}`}>
              New from {n.name}
            </option>
          ))}
        </select>
        <button
          disabled={act.busy || (d.external.length === 0 && d.free.length === 0)}
          onClick={() => void act.run(associate).then(onDone)}
        >
          Associate Floating IP
        </button>
      </div>
      <ErrorNote error={act.error} />
    </>
  );
}

function Interfaces({ id }: { id: string }) {
  const ports = useLoad(() => listPorts(`?device_id=${id}`), [id]);
  return (
    <section className="panel">
      <ErrorNote error={ports.error} />
      <Table
        rows={ports.data}
        rowKey={(p) => p.id}
        empty="No interfaces."
        columns={[
          { title: 'Port', cell: (p) => p.id },
          { title: 'Network', cell: (p) => p.network_id },
          { title: 'MAC', cell: (p) => p.mac_address },
          { title: 'Fixed IPs', cell: (p) => p.fixed_ips.map((f) => f.ip_address).join(', ') },
          { title: 'Status', cell: (p) => <Status value={p.status} /> },
        ]}
      />
    </section>
  );
}

function ConsoleLog({ id }: { id: string }) {
  const [lines, setLines] = useState(50);
  const log = useLoad(
    () => serverAction(id, { 'os-getConsoleOutput': { length: lines } }).then((r) => (r as { output: string }).output),
    [id, lines],
    5000,
  );
  return (
    <section className="panel">
      <div className="inline">
        <label>
          Lines <input type="number" min={10} max={5000} value={lines} onChange={(e) => setLines(Number(e.target.value) || 50)} />
        </label>
        <button onClick={log.reload}>Refresh</button>
      </div>
      <ErrorNote error={log.error} />
      <pre className="console-log" aria-label="Console log">
        {log.data ?? 'Loading…'}
      </pre>
    </section>
  );
}

function VncConsole({ id }: { id: string }) {
  const url = useLoad(
    () =>
      call<{ remote_console: { url: string } }>('compute', `/servers/${id}/remote-consoles`, {
        body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
      }).then((r) => r.remote_console.url),
    [id],
  );
  return (
    <section className="panel">
      <ErrorNote error={url.error} />
      {url.data ? (
        <>
          <p className="muted">
            If the console does not answer the keyboard, click inside it.{' '}
            <a href={url.data} target="_blank" rel="noreferrer">
              Open it in its own window
            </a>
          </p>
          <iframe className="vnc" title="Instance console" src={url.data} />
        </>
      ) : url.error ? null : (
        <p className="muted">Opening the console…</p>
      )}
    </section>
  );
}
