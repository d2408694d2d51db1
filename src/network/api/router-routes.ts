import type { FastifyInstance } from 'fastify';
import type { NetworkServices } from '../domain/network-services.js';
import type { PortBody } from '../domain/models.js';
import { registerCollection } from './crud-routes.js';
import { bodyParser, callerOf, T, type IdParams } from './route-helpers.js';
import { floatingIpView, routerView } from './views.js';
import { badRequestOf } from '../domain/errors.js';

const gatewayInfo = {
  type: ['object', 'null'],
  properties: {
    network_id: T.uuid,
    enable_snat: T.bool,
    external_fixed_ips: {
      type: 'array',
      items: {
        type: 'object',
        properties: { subnet_id: T.uuid, ip_address: { type: 'string', maxLength: 64 } },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};
const route = {
  type: 'object',
  properties: { destination: { type: 'string' }, nexthop: { type: 'string' } },
  required: ['destination', 'nexthop'],
  additionalProperties: false,
};

const ROUTER_ATTRS = {
  name: T.str,
  description: T.str,
  admin_state_up: T.bool,
  external_gateway_info: gatewayInfo,
  // null clears them, as Neutron's `router set --no-route` sends it.
  routes: { type: ['array', 'null'], items: route },
  distributed: T.bool,
  ha: T.bool,
  availability_zone_hints: T.strList,
  project_id: T.str,
  tenant_id: T.str,
};

const FIP_ATTRS = {
  floating_network_id: T.uuid,
  floating_ip_address: { type: 'string', maxLength: 64 },
  subnet_id: T.uuid,
  port_id: T.nullableUuid,
  fixed_ip_address: { type: ['string', 'null'], maxLength: 64 },
  description: T.str,
  dns_domain: T.str,
  dns_name: T.str,
  project_id: T.str,
  tenant_id: T.str,
};

type InterfaceBody = { subnet_id?: unknown; port_id?: unknown };

function interfaceInput(body: unknown): { subnet_id?: string; port_id?: string } {
  if (typeof body !== 'object' || body === null) throw badRequestOf('Bad router request: Either subnet_id or port_id must be specified.');
  const b = body as InterfaceBody;
  const out: { subnet_id?: string; port_id?: string } = {};
  for (const k of ['subnet_id', 'port_id'] as const) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== 'string') throw badRequestOf(`Invalid input for ${k}. Reason: '${String(b[k])}' is not a valid UUID.`);
    out[k] = b[k] as string;
  }
  return out;
}

export function registerRouterRoutes(app: FastifyInstance, s: NetworkServices): void {
  registerCollection(app, s.policy, {
    path: 'routers',
    collection: 'routers',
    resource: 'router',
    bulk: false,
    parse: bodyParser('router', null, ROUTER_ATTRS),
    list: async (caller) => (await s.routers.list(caller)).map((r) => routerView(r, caller)),
    show: async (caller, id) => routerView(await s.routers.visible(caller, id), caller),
    create: async (caller, input) => routerView(await s.routers.create(caller, input), caller),
    update: async (caller, id, input) => routerView(await s.routers.update(caller, id, input), caller),
    delete: (caller, id) => s.routers.delete(caller, id),
  });
  app.put<IdParams>('/v2.0/routers/:id/add_router_interface', async (req) =>
    s.routers.addInterface(callerOf(s.policy, req), req.params.id, interfaceInput(req.body)),
  );
  app.put<IdParams>('/v2.0/routers/:id/remove_router_interface', async (req) =>
    s.routers.removeInterface(callerOf(s.policy, req), req.params.id, interfaceInput(req.body)),
  );

  const portOf = async (id: string | null) => (id ? await s.store.get<PortBody>('port', id) : undefined);
  registerCollection(app, s.policy, {
    path: 'floatingips',
    collection: 'floatingips',
    resource: 'floatingip',
    bulk: false,
    parse: bodyParser('floatingip', null, FIP_ATTRS),
    async list(caller) {
      const ports = new Map((await s.store.list<PortBody>('port')).map((p) => [p.id, p]));
      return (await s.floatingIps.list(caller)).map((f) => floatingIpView(f, f.body.port_id ? ports.get(f.body.port_id) : undefined));
    },
    async show(caller, id) {
      const f = await s.floatingIps.visible(caller, id);
      return floatingIpView(f, await portOf(f.body.port_id));
    },
    async create(caller, input) {
      const f = await s.floatingIps.create(caller, input);
      return floatingIpView(f, await portOf(f.body.port_id));
    },
    async update(caller, id, input) {
      const f = await s.floatingIps.update(caller, id, input);
      return floatingIpView(f, await portOf(f.body.port_id));
    },
    delete: (caller, id) => s.floatingIps.delete(caller, id),
  });
}
