import type { ServiceClient } from '../../lib/clients/service-client.js';
import { callAsUser } from './network-proxy-call.js';
import { badRequest, notFound } from '../../lib/errors.js';

interface NeutronRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

interface NeutronGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  security_group_rules: NeutronRule[];
}

export interface NovaRuleInput {
  parent_group_id: string;
  ip_protocol?: string | null;
  from_port?: number | string | null;
  to_port?: number | string | null;
  cidr?: string | null;
  group_id?: string | null;
}

type View = Record<string, unknown>;

/**
 * Nova's security group proxy (os-security-groups, os-security-group-rules,
 * a server's groups and add/removeSecurityGroup) over the network service,
 * called with the user's own token so Neutron's authorization applies, and
 * its answers in Nova's shapes (ingress rules only, ports as Nova counts them).
 */
export class SecurityGroupProxy {
  constructor(private readonly neutron: ServiceClient) {}

  #call<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
    return callAsUser<T>(this.neutron, token, method, path, body, 'security_group_not_found');
  }

  async list(token: string, projectId: string | null, allProjects: boolean): Promise<View[]> {
    const q = allProjects || !projectId ? '' : `?project_id=${encodeURIComponent(projectId)}`;
    const { security_groups } = await this.#call<{ security_groups: NeutronGroup[] }>(token, 'GET', `/v2.0/security-groups${q}`);
    return this.#views(token, security_groups);
  }

  async get(token: string, id: string): Promise<View> {
    const { security_group } = await this.#call<{ security_group: NeutronGroup }>(token, 'GET', `/v2.0/security-groups/${enc(id)}`);
    return (await this.#views(token, [security_group]))[0]!;
  }

  async create(token: string, input: { name: string; description: string }): Promise<View> {
    const { security_group } = await this.#call<{ security_group: NeutronGroup }>(token, 'POST', '/v2.0/security-groups', {
      security_group: input,
    });
    return (await this.#views(token, [security_group]))[0]!;
  }

  async update(token: string, id: string, input: { name: string; description: string }): Promise<View> {
    const { security_group } = await this.#call<{ security_group: NeutronGroup }>(token, 'PUT', `/v2.0/security-groups/${enc(id)}`, {
      security_group: input,
    });
    return (await this.#views(token, [security_group]))[0]!;
  }

  async delete(token: string, id: string): Promise<void> {
    await this.#call(token, 'DELETE', `/v2.0/security-groups/${enc(id)}`);
  }

  async createRule(token: string, r: NovaRuleInput): Promise<View> {
    const protocol = r.ip_protocol ? String(r.ip_protocol).toLowerCase() : null;
    if (protocol !== null && !['tcp', 'udp', 'icmp'].includes(protocol)) throw badRequest(`Invalid IP protocol ${String(r.ip_protocol)}.`);
    const port = (v: number | string | null | undefined, what: string): number | null => {
      if (v === undefined || v === null || v === '') return null;
      const n = Number(v);
      if (!Number.isInteger(n)) throw badRequest(`Invalid port range: ${what} '${String(v)}' is not an integer.`);
      return n;
    };
    let from = port(r.from_port, 'from_port');
    let to = port(r.to_port, 'to_port');
    if (protocol === 'icmp') {
      if ((from !== null && (from < -1 || from > 255)) || (to !== null && (to < -1 || to > 255)))
        throw badRequest('Invalid port range: ICMP type and code must be -1 to 255.');
      if (from === -1) from = null;
      if (to === -1) to = null;
    } else if (protocol !== null) {
      if (from === null || to === null || from < 1 || to > 65535 || from > to)
        throw badRequest(`Invalid port range ${String(r.from_port)}:${String(r.to_port)}. Valid ports are 1 to 65535, from ≤ to.`);
    }
    if (r.cidr && r.group_id) throw badRequest('Invalid input: give either cidr or group_id, not both.');
    const rule = {
      security_group_id: r.parent_group_id,
      direction: 'ingress',
      ethertype: r.cidr?.includes(':') ? 'IPv6' : 'IPv4',
      protocol,
      port_range_min: from,
      port_range_max: protocol === 'icmp' && from === null ? null : to,
      ...(r.group_id ? { remote_group_id: r.group_id } : { remote_ip_prefix: r.cidr || '0.0.0.0/0' }),
    };
    const { security_group_rule } = await this.#call<{ security_group_rule: NeutronRule }>(token, 'POST', '/v2.0/security-group-rules', {
      security_group_rule: rule,
    });
    const names = await this.#groupNames(token, [security_group_rule]);
    return ruleView(security_group_rule, names);
  }

  async deleteRule(token: string, id: string): Promise<void> {
    await this.#call(token, 'DELETE', `/v2.0/security-group-rules/${enc(id)}`);
  }

  /** The groups on a server's ports. */
  async ofServer(token: string, serverId: string): Promise<View[]> {
    const ids = new Set((await this.#ports(token, serverId)).flatMap((p) => p.security_groups));
    if (ids.size === 0) return [];
    const q = [...ids].map((id) => `id=${enc(id)}`).join('&');
    const { security_groups } = await this.#call<{ security_groups: NeutronGroup[] }>(token, 'GET', `/v2.0/security-groups?${q}`);
    return this.#views(token, security_groups);
  }

  /** addSecurityGroup / removeSecurityGroup: the group (by name or id, of the server's project) on or off every port of the server. */
  async setOnServer(token: string, server: { uuid: string; projectId: string }, group: string, on: boolean): Promise<string> {
    const { security_groups } = await this.#call<{ security_groups: NeutronGroup[] }>(
      token,
      'GET',
      `/v2.0/security-groups?project_id=${enc(server.projectId)}`,
    );
    const found = security_groups.filter((g) => g.id === group || g.name === group);
    if (found.length === 0)
      throw notFound(`Security group ${group} not found for project ${server.projectId}.`, 'security_group_not_found');
    if (found.length > 1) throw badRequest(`Multiple security groups named ${group}; use its id.`);
    const id = found[0]!.id;
    const ports = await this.#ports(token, server.uuid);
    if (ports.length === 0) throw badRequest('The server has no network port to take a security group.');
    if (!on && !ports.some((p) => p.security_groups.includes(id)))
      throw badRequest(`Security group ${group} not associated with the instance ${server.uuid}`);
    for (const p of ports) {
      const has = p.security_groups.includes(id);
      if (has === on) continue;
      const next = on ? [...p.security_groups, id] : p.security_groups.filter((g) => g !== id);
      await this.#call(token, 'PUT', `/v2.0/ports/${enc(p.id)}`, { port: { security_groups: next } });
    }
    return found[0]!.name;
  }

  async #ports(token: string, serverId: string): Promise<{ id: string; security_groups: string[] }[]> {
    const { ports } = await this.#call<{ ports: { id: string; security_groups: string[] }[] }>(
      token,
      'GET',
      `/v2.0/ports?device_id=${enc(serverId)}&fields=id&fields=security_groups`,
    );
    return ports;
  }

  async #groupNames(token: string, rules: NeutronRule[]): Promise<Map<string, { name: string; tenant_id: string }>> {
    const ids = [...new Set(rules.flatMap((r) => (r.remote_group_id ? [r.remote_group_id] : [])))];
    if (ids.length === 0) return new Map();
    const q = ids.map((id) => `id=${enc(id)}`).join('&');
    const { security_groups } = await this.#call<{ security_groups: NeutronGroup[] }>(token, 'GET', `/v2.0/security-groups?${q}`);
    return new Map(security_groups.map((g) => [g.id, { name: g.name, tenant_id: g.project_id }]));
  }

  async #views(token: string, groups: NeutronGroup[]): Promise<View[]> {
    const ingress = groups.flatMap((g) => g.security_group_rules.filter((r) => r.direction === 'ingress'));
    const known = new Map(groups.map((g) => [g.id, { name: g.name, tenant_id: g.project_id }]));
    const missing = ingress.filter((r) => r.remote_group_id && !known.has(r.remote_group_id));
    for (const [k, v] of await this.#groupNames(token, missing)) known.set(k, v);
    return groups.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      tenant_id: g.project_id,
      rules: g.security_group_rules.filter((r) => r.direction === 'ingress').map((r) => ruleView(r, known)),
    }));
  }
}

const enc = encodeURIComponent;

/** A Neutron rule in Nova's form: ports as Nova reports them for a protocol without a range, the remote as a group or a CIDR. */
function ruleView(r: NeutronRule, groups: Map<string, { name: string; tenant_id: string }>): View {
  let from = r.port_range_min;
  let to = r.port_range_max;
  if (r.protocol && from === null && to === null) {
    const tcpUdp = ['tcp', 'udp'].includes(r.protocol.toLowerCase());
    from = tcpUdp ? 1 : -1;
    to = tcpUdp ? 65535 : -1;
  }
  const group = r.remote_group_id ? groups.get(r.remote_group_id) : undefined;
  return {
    id: r.id,
    parent_group_id: r.security_group_id,
    ip_protocol: r.protocol,
    from_port: from,
    to_port: to,
    group: group ?? {},
    ip_range: r.remote_group_id ? {} : { cidr: r.remote_ip_prefix ?? '0.0.0.0/0' },
  };
}
