/** Identity entities as the domain layer hands them to the API layer. */
export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  extra: Record<string, unknown>;
}

export interface Project {
  id: string;
  name: string;
  domainId: string;
  /** Null for a top-level project (rendered as the domain ID, as Keystone does). */
  parentId: string | null;
  description: string;
  enabled: boolean;
  tags: string[];
  extra: Record<string, unknown>;
}

export interface UserOptions {
  ignore_change_password_upon_first_use?: boolean;
  ignore_password_expiry?: boolean;
  ignore_lockout_failure_attempts?: boolean;
  lock_password?: boolean;
  multi_factor_auth_enabled?: boolean;
  multi_factor_auth_rules?: string[][];
}

export interface User {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
  defaultProjectId: string | null;
  extra: Record<string, unknown>;
  options: UserOptions;
  passwordExpiresAt: string | null;
  failedAuthCount: number;
  failedAuthAt: string | null;
}

export interface Group {
  id: string;
  name: string;
  domainId: string;
  description: string;
  extra: Record<string, unknown>;
}

export interface Role {
  id: string;
  name: string;
  /** Null for a global role. */
  domainId: string | null;
  description: string | null;
  extra: Record<string, unknown>;
  options: Record<string, unknown>;
}

export interface RoleRef {
  id: string;
  name: string;
}

export interface Region {
  id: string;
  description: string;
  parentRegionId: string | null;
  extra: Record<string, unknown>;
}

export interface Service {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: boolean;
  extra: Record<string, unknown>;
}

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface Endpoint {
  id: string;
  serviceId: string;
  regionId: string | null;
  interface: EndpointInterface;
  url: string;
  enabled: boolean;
  extra: Record<string, unknown>;
}
