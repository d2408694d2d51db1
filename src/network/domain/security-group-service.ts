import { newUuid } from '../../lib/ids.js';
import type { Stored } from '../store/resource-store.js';
import { owns, type NetworkCaller } from './caller.js';
import { badRequestOf, conflictOf, inUse, invalidInput, notAuthorized, notFoundOf } from './errors.js';
import { parseCidr } from './ip-math.js';
import type { PortBody, SecurityGroupBody, SecurityGroupRuleBody } from './models.js';
import type { NetworkContext } from './network-context.js';
import { targetProject } from './network-service.js';
import type { NetworkQuotaService } from './quota-service.js';

export type StoredGroup = Stored<SecurityGroupBody>;
export type StoredRule = Stored<SecurityGroupRuleBody>;

export interface GroupInput {
  name?: string;
  description?: string;
  stateful?: boolean;
  project_id?: string;
  tenant_id?: string;
}

export interface RuleInput {
  security_group_id?: string;
  direction?: string;
  ethertype?: string;
  protocol?: string | number | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  remote_address_group_id?: string | null;
  description?: string;
  project_id?: string;
  tenant_id?: string;
}

/** Protocol names Neutron accepts, with their IP protocol numbers. */
const PROTOCOLS: Record<string, number> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  ipv6: 41,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

/** A protocol (name or number) as its number, or null for "any". */
export function protocolNumber(p: string | null): number | null {
  if (p === null || p === 'any') return null;
  if (/^\d+$/.test(p)) return Number(p);
  return PROTOCOLS[p] ?? null;
}

