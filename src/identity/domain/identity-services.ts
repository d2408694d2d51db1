import type { FernetKeyRepository } from '../../lib/crypto/fernet-key-repository.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { AppCredentialService } from './app-credential-service.js';
import { AssignmentService } from './assignment-service.js';
import { AuthService } from './auth-service.js';
import { CatalogService } from './catalog-service.js';
import { ConsumerService } from './consumer-service.js';
import { CredentialService, credentialKeyRepository } from './credential-service.js';
import { DomainConfigService } from './domain-config-service.js';
import { EndpointFilterService } from './endpoint-filter-service.js';
import { GroupService } from './group-service.js';
import type { IdentityContext } from './identity-context.js';
import { PasswordPolicy } from './password-policy.js';
import { PolicyBlobService } from './policy-blob-service.js';
import { RegionService } from './region-service.js';
import { ResourceService } from './resource-service.js';
import { RevocationService } from './revocation-service.js';
import { RoleService } from './role-service.js';
import { TokenService } from './token-service.js';
import { TrustService } from './trust-service.js';
import { UserService } from './user-service.js';

/** Every identity domain service, wired together once; the API layer receives this. */
export interface IdentityServices {
  readonly ctx: IdentityContext;
  readonly policy: PolicyEngine;
  readonly resources: ResourceService;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly roles: RoleService;
  readonly assignments: AssignmentService;
  readonly regions: RegionService;
  readonly catalog: CatalogService;
  readonly revocations: RevocationService;
  readonly appCreds: AppCredentialService;
  readonly credentials: CredentialService;
  readonly policies: PolicyBlobService;
  readonly tokens: TokenService;
  readonly auth: AuthService;
  readonly endpointFilter: EndpointFilterService;
  readonly consumers: ConsumerService;
  readonly domainConfigs: DomainConfigService;
  readonly trusts: TrustService;
}

export function createIdentityServices(ctx: IdentityContext, keys: FernetKeyRepository): IdentityServices {
  const resources = new ResourceService(ctx);
  const users = new UserService(ctx, new PasswordPolicy(ctx));
  const groups = new GroupService(ctx);
  const roles = new RoleService(ctx);
  const assignments = new AssignmentService(ctx, roles, resources);
  const regions = new RegionService(ctx);
  const catalog = new CatalogService(ctx, regions);
  const revocations = new RevocationService(ctx);
  const appCreds = new AppCredentialService(ctx, { roles, assignments, resources });
  const credentials = new CredentialService(ctx, credentialKeyRepository(keys));
  const policies = new PolicyBlobService(ctx);
  const trusts = new TrustService(ctx, { users, roles, assignments, resources });
  const tokens = new TokenService(ctx, keys, { users, resources, assignments, catalog, revocations, appCreds, trusts });
  const endpointFilter = new EndpointFilterService(ctx, { catalog, resources });
  catalog.setEndpointFilter((projectId) => endpointFilter.visibleEndpoints(projectId));
  const consumers = new ConsumerService(ctx);
  const domainConfigs = new DomainConfigService(ctx, resources);
  const auth = new AuthService(ctx, { users, resources, assignments, tokens, appCreds, trusts });

  // Deletions ripple: grants on a removed target go, tokens of a removed or changed user stop working.
  resources.setCleanup({
    async targetDeleted(targetId, kind) {
      await assignments.targetDeleted(targetId);
      // A domain takes its users and groups with it, as in Keystone.
      if (kind === 'domain') {
        for (const u of await users.list({ domainId: targetId })) await users.delete(u.id);
        for (const g of await groups.list({ domainId: targetId })) await groups.delete(g.id);
      }
      if (kind === 'project') await credentials.projectDeleted(targetId);
      await revocations.revoke(kind === 'project' ? { projectId: targetId } : { domainId: targetId });
    },
  });
  users.setHooks({
    async userDeleted(userId) {
      await assignments.actorDeleted(userId);
      await appCreds.userDeleted(userId);
      await credentials.userDeleted(userId);
      await trusts.userDeleted(userId);
      await revocations.revoke({ userId });
    },
    revokeUserTokens: (userId) => revocations.revoke({ userId }),
  });
  groups.setHooks({
    groupDeleted: (groupId) => assignments.actorDeleted(groupId),
    membershipChanged: async () => undefined,
  });

  return {
    ctx,
    policy: ctx.policy,
    resources,
    users,
    groups,
    roles,
    assignments,
    regions,
    catalog,
    revocations,
    appCreds,
    credentials,
    policies,
    tokens,
    auth,
    endpointFilter,
    consumers,
    domainConfigs,
    trusts,
  };
}
