/**
 * Policy rules of the console API, with the pre-Zed defaults Tempest expects
 * (Nova Zed keeps them as deprecated alternatives while enforce_new_defaults
 * is off). Merged into COMPUTE_POLICY.
 */
export const CONSOLE_POLICY: Record<string, string> = {
  'os_compute_api:os-remote-consoles': 'rule:admin_or_owner',
  'os_compute_api:os-console-auth-tokens': 'rule:admin_api',
};
