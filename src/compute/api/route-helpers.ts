import type { FastifyRequest } from 'fastify';
import { policyCredentials } from '../../lib/http/auth-context.js';
import { authOf, requestCaller } from '../../lib/http/request-caller.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ComputeCaller } from '../domain/caller.js';

export { authOf };

/** The caller, with the request id (instance actions) and the token (calls to the image service). */
export function callerOf(policy: PolicyEngine, req: FastifyRequest): ComputeCaller {
  return { ...requestCaller(policy, req), requestId: req.id, token: authOf(req).token };
}

/** Enforces a compute policy rule; a denial is Nova's 403 `forbidden`. */
export function enforce(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): void {
  policy.enforce(action, target, policyCredentials(authOf(req)));
}
