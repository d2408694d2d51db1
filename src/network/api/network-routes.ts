import type { FastifyInstance } from 'fastify';
import type { NetworkCaller } from '../domain/caller.js';
import type { StoredNetwork } from '../domain/network-service.js';
import type { NetworkServices } from '../domain/network-services.js';
import { registerCollection } from './crud-routes.js';
import { bodyParser, T } from './route-helpers.js';
import { networkView, subnetPoolView, subnetView } from './views.js';

const NETWORK_ATTRS = {
  name: T.str,
  description: T.str,
  admin_state_up: T.bool,
  shared: T.bool,
  'router:external': T.bool,
  mtu: T.int,
  port_security_enabled: T.bool,
  'provider:network_type': T.str,
  'provider:physical_network': T.nullableStr,
  'provider:segmentation_id': T.nullableInt,
  availability_zone_hints: T.strList,
  is_default: T.bool,
  dns_domain: T.str,
  project_id: T.str,
  tenant_id: T.str,
};

const pool = {
  type: 'object',
  properties: { start: { type: 'string' }, end: { type: 'string' } },
  required: ['start', 'end'],
  additionalProperties: false,
};
const route = {
  type: 'object',
  properties: { destination: { type: 'string' }, nexthop: { type: 'string' } },
  required: ['destination', 'nexthop'],
  additionalProperties: false,
};

const SUBNET_ATTRS = {
  name: T.str,
  description: T.str,
  network_id: T.uuid,
  ip_version: { type: 'integer', enum: [4, 6] },
  cidr: { type: 'string', maxLength: 64 },
  gateway_ip: { type: ['string', 'null'], maxLength: 64 },
  allocation_pools: { type: 'array', items: pool },
  dns_nameservers: T.strList,
  host_routes: { type: 'array', items: route },
  enable_dhcp: T.bool,
  ipv6_ra_mode: { enum: ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', null] },
  ipv6_address_mode: { enum: ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', null] },
  subnetpool_id: T.nullableUuid,
  prefixlen: T.int,
  use_default_subnetpool: T.bool,
  service_types: T.strList,
  segment_id: T.nullableUuid,
  dns_publish_fixed_ip: T.bool,
  project_id: T.str,
  tenant_id: T.str,
};

const SUBNETPOOL_ATTRS = {
  name: T.str,
  description: T.str,
  prefixes: { type: 'array', items: { type: 'string', maxLength: 64 } },
  default_prefixlen: T.int,
  min_prefixlen: T.int,
  max_prefixlen: T.int,
  shared: T.bool,
  is_default: T.bool,
  default_quota: T.nullableInt,
  address_scope_id: T.nullableUuid,
  project_id: T.str,
  tenant_id: T.str,
};

export function registerNetworkRoutes(app: FastifyInstance, s: NetworkServices): void {
  const subnetIdsByNetwork = async (): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>();
    for (const sub of await s.store.list('subnet')) out.set(sub.parentId!, [...(out.get(sub.parentId!) ?? []), sub.id]);
    return out;
  };
  const oneNetworkView = async (caller: NetworkCaller, n: StoredNetwork) =>
    networkView(
      n,
      (await s.subnets.ofNetwork(n.id)).map((x) => x.id),
      caller,
    );
  registerCollection(app, s.policy, {
    path: 'networks',
    collection: 'networks',
    resource: 'network',
    bulk: true,
    parse: bodyParser('network', 'networks', NETWORK_ATTRS),
    async list(caller) {
      const subnets = await subnetIdsByNetwork();
      return (await s.networks.list(caller)).map((n) => networkView(n, subnets.get(n.id) ?? [], caller));
    },
    show: async (caller, id) => oneNetworkView(caller, await s.networks.visible(caller, id)),
    async create(caller, input) {
      const n = await s.networks.create(caller, input);
      await s.groups.ensureDefault(n.projectId);
      return networkView(n, [], caller);
    },
    update: async (caller, id, input) => oneNetworkView(caller, await s.networks.update(caller, id, input)),
    delete: (caller, id) => s.networks.delete(caller, id),
  });
  registerCollection(app, s.policy, {
    path: 'subnets',
    collection: 'subnets',
    resource: 'subnet',
    bulk: true,
    parse: bodyParser('subnet', 'subnets', SUBNET_ATTRS),
    list: async (caller) => (await s.subnets.list(caller)).map(subnetView),
    show: async (caller, id) => subnetView(await s.subnets.visible(caller, id)),
    create: async (caller, input) => subnetView(await s.subnets.create(caller, input)),
    update: async (caller, id, input) => subnetView(await s.subnets.update(caller, id, input)),
    delete: (caller, id) => s.subnets.delete(caller, id),
  });
  registerCollection(app, s.policy, {
    path: 'subnetpools',
    collection: 'subnetpools',
    resource: 'subnetpool',
    bulk: false,
    parse: bodyParser('subnetpool', null, SUBNETPOOL_ATTRS),
    list: async (caller) => (await s.subnetPools.list(caller)).map(subnetPoolView),
    show: async (caller, id) => subnetPoolView(await s.subnetPools.visible(caller, id)),
    create: async (caller, input) => subnetPoolView(await s.subnetPools.create(caller, input)),
    update: async (caller, id, input) => subnetPoolView(await s.subnetPools.update(caller, id, input)),
    delete: (caller, id) => s.subnetPools.delete(caller, id),
  });
}
