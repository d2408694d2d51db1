import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../../lib/errors.js';
import { policyCredentials, type AuthContext } from '../../lib/http/auth-context.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ComputeCaller } from '../domain/caller.js';

/** The caller's token context; routes are authenticated by default. */
export function authOf(req: FastifyRequest): AuthContext {
  if (!req.auth) throw unauthorized();
  return req.auth;
}

export function callerOf(policy: PolicyEngine, req: FastifyRequest): ComputeCaller {
  const auth = authOf(req);
  return {
    userId: auth.userId,
    projectId: auth.projectId ?? null,
    isAdmin: policy.check('context_is_admin', {}, policyCredentials(auth)),
    roles: auth.roles.map((r) => r.name),
    requestId: req.id,
    token: auth.token,
  };
}

/** Enforces a compute policy rule; a denial is Nova's 403 `forbidden`. */
export function enforce(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): void {
  policy.enforce(action, target, policyCredentials(authOf(req)));
}
