import type { PolicyCredentials } from '../policy/policy-engine.js';

/** What a validated token says about its bearer; the same shape whether validated locally or remotely. */
export interface AuthContext {
  token: string;
  userId: string;
  userName: string;
  userDomainId: string;
  userDomainName: string;
  /** Exactly one scope, or none for an unscoped token. */
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
  domainId?: string;
  domainName?: string;
  system?: 'all';
  roles: { id: string; name: string }[];
  methods: string[];
  auditIds: string[];
  expiresAt: Date;
  issuedAt: Date;
  isAdminProject: boolean;
  applicationCredentialId?: string;
  /** Set on a trust-scoped token (OS-TRUST). */
  trustId?: string;
}

/** Validates a token string; rejects with a 401 KumoError when it is not valid. */
export interface TokenValidator {
  validate(token: string): Promise<AuthContext>;
}

/** The oslo.policy credentials of a token, as Keystone's middleware derives them. */
export function policyCredentials(ctx: AuthContext): PolicyCredentials {
  return {
    user_id: ctx.userId,
    user_domain_id: ctx.userDomainId,
    project_id: ctx.projectId ?? null,
    project_domain_id: ctx.projectDomainId ?? null,
    domain_id: ctx.domainId ?? null,
    system_scope: ctx.system ?? null,
    roles: ctx.roles.map((r) => r.name),
    is_admin_project: ctx.isAdminProject,
  };
}
