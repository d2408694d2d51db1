import type { Stored } from '../store/resource-store.js';
import type {
  FloatingIpBody,
  NetworkBody,
  PortBody,
  RouterBody,
  SecurityGroupBody,
  SecurityGroupRuleBody,
  SubnetBody,
} from '../domain/models.js';
import type { NetworkCaller } from '../domain/caller.js';
import type { SubnetPoolBody } from '../domain/subnet-pool-service.js';

type View = Record<string, unknown>;

function standard<T extends object>(r: Stored<T>): View {
  return {
    id: r.id,
    ...r.body,
    tenant_id: r.projectId,
    project_id: r.projectId,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    revision_number: r.revisionNumber,
  };
}

export function networkView(n: Stored<NetworkBody>, subnetIds: string[], caller: NetworkCaller): View {
  const v = standard(n);
  v.status = n.body.admin_state_up ? 'ACTIVE' : 'DOWN';
  v.subnets = subnetIds;
  v.availability_zones = ['nova'];
  v.ipv4_address_scope = null;
  v.ipv6_address_scope = null;
  v.l2_adjacency = true;
  // Provider attributes are an admin's business (Neutron's policy hides them from others).
  if (!caller.isAdmin) {
    delete v['provider:network_type'];
    delete v['provider:physical_network'];
    delete v['provider:segmentation_id'];
  }
  return v;
}

export const subnetView = (s: Stored<SubnetBody>): View => standard(s);
export const subnetPoolView = (p: Stored<SubnetPoolBody>): View => standard(p);

export function portView(p: Stored<PortBody>, caller: NetworkCaller): View {
  const v = standard(p);
  if (!caller.isAdmin) {
    for (const k of ['binding:host_id', 'binding:vif_type', 'binding:vif_details', 'binding:profile']) delete v[k];
  }
  return v;
}

export function securityGroupView(g: Stored<SecurityGroupBody>, rules: Stored<SecurityGroupRuleBody>[]): View {
  return { ...standard(g), security_group_rules: rules.map(ruleView) };
}

export const ruleView = (r: Stored<SecurityGroupRuleBody>): View => standard(r);

export function routerView(r: Stored<RouterBody>, caller: NetworkCaller): View {
  const v = standard(r);
  v.availability_zones = ['nova'];
  if (!caller.isAdmin) {
    delete v.distributed;
    delete v.ha;
    const gw = r.body.external_gateway_info;
    // Non-admins see the gateway's network and SNAT flag, and its addresses (Neutron's default policy shows them to owners).
    if (gw) v.external_gateway_info = { network_id: gw.network_id, enable_snat: gw.enable_snat, external_fixed_ips: gw.external_fixed_ips };
  }
  return v;
}

export function floatingIpView(f: Stored<FloatingIpBody>, port?: Stored<PortBody>): View {
  const v = standard(f);
  delete v.subnet_id;
  v.port_details = port
    ? {
        name: port.body.name,
        network_id: port.body.network_id,
        mac_address: port.body.mac_address,
        admin_state_up: port.body.admin_state_up,
        status: port.body.status,
        device_id: port.body.device_id,
        device_owner: port.body.device_owner,
      }
    : null;
  v.port_forwardings = [];
  return v;
}
