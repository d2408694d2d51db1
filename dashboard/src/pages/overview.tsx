/** Overview: the project's quota usage, one chart per resource (Nova's limits, Neutron's quota details). */
import { call } from '../api/client';
import { currentSession } from '../api/session-store';
import { ErrorNote, PageHeader, QuotaBar } from '../components/ui';
import { useLoad } from '../hooks';

interface Usage {
  name: string;
  used: number;
  limit: number;
}

export function OverviewPage() {
  const projectId = currentSession()?.project.id ?? '';
  const usage = useLoad(async () => {
    const limits = await call<{ limits: { absolute: Record<string, number> } }>('compute', '/limits');
    const a = limits.limits.absolute;
    const out: Usage[] = [
      { name: 'Instances', used: a.totalInstancesUsed ?? 0, limit: a.maxTotalInstances ?? -1 },
      { name: 'VCPUs', used: a.totalCoresUsed ?? 0, limit: a.maxTotalCores ?? -1 },
      { name: 'RAM (MB)', used: a.totalRAMUsed ?? 0, limit: a.maxTotalRAMSize ?? -1 },
      { name: 'Key pairs', used: -1, limit: a.maxTotalKeypairs ?? -1 },
    ];
    const net = await call<{ quota: Record<string, { used: number; limit: number }> }>(
      'network',
      `/v2.0/quotas/${projectId}/details.json`,
    ).catch(() => undefined);
    const names: Record<string, string> = {
      network: 'Networks',
      subnet: 'Subnets',
      port: 'Ports',
      router: 'Routers',
      floatingip: 'Floating IPs',
      security_group: 'Security groups',
    };
    for (const [k, title] of Object.entries(names)) {
      const q = net?.quota[k];
      if (q) out.push({ name: title, used: q.used, limit: q.limit });
    }
    return out.filter((u) => u.used >= 0);
  }, [projectId]);
  return (
    <>
      <PageHeader title="Overview" />
      <ErrorNote error={usage.error} />
      <div className="quotas">{usage.data?.map((u) => <QuotaBar key={u.name} {...u} />) ?? <p className="muted">Loading…</p>}</div>
    </>
  );
}
