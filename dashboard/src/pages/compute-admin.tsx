/** Compute administration: flavors, hypervisors and compute services. */
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { listFlavors } from '../api/resources';
import { ErrorNote, Field, PageHeader, Status, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';

export function FlavorsPage() {
  const flavors = useLoad(listFlavors, []);
  const act = useAction();
  const [f, setF] = useState({ name: '', vcpus: 1, ram: 512, disk: 1 });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(() => call('compute', '/flavors', { body: { flavor: f } })).then(flavors.reload);
  };
  return (
    <>
      <PageHeader title="Flavors" />
      <form className="panel" onSubmit={submit} aria-label="Create flavor">
        <div className="grid">
          <Field label="Name">
            <input value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required />
          </Field>
          <Field label="VCPUs">
            <input type="number" min={1} value={f.vcpus} onChange={(e) => setF({ ...f, vcpus: Number(e.target.value) })} />
          </Field>
          <Field label="RAM (MB)">
            <input type="number" min={1} value={f.ram} onChange={(e) => setF({ ...f, ram: Number(e.target.value) })} />
          </Field>
          <Field label="Disk (GB)">
            <input type="number" min={0} value={f.disk} onChange={(e) => setF({ ...f, disk: Number(e.target.value) })} />
          </Field>
        </div>
        <ErrorNote error={act.error} />
        <button type="submit" className="primary">
          Create Flavor
        </button>
      </form>
      <ErrorNote error={flavors.error} />
      <Table
        rows={flavors.data}
        rowKey={(x) => x.id}
        empty="No flavors."
        columns={[
          { title: 'Name', cell: (x) => x.name },
          { title: 'VCPUs', cell: (x) => x.vcpus },
          { title: 'RAM', cell: (x) => `${x.ram} MB` },
          { title: 'Disk', cell: (x) => `${x.disk} GB` },
          { title: 'Public', cell: (x) => (x['os-flavor-access:is_public'] === false ? 'No' : 'Yes') },
        ]}
      />
    </>
  );
}

interface Hypervisor {
  id: string;
  hypervisor_hostname: string;
  state: string;
  status: string;
  hypervisor_type: string;
  vcpus?: number;
  memory_mb?: number;
}
interface ComputeService {
  id: string;
  binary: string;
  host: string;
  zone: string;
  status: string;
  state: string;
  updated_at: string | null;
}

export function HypervisorsPage() {
  const data = useLoad(async () => {
    const [h, s] = await Promise.all([
      call<{ hypervisors: Hypervisor[] }>('compute', '/os-hypervisors/detail'),
      call<{ services: ComputeService[] }>('compute', '/os-services'),
    ]);
    return { hypervisors: h.hypervisors, services: s.services };
  }, []);
  return (
    <>
      <PageHeader title="Hypervisors" />
      <ErrorNote error={data.error} />
      <Table
        rows={data.data?.hypervisors}
        rowKey={(h) => String(h.id)}
        empty="No hypervisors."
        columns={[
          { title: 'Host', cell: (h) => h.hypervisor_hostname },
          { title: 'Type', cell: (h) => h.hypervisor_type },
          { title: 'State', cell: (h) => <Status value={h.state.toUpperCase()} /> },
          { title: 'Status', cell: (h) => h.status },
        ]}
      />
      <h2>Compute Services</h2>
      <Table
        rows={data.data?.services}
        rowKey={(s) => String(s.id)}
        empty="No services."
        columns={[
          { title: 'Binary', cell: (s) => s.binary },
          { title: 'Host', cell: (s) => s.host },
          { title: 'Zone', cell: (s) => s.zone },
          { title: 'Status', cell: (s) => s.status },
          { title: 'State', cell: (s) => <Status value={s.state.toUpperCase()} /> },
          { title: 'Updated', cell: (s) => s.updated_at ?? '' },
        ]}
      />
    </>
  );
}
