/** Networks with their subnets and ports; create a network with its first subnet. */
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { listNetworks, listPorts, listSubnets } from '../api/resources';
import { ErrorNote, Field, FormActions, PageHeader, Status, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { Link } from '../router';

export function NetworksPage() {
  const data = useLoad(async () => {
    const [networks, subnets, ports] = await Promise.all([listNetworks(), listSubnets(), listPorts()]);
    return { networks, subnets, ports };
  }, []);
  const [creating, setCreating] = useState(false);
  const del = useAction();
  const d = data.data;
  return (
    <>
      <PageHeader title="Networks">
        <button className="primary" onClick={() => setCreating(true)}>
          Create Network
        </button>
      </PageHeader>
      {creating ? <NetworkForm onClose={() => setCreating(false)} onDone={data.reload} /> : null}
      <ErrorNote error={data.error ?? del.error} />
      <Table
        rows={d?.networks}
        rowKey={(n) => n.id}
        empty="No networks."
        columns={[
          { title: 'Name', cell: (n) => <Link href={`/project/networks/${n.id}`}>{n.name || n.id}</Link> },
          {
            title: 'Subnets',
            cell: (n) =>
              d!.subnets
                .filter((s) => s.network_id === n.id)
                .map((s) => `${s.name ? `${s.name} ` : ''}${s.cidr}`)
                .join(', '),
          },
          { title: 'Ports', cell: (n) => d!.ports.filter((p) => p.network_id === n.id).length },
          { title: 'Shared', cell: (n) => (n.shared ? 'Yes' : 'No') },
          { title: 'External', cell: (n) => (n['router:external'] ? 'Yes' : 'No') },
          { title: 'Status', cell: (n) => <Status value={n.status} /> },
          {
            title: 'Actions',
            cell: (n) => (
              <button
                className="danger"
                onClick={() => {
                  if (confirm(`Delete network ${n.name}?`))
                    void del.run(() => call('network', `/v2.0/networks/${n.id}`, { method: 'DELETE' })).then(data.reload);
                }}
              >
                Delete
              </button>
            ),
          },
        ]}
      />
    </>
  );
}

function NetworkForm({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [subnetName, setSubnetName] = useState('');
  const [cidr, setCidr] = useState('10.0.0.0/24');
  const [gateway, setGateway] = useState('');
  const [dns, setDns] = useState('');
  const [dhcp, setDhcp] = useState(true);
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act
      .run(async () => {
        const n = await call<{ network: { id: string } }>('network', '/v2.0/networks', { body: { network: { name } } });
        if (!cidr) return;
        const subnet: Record<string, unknown> = {
          network_id: n.network.id,
          name: subnetName,
          cidr,
          ip_version: cidr.includes(':') ? 6 : 4,
          enable_dhcp: dhcp,
        };
        if (gateway) subnet.gateway_ip = gateway;
        const servers = dns.split(/[\s,]+/).filter(Boolean);
        if (servers.length) subnet.dns_nameservers = servers;
        try {
          await call('network', '/v2.0/subnets', { body: { subnet } });
        } catch (err) {
          // The subnet's error is the one to show; the half-made network goes.
          await call('network', `/v2.0/networks/${n.network.id}`, { method: 'DELETE' }).catch(() => undefined);
          throw err;
        }
      })
      .then((ok) => {
        if (!ok) return;
        onDone();
        onClose();
      });
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="Create network">
      <h2>Create Network</h2>
      <div className="grid">
        <Field label="Network name">
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field label="Subnet name">
          <input name="subnet_name" value={subnetName} onChange={(e) => setSubnetName(e.target.value)} />
        </Field>
        <Field label="Network address (CIDR)" hint="Empty: no subnet">
          <input name="cidr" value={cidr} onChange={(e) => setCidr(e.target.value)} />
        </Field>
        <Field label="Gateway IP" hint="Empty: the first address">
          <input name="gateway" value={gateway} onChange={(e) => setGateway(e.target.value)} />
        </Field>
        <Field label="DNS servers">
          <input name="dns" value={dns} onChange={(e) => setDns(e.target.value)} />
        </Field>
        <label className="check">
          <input type="checkbox" checked={dhcp} onChange={(e) => setDhcp(e.target.checked)} /> Enable DHCP
        </label>
      </div>
      <ErrorNote error={act.error} />
      <FormActions onCancel={onClose} disabled={act.busy}>
        Create
      </FormActions>
    </form>
  );
}
