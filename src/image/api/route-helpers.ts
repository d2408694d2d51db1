import type { FastifyRequest } from 'fastify';
import { policyCredentials } from '../../lib/http/auth-context.js';
import { authOf, requestCaller } from '../../lib/http/request-caller.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { Caller } from '../domain/models.js';

export { authOf };

/** Who is asking, as the image domain needs it. */
export function callerOf(policy: PolicyEngine, req: FastifyRequest): Caller {
  return requestCaller(policy, req);
}

/** Enforces an image policy rule; a denial is Glance's 403. */
export function enforce(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): void {
  policy.enforce(action, target, policyCredentials(authOf(req)));
}
