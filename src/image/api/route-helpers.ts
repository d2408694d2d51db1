import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../../lib/errors.js';
import { policyCredentials } from '../../lib/http/auth-context.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { Caller } from '../domain/models.js';

/** The caller's token context; routes are authenticated by default. */
export function authOf(req: FastifyRequest): NonNullable<FastifyRequest['auth']> {
  if (!req.auth) throw unauthorized();
  return req.auth;
}

/** Who is asking, as the image domain needs it; admin is decided by the policy's `context_is_admin`. */
export function callerOf(policy: PolicyEngine, req: FastifyRequest): Caller {
  const auth = authOf(req);
  return {
    userId: auth.userId,
    projectId: auth.projectId ?? null,
    isAdmin: policy.check('context_is_admin', {}, policyCredentials(auth)),
    roles: auth.roles.map((r) => r.name),
  };
}

/** Enforces an image policy rule; a denial is Glance's 403. */
export function enforce(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): void {
  policy.enforce(action, target, policyCredentials(authOf(req)));
}
