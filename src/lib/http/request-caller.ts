import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';
import type { PolicyEngine } from '../policy/policy-engine.js';
import { policyCredentials, type AuthContext } from './auth-context.js';

/** The caller's token context; routes are authenticated by default, so absence is a bug or a public route. */
export function authOf(req: FastifyRequest): AuthContext {
  if (!req.auth) throw unauthorized();
  return req.auth;
}

/** Who is asking, as a service's domain needs it. */
export interface RequestCaller {
  userId: string;
  projectId: string | null;
  /** Decided by the service policy's `context_is_admin` rule. */
  isAdmin: boolean;
  roles: string[];
}

export function requestCaller(policy: PolicyEngine, req: FastifyRequest): RequestCaller {
  const auth = authOf(req);
  return {
    userId: auth.userId,
    projectId: auth.projectId ?? null,
    isAdmin: policy.check('context_is_admin', {}, policyCredentials(auth)),
    roles: auth.roles.map((r) => r.name),
  };
}
