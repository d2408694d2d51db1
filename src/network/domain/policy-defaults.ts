/**
 * The network service decides ownership in its domain (Neutron's
 * admin_or_owner and its hiding of others' resources as 404); the policy
 * file decides who is an admin.
 */
export const NETWORK_POLICY: Record<string, string> = {
  context_is_admin: 'role:admin',
  admin_only: 'rule:context_is_admin',
};
