import type { FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';
import { policyCredentials } from '../../lib/http/auth-context.js';
import { authOf } from '../../lib/http/request-caller.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';

/** `http://host:5000/v3` as seen by the client, for links. */
export function v3Url(req: FastifyRequest): string {
  return `${requestBaseUrl(req)}/v3`;
}

/** The `links` object of one entity. */
export function selfLinks(req: FastifyRequest, path: string): { self: string } {
  return { self: `${v3Url(req)}/${path}` };
}

/** The `links` object of a collection (Keystone does not page by marker). */
export function collectionLinks(req: FastifyRequest): { self: string; previous: null; next: null } {
  return { self: `${requestBaseUrl(req)}${req.url}`, previous: null, next: null };
}

export { authOf };

/** Enforces an identity policy rule for the caller against `target`. */
export function enforce(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): void {
  policy.enforce(action, target, policyCredentials(authOf(req)));
}

/** Checks a rule without throwing, e.g. to filter a list per item. */
export function allowed(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): boolean {
  return policy.check(action, target, policyCredentials(authOf(req)));
}

/** Keystone accepts true/false, 1/0 and a bare flag for boolean query filters. */
export function queryBool(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === '' || s === 'true' || s === '1' || s === 'yes') return true;
  return !(s === 'false' || s === '0' || s === 'no');
}
