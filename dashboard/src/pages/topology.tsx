/** The network topology: networks as columns, routers and instances attached to them by their ports. */
import { listNetworks, listPorts, listRouters, listServers } from '../api/resources';
import { ErrorNote, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';

export function TopologyPage() {
  const data = useLoad(async () => {
    const [networks, ports, routers, servers] = await Promise.all([listNetworks(), listPorts(), listRouters(), listServers()]);
    return { networks, ports, routers, servers };
  }, []);
  const d = data.data;
  if (!d) return <ErrorNote error={data.error} />;
  const colW = 140;
  const nodes = [
    ...d.routers.map((r) => ({ id: r.id, label: `⇄ ${r.name || 'router'}` })),
    ...d.servers.map((s) => ({ id: s.id, label: `▣ ${s.name}` })),
  ];
  const width = Math.max(400, d.networks.length * colW + 40);
  const height = 80 + nodes.length * 48;
  return (
    <>
      <PageHeader title="Network Topology" />
      <div className="topology">
        <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Network topology" width={width} height={height}>
          {d.networks.map((n, i) => (
            <g key={n.id}>
              <rect
                x={20 + i * colW}
                y={10}
                width={16}
                height={height - 20}
                rx={4}
                className={n['router:external'] ? 'net external' : 'net'}
              />
              <text x={42 + i * colW} y={26}>
                {n.name || n.id.slice(0, 8)}
              </text>
            </g>
          ))}
          {nodes.map((node, j) => {
            const y = 60 + j * 48;
            const attached = d.ports.filter((p) => p.device_id === node.id);
            const xs = attached.map((p) => d.networks.findIndex((n) => n.id === p.network_id)).filter((i) => i >= 0);
            const left = xs.length ? Math.min(...xs) : 0;
            return (
              <g key={node.id}>
                {xs.map((i) => (
                  <line key={i} x1={28 + i * colW} x2={28 + left * colW + 30} y1={y + 12} y2={y + 12} className="link" />
                ))}
                <rect x={28 + left * colW + 30} y={y} width={110} height={24} rx={4} className="node" />
                <text x={28 + left * colW + 36} y={y + 16}>
                  {node.label.slice(0, 16)}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </>
  );
}
