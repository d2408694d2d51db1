import { CONSOLE_POLICY } from './console-policy.js';
import { RESOURCE_POLICY } from './resource-policy-defaults.js';
import { SERVER_POLICY } from './server-policy-defaults.js';

/** Nova's default policy rules (Zed, with the old defaults Tempest expects). Each part adds its rules. */
export const COMPUTE_POLICY: Record<string, string> = {
  context_is_admin: 'role:admin',
  admin_api: 'is_admin:True or role:admin',
  admin_or_owner: 'rule:context_is_admin or project_id:%(project_id)s',
  project_member_api: 'role:member and project_id:%(project_id)s',
  project_reader_api: 'role:reader and project_id:%(project_id)s',
  project_member_or_admin: 'rule:project_member_api or rule:context_is_admin',
  project_reader_or_admin: 'rule:project_reader_api or rule:context_is_admin',
  ...RESOURCE_POLICY,
  ...CONSOLE_POLICY,
  ...SERVER_POLICY,
};