export class SecurityGroupService {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly quotas: NetworkQuotaService,
  ) {}

  /** Creates the project's `default` group once (as Neutron does on a project's first use). */
  async ensureDefault(projectId: string | null): Promise<void> {
    if (!projectId) return;
    const claim = `sgdefault:${projectId}`;
    if ((await this.ctx.store.claims(claim)).length > 0) return;
    const id = newUuid();
    const created = await this.ctx.store.transaction(async (tx) => {
      if (!(await tx.tryClaim(claim, id))) return false;
      await tx.insert<SecurityGroupBody>('security_group', {
        id,
        projectId,
        body: { name: 'default', description: 'Default security group', stateful: true, tags: [] },
      });
      for (const ethertype of ['IPv4', 'IPv6'] as const) {
        await tx.insert('security_group_rule', { id: newUuid(), projectId, parentId: id, body: rule(id, 'egress', ethertype, null) });
        await tx.insert('security_group_rule', { id: newUuid(), projectId, parentId: id, body: rule(id, 'ingress', ethertype, id) });
      }
      return true;
    });
    if (created) this.ctx.changed();
  }

  async defaultGroupId(projectId: string): Promise<string> {
    await this.ensureDefault(projectId);
    const [c] = await this.ctx.store.claims(`sgdefault:${projectId}`);
    return c!.ownerId;
  }

  async visible(caller: NetworkCaller, id: string): Promise<StoredGroup> {
    const g = await this.ctx.store.get<SecurityGroupBody>('security_group', id);
    if (!g || !owns(caller, g.projectId)) throw notFoundOf('security_group', id);
    return g;
  }

  async list(caller: NetworkCaller): Promise<StoredGroup[]> {
    await this.ensureDefault(caller.projectId);
    return this.ctx.store.list<SecurityGroupBody>('security_group', caller.isAdmin ? {} : { projectId: caller.projectId ?? '' });
  }

  rulesOf(groupId: string): Promise<StoredRule[]> {
    return this.ctx.store.list<SecurityGroupRuleBody>('security_group_rule', { parentId: groupId });
  }

  async create(caller: NetworkCaller, input: GroupInput): Promise<StoredGroup> {
    const projectId = targetProject(caller, input, 'create_security_group');
    if (input.name === 'default') throw conflictOf('security_group_default_already_exists', 'Default security group already exists.');
    await this.ensureDefault(projectId);
    await this.quotas.check(projectId, 'security_group');
    const id = newUuid();
    const g = await this.ctx.store.transaction(async (tx) => {
      const g = await tx.insert<SecurityGroupBody>('security_group', {
        id,
        projectId,
        body: { name: input.name ?? '', description: input.description ?? '', stateful: input.stateful ?? true, tags: [] },
      });
      for (const ethertype of ['IPv4', 'IPv6'] as const) {
        await tx.insert('security_group_rule', { id: newUuid(), projectId, parentId: id, body: rule(id, 'egress', ethertype, null) });
      }
      return g;
    });
    this.ctx.changed();
    return g;
  }

  async update(caller: NetworkCaller, id: string, input: GroupInput): Promise<StoredGroup> {
    const g = await this.visible(caller, id);
    if (g.body.name === 'default' && input.name !== undefined && input.name !== 'default') {
      throw conflictOf('security_group_cannot_update_default', 'Updating default security group not allowed.');
    }
    if (input.name === 'default' && g.body.name !== 'default')
      throw conflictOf('security_group_default_already_exists', 'Default security group already exists.');
    if (input.stateful !== undefined && input.stateful !== g.body.stateful) {
      const used = (await this.ctx.store.list<PortBody>('port')).some((p) => p.body.security_groups.includes(id));
      if (used) throw inUse('security_group_in_use', `Security Group ${id} in use.`);
    }
    const body = { ...g.body };
    if (input.name !== undefined) body.name = input.name;
    if (input.description !== undefined) body.description = input.description;
    if (input.stateful !== undefined) body.stateful = input.stateful;
    await this.ctx.store.update('security_group', id, body);
    this.ctx.changed();
    return (await this.ctx.store.get<SecurityGroupBody>('security_group', id))!;
  }

  async delete(caller: NetworkCaller, id: string): Promise<void> {
    const g = await this.visible(caller, id);
    if (g.body.name === 'default' && !caller.isAdmin)
      throw conflictOf('security_group_cannot_remove_default', 'Insufficient rights for removing default security group.');
    const used = (await this.ctx.store.list<PortBody>('port')).some((p) => p.body.security_groups.includes(id));
    if (used) throw inUse('security_group_in_use', `Security Group ${id} in use.`);
    // Rules of other groups that name this one as their remote group go with it, as in Neutron.
    const peers = (await this.ctx.store.list<SecurityGroupRuleBody>('security_group_rule')).filter((r) => r.body.remote_group_id === id);
    await this.ctx.store.transaction(async (tx) => {
      for (const r of await tx.list('security_group_rule', { parentId: id })) await tx.delete('security_group_rule', r.id);
      for (const r of peers) await tx.delete('security_group_rule', r.id);
      await tx.delete('security_group', id);
    });
    this.ctx.changed();
  }

  async visibleRule(caller: NetworkCaller, id: string): Promise<StoredRule> {
    const r = await this.ctx.store.get<SecurityGroupRuleBody>('security_group_rule', id);
    if (!r || !owns(caller, r.projectId)) throw notFoundOf('security_group_rule', id);
    return r;
  }

  async listRules(caller: NetworkCaller): Promise<StoredRule[]> {
    await this.ensureDefault(caller.projectId);
    return this.ctx.store.list<SecurityGroupRuleBody>('security_group_rule', caller.isAdmin ? {} : { projectId: caller.projectId ?? '' });
  }

  async createRule(caller: NetworkCaller, input: RuleInput): Promise<StoredRule> {
    if (!input.security_group_id) throw badRequestOf("Failed to parse request. Required attribute 'security_group_id' not specified");
    const group = await this.visible(caller, input.security_group_id);
    const projectId = input.project_id ?? input.tenant_id ?? group.projectId;
    if (projectId !== group.projectId && !caller.isAdmin) throw notAuthorized('create_security_group_rule');
    const body = await this.#ruleBody(caller, group.id, input);
    for (const existing of await this.rulesOf(group.id)) {
      if (sameRule(existing.body, body))
        throw conflictOf('security_group_rule_exists', `Security group rule already exists. Rule id is ${existing.id}.`);
    }
    await this.quotas.check(group.projectId, 'security_group_rule');
    const r = await this.ctx.store.insert('security_group_rule', { id: newUuid(), projectId: group.projectId, parentId: group.id, body });
    await this.#touch(group);
    return r;
  }

  async deleteRule(caller: NetworkCaller, id: string): Promise<void> {
    const r = await this.visibleRule(caller, id);
    await this.ctx.store.delete('security_group_rule', id);
    const g = await this.ctx.store.get<SecurityGroupBody>('security_group', r.body.security_group_id);
    if (g) await this.#touch(g);
  }

  /** A rule change is a change of its group (revision_number), as in Neutron. */
  async #touch(g: StoredGroup): Promise<void> {
    await this.ctx.store.update('security_group', g.id, g.body);
    this.ctx.changed();
  }

  async #ruleBody(caller: NetworkCaller, groupId: string, input: RuleInput): Promise<SecurityGroupRuleBody> {
    if (input.direction !== 'ingress' && input.direction !== 'egress') {
      throw invalidInput(`${JSON.stringify(input.direction ?? null)} is not in ['ingress', 'egress']`);
    }
    const ethertype = input.ethertype ?? 'IPv4';
    if (ethertype !== 'IPv4' && ethertype !== 'IPv6') throw invalidInput(`'${ethertype}' is not in ['IPv4', 'IPv6']`);
    const protocol = input.protocol === undefined || input.protocol === null ? null : String(input.protocol).toLowerCase();
    let number: number | null = null;
    if (protocol !== null && protocol !== 'any') {
      number = protocolNumber(protocol);
      if (number === null || number > 255) {
        throw badRequestOf(
          `Security group rule protocol ${protocol} not supported. Only protocol values [${Object.keys(PROTOCOLS).join(', ')}] and integer representations [0 to 255] are supported.`,
          'security_group_rule_invalid_protocol',
        );
      }
      if (ethertype === 'IPv4' && number === 58) {
        throw badRequestOf(
          `Protocol ${protocol} is not supported for ethertype IPv4.`,
          'security_group_rule_invalid_ethertype_for_protocol',
        );
      }
    }
    const min = input.port_range_min ?? null;
    const max = input.port_range_max ?? null;
    for (const p of [min, max]) {
      if (p !== null && number !== null && PORT_PROTOCOLS.has(number) && (p < 0 || p > 65535)) {
        throw invalidInput(`Invalid value for port ${p}`);
      }
    }
    if (min !== null || max !== null) {
      if (number === null)
        throw badRequestOf('Must also specify protocol if port range is given.', 'security_group_protocol_required_with_ports');
      if (PORT_PROTOCOLS.has(number)) {
        if (min === null || max === null || min < 1 || max > 65535 || min > max) {
          throw badRequestOf('For TCP/UDP protocols, port_range_min must be <= port_range_max', 'security_group_invalid_port_range');
        }
      } else if (ICMP_PROTOCOLS.has(number)) {
        if (min !== null && (min < 0 || min > 255))
          throw badRequestOf(
            `Invalid value for ICMP type (port-range-min): ${min}. It must be 0 to 255.`,
            'security_group_invalid_icmp_value',
          );
        if (max !== null && (max < 0 || max > 255))
          throw badRequestOf(
            `Invalid value for ICMP code (port-range-max): ${max}. It must be 0 to 255.`,
            'security_group_invalid_icmp_value',
          );
        if (min === null && max !== null)
          throw badRequestOf(
            `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
            'security_group_missing_icmp_type',
          );
      } else {
        throw badRequestOf(
          `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`,
          'security_group_invalid_protocol_for_port_range',
        );
      }
    }
    if (input.remote_ip_prefix && input.remote_group_id) {
      throw badRequestOf('Only remote_ip_prefix or remote_group_id may be provided.', 'security_group_remote_group_and_remote_ip_prefix');
    }
    let prefix = input.remote_ip_prefix ?? null;
    if (prefix !== null) {
      const c = parseCidr(prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`);
      if (!c) throw invalidInput(`'${prefix}' is not a valid IP subnet.`);
      if ((c.version === 4 ? 'IPv4' : 'IPv6') !== ethertype) {
        throw badRequestOf(`Conflicting value ethertype ${ethertype} for CIDR ${prefix}`, 'security_group_conflicting_ethertype');
      }
      if (!prefix.includes('/')) prefix = `${prefix}/${c.version === 4 ? 32 : 128}`;
    }
    if (input.remote_group_id) {
      const remote = await this.ctx.store.get('security_group', input.remote_group_id);
      if (!remote || !owns(caller, remote.projectId)) throw notFoundOf('security_group', input.remote_group_id);
    }
    return {
      security_group_id: groupId,
      direction: input.direction,
      ethertype,
      protocol: protocol === 'any' ? null : protocol,
      port_range_min: min,
      port_range_max: max,
      remote_ip_prefix: prefix,
      remote_group_id: input.remote_group_id ?? null,
      remote_address_group_id: null,
      description: input.description ?? '',
    };
  }
}

function rule(
  groupId: string,
  direction: 'ingress' | 'egress',
  ethertype: 'IPv4' | 'IPv6',
  remoteGroup: string | null,
): SecurityGroupRuleBody {
  return {
    security_group_id: groupId,
    direction,
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: remoteGroup,
    remote_address_group_id: null,
    description: '',
  };
}

/** Neutron compares rules by what they match, with protocol names and numbers alike and /0 as no prefix. */
function sameRule(a: SecurityGroupRuleBody, b: SecurityGroupRuleBody): boolean {
  const prefix = (p: string | null): string | null => (p === null || /\/0$/.test(p) ? null : p);
  const proto = (p: string | null): number | null => protocolNumber(p);
  return (
    a.direction === b.direction &&
    a.ethertype === b.ethertype &&
    proto(a.protocol) === proto(b.protocol) &&
    a.port_range_min === b.port_range_min &&
    a.port_range_max === b.port_range_max &&
    prefix(a.remote_ip_prefix) === prefix(b.remote_ip_prefix) &&
    a.remote_group_id === b.remote_group_id
  );
}
