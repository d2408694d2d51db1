/** Routers, floating IPs and security groups: lists with their everyday actions. */
import { useState } from 'react';
import { call } from '../api/client';
import { listFloatingIps, listNetworks, listRouters, listSecurityGroups, listSubnets, type Router, type Subnet } from '../api/resources';
import { currentSession } from '../api/session-store';
import { ErrorNote, PageHeader, Status, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';

export function RoutersPage() {
  const data = useLoad(async () => {
    const [routers, networks, subnets] = await Promise.all([listRouters(), listNetworks(), listSubnets()]);
    return { routers, networks, subnets };
  }, []);
  const act = useAction();
  const [name, setName] = useState('');
  const external = data.data?.networks.filter((n) => n['router:external']) ?? [];
  const [gateway, setGateway] = useState('');
  return (
    <>
      <PageHeader title="Routers" />
      <form
        className="inline"
        aria-label="Create router"
        onSubmit={(e) => {
          e.preventDefault();
          const router: Record<string, unknown> = { name };
          if (gateway) router.external_gateway_info = { network_id: gateway };
          void act.run(() => call('network', '/v2.0/routers', { body: { router } })).then(data.reload);
        }}
      >
        <input aria-label="Router name" placeholder="Router name" value={name} onChange={(e) => setName(e.target.value)} required />
        <select aria-label="External network" value={gateway} onChange={(e) => setGateway(e.target.value)}>
          <option value="">No external gateway</option>
          {external.map((n) => (
            <option key={n.id} value={n.id}>
              {n.name}
            </option>
          ))}
        </select>
        <button type="submit">Create Router</button>
      </form>
      <ErrorNote error={data.error ?? act.error} />
      <Table
        rows={data.data?.routers}
        rowKey={(r) => r.id}
        empty="No routers."
        columns={[
          { title: 'Name', cell: (r) => r.name || r.id },
          {
            title: 'External network',
            cell: (r) => data.data?.networks.find((n) => n.id === r.external_gateway_info?.network_id)?.name ?? '',
          },
          { title: 'Status', cell: (r) => <Status value={r.status} /> },
          {
            title: 'Actions',
            cell: (r) => (
              <span className="row-actions">
                <AddInterface router={r} subnets={data.data?.subnets ?? []} onDone={data.reload} />
                <button
                  className="danger"
                  onClick={() => void act.run(() => call('network', `/v2.0/routers/${r.id}`, { method: 'DELETE' })).then(data.reload)}
                >
                  Delete
                </button>
              </span>
            ),
          },
        ]}
      />
    </>
  );
}

/** Connects a subnet to the router (PUT /routers/{id}/add_router_interface). */
function AddInterface({ router, subnets, onDone }: { router: Router; subnets: Subnet[]; onDone: () => void }) {
  const [subnet, setSubnet] = useState('');
  const act = useAction();
  return (
    <>
      <select aria-label={`Subnet for ${router.name || router.id}`} value={subnet} onChange={(e) => setSubnet(e.target.value)}>
        <option value="">Subnet…</option>
        {subnets.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name || s.id.slice(0, 8)} {s.cidr}
          </option>
        ))}
      </select>
      <button
        disabled={!subnet || act.busy}
        onClick={() =>
          void act
            .run(() => call('network', `/v2.0/routers/${router.id}/add_router_interface`, { method: 'PUT', body: { subnet_id: subnet } }))
            .then(onDone)
        }
      >
        Add Interface
      </button>
      <ErrorNote error={act.error} />
    </>
  );
}

