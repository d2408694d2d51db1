import type { FastifyInstance } from 'fastify';
import type { IdentityServices } from '../domain/identity-services.js';
import { registerAppCredentialRoutes } from './app-credential-routes.js';
import { registerAuthRoutes } from './auth-routes.js';
import { registerCatalogRoutes } from './catalog-routes.js';
import { registerCredentialRoutes } from './credential-routes.js';
import { registerDomainConfigRoutes } from './domain-config-routes.js';
import { registerDomainRoutes } from './domain-routes.js';
import { registerExtensionRoutes } from './extension-routes.js';
import { registerGrantRoutes } from './grant-routes.js';
import { registerGroupRoutes } from './group-routes.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { registerProjectRoutes } from './project-routes.js';
import { registerRegionRoutes } from './region-routes.js';
import { registerRoleAssignmentRoutes } from './role-assignment-routes.js';
import { registerRoleRoutes } from './role-routes.js';
import { registerTrustRoutes } from './trust-routes.js';
import { registerUserRoutes } from './user-routes.js';
import { registerVersionRoutes } from './version-routes.js';

/** Every identity route module, registered once. */
const MODULES: ((app: FastifyInstance, svc: IdentityServices) => void)[] = [
  registerAuthRoutes,
  registerDomainRoutes,
  registerProjectRoutes,
  registerUserRoutes,
  registerGroupRoutes,
  registerRoleRoutes,
  registerGrantRoutes,
  registerRoleAssignmentRoutes,
  registerRegionRoutes,
  registerCatalogRoutes,
  registerAppCredentialRoutes,
  registerCredentialRoutes,
  registerPolicyRoutes,
  registerDomainConfigRoutes,
  registerExtensionRoutes,
  registerTrustRoutes,
];

export function registerIdentityRoutes(app: FastifyInstance, svc: IdentityServices): void {
  registerVersionRoutes(app);
  for (const register of MODULES) register(app, svc);
}
