import { createHash } from 'node:crypto';
import type { AgentReport } from '../../lib/rpc/network-rpc.js';
import type { Stored } from '../store/resource-store.js';
import { notFoundOf } from './errors.js';
import type { NetworkContext } from './network-context.js';

/** What an operator may change on one role of a host's agent (PUT /v2.0/agents/{id}). */
export interface AgentRoleSettings {
  admin_state_up?: boolean;
  description?: string | null;
  /** Deleted through the API; the role registers again with the host's next report, as a Neutron agent does. */
  deleted?: boolean;
}

export interface AgentBody {
  host: string;
  tunnel_ip: string;
  dhcp: boolean;
  l3: boolean;
  heartbeat_timestamp: string;
  started_at: string;
  created_at?: string;
  /** Per role, keyed by binary. */
  settings?: Record<string, AgentRoleSettings>;
}

/**
 * One Kumo agent per host plays the roles Neutron splits over several
 * agents; the API lists each role as the agent users know from Neutron.
 */
export const AGENT_ROLES = {
  l2: { binary: 'neutron-linuxbridge-agent', agent_type: 'Linux bridge agent', topic: 'N/A', zoned: false },
  dhcp: { binary: 'neutron-dhcp-agent', agent_type: 'DHCP agent', topic: 'dhcp_agent', zoned: true },
  l3: { binary: 'neutron-l3-agent', agent_type: 'L3 agent', topic: 'l3_agent', zoned: true },
  metadata: { binary: 'neutron-metadata-agent', agent_type: 'Metadata agent', topic: 'N/A', zoned: false },
} as const;
export type AgentRole = keyof typeof AGENT_ROLES;

/** One role of one host's agent, as the API shows it. */
export interface RoleAgent {
  id: string;
  role: AgentRole;
  host: Stored<AgentBody>;
  settings: AgentRoleSettings;
}

/** Agents missing reports this long are down (Neutron's agent_down_time). */
const AGENT_DOWN_MS = 75_000;

const uuidOf = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
/** Stable ids, so a restarted agent is the same agent. */
const hostRecordId = (host: string): string => uuidOf(`kumo-network-agent:${host}`);
const roleAgentId = (host: string, role: AgentRole): string => uuidOf(`kumo-network-agent:${host}:${AGENT_ROLES[role].binary}`);

const nowText = (): string =>
  new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');

export class AgentService {
  constructor(private readonly ctx: NetworkContext) {}

  async report(r: AgentReport): Promise<void> {
    const id = hostRecordId(r.host);
    const now = nowText();
    const existing = await this.ctx.store.get<AgentBody>('agent', id);
    // A report re-registers roles deleted through the API; operator settings stay.
    const settings = Object.fromEntries(
      Object.entries(existing?.body.settings ?? {}).map(([k, v]) => [k, { admin_state_up: v.admin_state_up, description: v.description }]),
    );
    const body: AgentBody = {
      host: r.host,
      tunnel_ip: r.tunnelIp,
      dhcp: r.dhcp,
      l3: r.l3,
      heartbeat_timestamp: now,
      started_at: existing?.body.started_at ?? now,
      created_at: existing?.body.created_at ?? existing?.body.started_at ?? now,
      settings,
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

  /** The roles each host plays, as Neutron's agents: L2 everywhere, metadata with DHCP. */
  async roleAgents(hosts?: Stored<AgentBody>[]): Promise<RoleAgent[]> {
    const out: RoleAgent[] = [];
    for (const h of hosts ?? (await this.list())) {
      const roles: AgentRole[] = ['l2', ...(h.body.dhcp ? (['dhcp', 'metadata'] as const) : []), ...(h.body.l3 ? (['l3'] as const) : [])];
      for (const role of roles) {
        const settings = h.body.settings?.[AGENT_ROLES[role].binary] ?? {};
        if (!settings.deleted) out.push({ id: roleAgentId(h.body.host, role), role, host: h, settings });
      }
    }
    return out;
  }

  async roleAgent(id: string): Promise<RoleAgent> {
    const found = (await this.roleAgents()).find((a) => a.id === id);
    if (!found) throw notFoundOf('agent', id);
    return found;
  }

  /** PUT /v2.0/agents/{id}: admin_state_up and description only. */
  async updateRole(id: string, changes: AgentRoleSettings): Promise<RoleAgent> {
    const a = await this.roleAgent(id);
    const binary = AGENT_ROLES[a.role].binary;
    const settings = { ...(a.host.body.settings ?? {}), [binary]: { ...a.settings, ...changes } };
    await this.ctx.store.update('agent', a.host.id, { ...a.host.body, settings });
    // A DHCP or L3 agent taken down (or up) moves networks and routers.
    if (changes.admin_state_up !== undefined && changes.admin_state_up !== (a.settings.admin_state_up ?? true)) this.ctx.changed();
    return this.roleAgent(id);
  }

  async deleteRole(id: string): Promise<void> {
    const a = await this.roleAgent(id);
    const binary = AGENT_ROLES[a.role].binary;
    const settings = { ...(a.host.body.settings ?? {}), [binary]: { ...a.settings, deleted: true } };
    // The L2 role is the host itself: its record goes (a live host registers again with its next report).
    if (a.role === 'l2') await this.ctx.store.delete('agent', a.host.id);
    else await this.ctx.store.update('agent', a.host.id, { ...a.host.body, settings });
    this.ctx.changed();
  }

  /**
   * The host that runs DHCP (or routers): the first live agent that offers
   * it and is administratively up, by name; stable while it lives.
   */
  async hostFor(role: 'dhcp' | 'l3', agents?: Stored<AgentBody>[]): Promise<string | null> {
    const binary = AGENT_ROLES[role].binary;
    const live = (agents ?? (await this.list()))
      .filter((a) => a.body[role] && this.alive(a))
      .filter((a) => !a.body.settings?.[binary]?.deleted && a.body.settings?.[binary]?.admin_state_up !== false)
      .sort((a, b) => (a.body.host < b.body.host ? -1 : 1));
    return live[0]?.body.host ?? null;
  }
}
