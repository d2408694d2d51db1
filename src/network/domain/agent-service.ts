import { createHash } from 'node:crypto';
import type { AgentReport } from '../../lib/rpc/network-rpc.js';
import type { Stored } from '../store/resource-store.js';
import type { NetworkContext } from './network-context.js';

export interface AgentBody {
  host: string;
  tunnel_ip: string;
  dhcp: boolean;
  l3: boolean;
  heartbeat_timestamp: string;
  started_at: string;
}

/** Agents missing reports this long are down (Neutron's agent_down_time). */
const AGENT_DOWN_MS = 75_000;

/** A stable id per host, so a restarted agent is the same agent. */
const agentId = (host: string): string => {
  const h = createHash('sha256').update(`kumo-network-agent:${host}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

export class AgentService {
  constructor(private readonly ctx: NetworkContext) {}

  async report(r: AgentReport): Promise<void> {
    const id = agentId(r.host);
    const now = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d{3}Z$/, '');
    const existing = await this.ctx.store.get<AgentBody>('agent', id);
    const body: AgentBody = {
      host: r.host,
      tunnel_ip: r.tunnelIp,
      dhcp: r.dhcp,
      l3: r.l3,
      heartbeat_timestamp: now,
      started_at: existing?.body.started_at ?? now,
    };
    const changed = !existing || existing.body.tunnel_ip !== r.tunnelIp || existing.body.dhcp !== r.dhcp || existing.body.l3 !== r.l3;
    if (existing) await this.ctx.store.update('agent', id, body);
    else await this.ctx.store.insert('agent', { id, projectId: '', body });
    if (changed) this.ctx.changed();
  }

  list(): Promise<Stored<AgentBody>[]> {
    return this.ctx.store.list<AgentBody>('agent');
  }

  alive(a: Stored<AgentBody>): boolean {
    return Date.now() - Date.parse(`${a.body.heartbeat_timestamp.replace(' ', 'T')}Z`) < AGENT_DOWN_MS;
  }

  /** The host that runs DHCP (or routers): the first live agent that offers it, by name; stable while it lives. */
  async hostFor(role: 'dhcp' | 'l3', agents?: Stored<AgentBody>[]): Promise<string | null> {
    const live = (agents ?? (await this.list()))
      .filter((a) => a.body[role] && this.alive(a))
      .sort((a, b) => (a.body.host < b.body.host ? -1 : 1));
    return live[0]?.body.host ?? null;
  }
}
