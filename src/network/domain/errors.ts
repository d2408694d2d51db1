import { KumoError } from '../../lib/errors.js';

/**
 * Neutron's faults: the code becomes the fault's `type` (network_not_found →
 * NetworkNotFound), as neutron-lib names its exceptions; clients and Tempest
 * match on status and type.
 */
export const notFoundOf = (kind: string, id: string): KumoError => {
  const names: Record<string, [string, string]> = {
    network: ['network_not_found', 'Network'],
    subnet: ['subnet_not_found', 'Subnet'],
    port: ['port_not_found', 'Port'],
    security_group: ['security_group_not_found', 'Security group'],
    security_group_rule: ['security_group_rule_not_found', 'Security group rule'],
    router: ['router_not_found', 'Router'],
    floatingip: ['floating_i_p_not_found', 'Floating IP'],
    subnetpool: ['subnet_pool_not_found', 'Subnet pool'],
  };
  const [code, label] = names[kind] ?? ['not_found', kind];
  return new KumoError(code, 404, `${label} ${id} could not be found.`);
};

export const invalidInput = (message: string): KumoError => new KumoError('invalid_input', 400, `Invalid input for operation: ${message}`);
export const badRequestOf = (message: string, code = 'bad_request'): KumoError => new KumoError(code, 400, message);
export const inUse = (code: string, message: string): KumoError => new KumoError(code, 409, message);
export const conflictOf = (code: string, message: string): KumoError => new KumoError(code, 409, message);
export const notAuthorized = (action: string): KumoError =>
  new KumoError('policy_not_authorized', 403, `(rule:${action}) is disallowed by policy`);
export const overQuota = (resource: string): KumoError =>
  new KumoError('over_quota', 409, `Quota exceeded for resources: ['${resource}'].`);
