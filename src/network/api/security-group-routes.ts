import type { FastifyInstance } from 'fastify';
import type { NetworkServices } from '../domain/network-services.js';
import type { StoredGroup } from '../domain/security-group-service.js';
import { badRequestOf } from '../domain/errors.js';
import { registerCollection } from './crud-routes.js';
import { bodyParser, T } from './route-helpers.js';
import { ruleView, securityGroupView } from './views.js';
import type { Stored } from '../store/resource-store.js';
import type { SecurityGroupRuleBody } from '../domain/models.js';

const GROUP_ATTRS = { name: T.str, description: T.str, stateful: T.bool, project_id: T.str, tenant_id: T.str };
const RULE_ATTRS = {
  security_group_id: T.uuid,
  direction: T.str,
  ethertype: T.str,
  protocol: { type: ['string', 'integer', 'null'] },
  port_range_min: T.nullableInt,
  port_range_max: T.nullableInt,
  remote_ip_prefix: { type: ['string', 'null'], maxLength: 64 },
  // Any text: an id that names no group is Neutron's 404, not a 400.
  remote_group_id: { type: ['string', 'null'], maxLength: 255 },
  remote_address_group_id: T.nullableUuid,
  description: T.str,
  project_id: T.str,
  tenant_id: T.str,
};

export function registerSecurityGroupRoutes(app: FastifyInstance, s: NetworkServices): void {
  const withRules = async (ids: string[]): Promise<Map<string, Stored<SecurityGroupRuleBody>[]>> => {
    const out = new Map<string, Stored<SecurityGroupRuleBody>[]>(ids.map((id) => [id, []]));
    for (const r of await s.store.list<SecurityGroupRuleBody>('security_group_rule')) out.get(r.parentId ?? '')?.push(r);
    return out;
  };
  const one = async (g: StoredGroup) => securityGroupView(g, await s.groups.rulesOf(g.id));
  registerCollection(app, s.policy, {
    path: 'security-groups',
    collection: 'security_groups',
    resource: 'security_group',
    bulk: true,
    parse: bodyParser('security_group', 'security_groups', GROUP_ATTRS),
    async list(caller) {
      const groups = await s.groups.list(caller);
      const rules = await withRules(groups.map((g) => g.id));
      return groups.map((g) => securityGroupView(g, rules.get(g.id) ?? []));
    },
    show: async (caller, id) => one(await s.groups.visible(caller, id)),
    create: async (caller, input) => one(await s.groups.create(caller, input)),
    update: async (caller, id, input) => one(await s.groups.update(caller, id, input)),
    delete: (caller, id) => s.groups.delete(caller, id),
  });
  registerCollection(app, s.policy, {
    path: 'security-group-rules',
    collection: 'security_group_rules',
    resource: 'security_group_rule',
    bulk: true,
    parse: bodyParser('security_group_rule', 'security_group_rules', RULE_ATTRS),
    list: async (caller) => (await s.groups.listRules(caller)).map(ruleView),
    show: async (caller, id) => ruleView(await s.groups.visibleRule(caller, id)),
    create: async (caller, input) => ruleView(await s.groups.createRule(caller, input)),
    async update(caller, id) {
      await s.groups.visibleRule(caller, id);
      throw badRequestOf('Security group rules cannot be updated.');
    },
    delete: (caller, id) => s.groups.deleteRule(caller, id),
  });
}
