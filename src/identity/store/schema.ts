/**
 * Tables of the identity service. Booleans are integers (0/1) and times are
 * ISO-8601 text so that one schema behaves the same on SQLite, MariaDB and
 * PostgreSQL; free-form attributes ("extra") are JSON text.
 */
export interface DomainRow {
  id: string;
  name: string;
  description: string | null;
  enabled: number;
  extra: string;
}
export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  parent_id: string | null;
  description: string | null;
  enabled: number;
  extra: string;
}
export interface ProjectTagRow {
  project_id: string;
  name: string;
}
export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  enabled: number;
  default_project_id: string | null;
  extra: string;
  options: string;
  created_at: string;
  last_active_at: string | null;
  failed_auth_count: number;
  failed_auth_at: string | null;
}
export interface PasswordRow {
  id: string;
  user_id: string;
  hash: string;
  created_at: string;
  created_at_ms: number;
  expires_at: string | null;
  self_service: number;
}
export interface GroupRow {
  id: string;
  name: string;
  domain_id: string;
  description: string | null;
  extra: string;
}
export interface GroupMemberRow {
  group_id: string;
  user_id: string;
}
/** Global roles have domain_id '<<null>>' so that (name, domain_id) stays unique on every dialect. */
export interface RoleRow {
  id: string;
  name: string;
  domain_id: string;
  description: string | null;
  extra: string;
  options: string;
}
export interface ImpliedRoleRow {
  prior_role_id: string;
  implied_role_id: string;
}
export type AssignmentType = 'UserProject' | 'GroupProject' | 'UserDomain' | 'GroupDomain' | 'UserSystem' | 'GroupSystem';
export interface AssignmentRow {
  type: AssignmentType;
  actor_id: string;
  target_id: string;
  role_id: string;
  inherited: number;
}
export interface RegionRow {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
}
export interface ServiceRow {
  id: string;
  type: string;
  enabled: number;
  extra: string;
}
export interface EndpointRow {
  id: string;
  service_id: string;
  region_id: string | null;
  interface: string;
  url: string;
  enabled: number;
  extra: string;
}
export interface AppCredRow {
  id: string;
  name: string;
  user_id: string;
  project_id: string | null;
  system: string | null;
  secret_hash: string;
  description: string | null;
  expires_at: string | null;
  unrestricted: number;
  created_at: string;
}
export interface AppCredRoleRow {
  app_cred_id: string;
  role_id: string;
}
export interface CredentialRow {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
  extra: string;
}
export interface RevocationEventRow {
  id: string;
  user_id: string | null;
  project_id: string | null;
  domain_id: string | null;
  role_id: string | null;
  audit_id: string | null;
  audit_chain_id: string | null;
  issued_before: string;
  revoked_at: string;
  expires_at: string | null;
}
export interface PolicyRow {
  id: string;
  type: string;
  blob: string;
  extra: string;
}

export interface EndpointGroupRow {
  id: string;
  name: string;
  description: string | null;
  filters: string;
}
export interface ProjectEndpointGroupRow {
  endpoint_group_id: string;
  project_id: string;
}
export interface ProjectEndpointRow {
  endpoint_id: string;
  project_id: string;
}
export interface OAuthConsumerRow {
  id: string;
  description: string | null;
  secret_hash: string;
  extra: string;
}
/** One option of a domain-specific configuration; value is JSON. */
export interface DomainConfigRow {
  domain_id: string;
  group_name: string;
  option_name: string;
  value: string;
}
/** An OS-TRUST trust; deleted_at is set instead of removing the row, as Keystone does. */
export interface TrustRow {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: number;
  expires_at: string | null;
  remaining_uses: number | null;
  allow_redelegation: number;
  redelegation_count: number | null;
  deleted_at: string | null;
  extra: string;
}
export interface TrustRoleRow {
  trust_id: string;
  role_id: string;
}

export interface IdentityDB {
  domains: DomainRow;
  projects: ProjectRow;
  project_tags: ProjectTagRow;
  users: UserRow;
  passwords: PasswordRow;
  groups: GroupRow;
  group_members: GroupMemberRow;
  roles: RoleRow;
  implied_roles: ImpliedRoleRow;
  assignments: AssignmentRow;
  regions: RegionRow;
  services: ServiceRow;
  endpoints: EndpointRow;
  application_credentials: AppCredRow;
  app_cred_roles: AppCredRoleRow;
  credentials: CredentialRow;
  revocation_events: RevocationEventRow;
  policies: PolicyRow;
  endpoint_groups: EndpointGroupRow;
  project_endpoint_groups: ProjectEndpointGroupRow;
  project_endpoints: ProjectEndpointRow;
  oauth_consumers: OAuthConsumerRow;
  domain_configs: DomainConfigRow;
  trusts: TrustRow;
  trust_roles: TrustRoleRow;
}

export const NULL_DOMAIN = '<<null>>';