export function FloatingIpsPage() {
  const data = useLoad(async () => ({ fips: await listFloatingIps(), networks: await listNetworks() }), []);
  const act = useAction();
  const external = data.data?.networks.filter((n) => n['router:external']) ?? [];
  return (
    <>
      <PageHeader title="Floating IPs">
        {external.map((n) => (
          <button
            key={n.id}
            onClick={() =>
              void act
                .run(() => call('network', '/v2.0/floatingips', { body: { floatingip: { floating_network_id: n.id } } }))
                .then(data.reload)
            }
          >
            Allocate from {n.name}
          </button>
        ))}
      </PageHeader>
      <ErrorNote error={data.error ?? act.error} />
      <Table
        rows={data.data?.fips}
        rowKey={(f) => f.id}
        empty="No floating IPs."
        columns={[
          { title: 'Address', cell: (f) => f.floating_ip_address },
          { title: 'Mapped fixed address', cell: (f) => f.fixed_ip_address ?? '' },
          { title: 'Status', cell: (f) => <Status value={f.status} /> },
          {
            title: 'Actions',
            cell: (f) =>
              f.port_id ? (
                <button
                  onClick={() =>
                    void act
                      .run(() => call('network', `/v2.0/floatingips/${f.id}`, { method: 'PUT', body: { floatingip: { port_id: null } } }))
                      .then(data.reload)
                  }
                >
                  Disassociate
                </button>
              ) : (
                <button
                  className="danger"
                  onClick={() => void act.run(() => call('network', `/v2.0/floatingips/${f.id}`, { method: 'DELETE' })).then(data.reload)}
                >
                  Release
                </button>
              ),
          },
        ]}
      />
    </>
  );
}

export function SecurityGroupsPage() {
  const projectId = currentSession()?.project.id ?? '';
  const groups = useLoad(() => listSecurityGroups(projectId), [projectId]);
  const act = useAction();
  const [proto, setProto] = useState('tcp');
  const [port, setPort] = useState('22');
  const addRule = (groupId: string) => {
    const rule: Record<string, unknown> = {
      security_group_id: groupId,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: proto,
      remote_ip_prefix: '0.0.0.0/0',
    };
    if (proto !== 'icmp' && port) Object.assign(rule, { port_range_min: Number(port), port_range_max: Number(port) });
    void act.run(() => call('network', '/v2.0/security-group-rules', { body: { security_group_rule: rule } })).then(groups.reload);
  };
  return (
    <>
      <PageHeader title="Security Groups" />
      <div className="inline">
        <select aria-label="Protocol" value={proto} onChange={(e) => setProto(e.target.value)}>
          <option>tcp</option>
          <option>udp</option>
          <option>icmp</option>
        </select>
        <input aria-label="Port" value={port} onChange={(e) => setPort(e.target.value)} disabled={proto === 'icmp'} size={6} />
      </div>
      <ErrorNote error={groups.error ?? act.error} />
      {groups.data?.map((g) => (
        <section key={g.id} className="panel">
          <h2>
            {g.name}{' '}
            <button onClick={() => addRule(g.id)}>
              Add ingress rule ({proto}
              {proto === 'icmp' ? '' : ` ${port}`})
            </button>
          </h2>
          <Table
            rows={g.security_group_rules}
            rowKey={(r) => r.id}
            empty="No rules."
            columns={[
              { title: 'Direction', cell: (r) => r.direction },
              { title: 'Ether type', cell: (r) => r.ethertype },
              { title: 'Protocol', cell: (r) => r.protocol ?? 'any' },
              { title: 'Ports', cell: (r) => (r.port_range_min === null ? 'any' : `${r.port_range_min}–${r.port_range_max}`) },
              {
                title: 'Remote',
                cell: (r) => r.remote_ip_prefix ?? (r.remote_group_id ? `group ${r.remote_group_id.slice(0, 8)}` : 'any'),
              },
              {
                title: 'Actions',
                cell: (r) => (
                  <button
                    className="danger"
                    onClick={() =>
                      void act.run(() => call('network', `/v2.0/security-group-rules/${r.id}`, { method: 'DELETE' })).then(groups.reload)
                    }
                  >
                    Delete
                  </button>
                ),
              },
            ]}
          />
        </section>
      ))}
    </>
  );
}
