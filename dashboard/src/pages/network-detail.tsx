/** One network: its subnets and its ports. */
import { call } from '../api/client';
import { listPorts, listSubnets, type Network } from '../api/resources';
import { ErrorNote, PageHeader, Status, Table } from '../components/ui';
import { useLoad } from '../hooks';

export function NetworkDetailPage({ id }: { id: string }) {
  const data = useLoad(async () => {
    const [network, subnets, ports] = await Promise.all([
      call<{ network: Network }>('network', `/v2.0/networks/${id}`).then((r) => r.network),
      listSubnets().then((all) => all.filter((s) => s.network_id === id)),
      listPorts(`?network_id=${id}`),
    ]);
    return { network, subnets, ports };
  }, [id]);
  const d = data.data;
  if (!d) return <ErrorNote error={data.error} />;
  return (
    <>
      <PageHeader title={d.network.name || d.network.id} />
      <dl className="facts panel">
        <dt>ID</dt>
        <dd>{d.network.id}</dd>
        <dt>Status</dt>
        <dd>
          <Status value={d.network.status} />
        </dd>
        <dt>Type</dt>
        <dd>{d.network['provider:network_type'] ?? ''}</dd>
        <dt>Shared / external</dt>
        <dd>
          {d.network.shared ? 'shared' : 'not shared'}, {d.network['router:external'] ? 'external' : 'internal'}
        </dd>
      </dl>
      <h2>Subnets</h2>
      <Table
        rows={d.subnets}
        rowKey={(s) => s.id}
        empty="No subnets."
        columns={[
          { title: 'Name', cell: (s) => s.name || s.id },
          { title: 'CIDR', cell: (s) => s.cidr },
          { title: 'IP version', cell: (s) => `IPv${s.ip_version}` },
          { title: 'Gateway', cell: (s) => s.gateway_ip ?? 'none' },
        ]}
      />
      <h2>Ports</h2>
      <Table
        rows={d.ports}
        rowKey={(p) => p.id}
        empty="No ports."
        columns={[
          { title: 'Port', cell: (p) => <code>{p.id.slice(0, 8)}</code> },
          { title: 'Fixed IPs', cell: (p) => p.fixed_ips.map((f) => f.ip_address).join(', ') },
          { title: 'MAC', cell: (p) => p.mac_address },
          { title: 'Attached to', cell: (p) => p.device_owner || 'nothing' },
          { title: 'Status', cell: (p) => <Status value={p.status} /> },
        ]}
      />
    </>
  );
}
