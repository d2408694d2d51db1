import type { FastifyInstance } from 'fastify';
import type { NetworkServices } from '../domain/network-services.js';
import { registerCollection } from './crud-routes.js';
import { bodyParser, T } from './route-helpers.js';
import { portView } from './views.js';

const fixedIp = {
  type: 'object',
  properties: { subnet_id: T.uuid, ip_address: { type: 'string', maxLength: 64 } },
  additionalProperties: false,
};
const pair = {
  type: 'object',
  properties: { ip_address: { type: 'string', maxLength: 64 }, mac_address: { type: 'string', maxLength: 32 } },
  additionalProperties: false,
};
const dhcpOpt = {
  type: 'object',
  properties: { opt_name: T.str, opt_value: T.str, ip_version: { type: 'integer', enum: [4, 6] } },
  required: ['opt_name', 'opt_value'],
  additionalProperties: false,
};

const PORT_ATTRS = {
  name: T.str,
  description: T.str,
  network_id: T.uuid,
  mac_address: { type: 'string', maxLength: 32 },
  admin_state_up: T.bool,
  device_id: T.str,
  device_owner: T.str,
  fixed_ips: { type: 'array', items: fixedIp },
  allowed_address_pairs: { type: 'array', items: pair },
  extra_dhcp_opts: { type: 'array', items: dhcpOpt },
  security_groups: { type: 'array', items: T.uuid },
  port_security_enabled: T.bool,
  'binding:host_id': T.str,
  'binding:vnic_type': {
    enum: ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'remote-managed'],
  },
  'binding:profile': T.obj,
  dns_name: T.str,
  propagate_uplink_status: T.bool,
  project_id: T.str,
  tenant_id: T.str,
};

export function registerPortRoutes(app: FastifyInstance, s: NetworkServices): void {
  registerCollection(app, s.policy, {
    path: 'ports',
    collection: 'ports',
    resource: 'port',
    bulk: true,
    parse: bodyParser('port', 'ports', PORT_ATTRS),
    list: async (caller) => (await s.ports.list(caller)).map((p) => portView(p, caller)),
    show: async (caller, id) => portView(await s.ports.visible(caller, id), caller),
    create: async (caller, input) => portView(await s.ports.create(caller, input), caller),
    update: async (caller, id, input) => portView(await s.ports.update(caller, id, input), caller),
    delete: (caller, id) => s.ports.delete(caller, id),
  });
}
