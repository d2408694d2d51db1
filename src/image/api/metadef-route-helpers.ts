import type { FastifyRequest } from 'fastify';
import { forbidden } from '../../lib/errors.js';
import { policyCredentials } from '../../lib/http/auth-context.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { namespaceNotFound } from '../domain/metadef-errors.js';
import type { MetadefNamespace } from '../domain/metadef-models.js';
import type { MetadefServices } from '../domain/metadef-services.js';
import { authOf, callerOf } from './route-helpers.js';

export interface MetadefRouteDeps {
  policy: PolicyEngine;
  metadefs: MetadefServices;
}

/** Policy target of a namespace and everything in it: its owner and visibility, as Glance passes them. */
const targetOf = (ns: MetadefNamespace): Record<string, unknown> => ({ project_id: ns.owner, visibility: ns.visibility });

/**
 * Enforces `action` on a namespace (or something in it). A caller who may
 * not even read the namespace is told it does not exist, as Glance does, so
 * a denial never confirms that a hidden namespace is there.
 */
export function authorize(policy: PolicyEngine, req: FastifyRequest, action: string, ns: MetadefNamespace): void {
  const creds = policyCredentials(authOf(req));
  const target = targetOf(ns);
  if (policy.check(action, target, creds)) return;
  if (action === 'get_metadef_namespace' || !policy.check('get_metadef_namespace', target, creds)) throw namespaceNotFound(ns.namespace);
  policy.enforce(action, target, creds);
}

/** The namespace named in the path, if the caller may see it and do `actions` on it. */
export async function namespaceFor(deps: MetadefRouteDeps, req: FastifyRequest, ...actions: string[]): Promise<MetadefNamespace> {
  const { namespace } = req.params as { namespace: string };
  const ns = await deps.metadefs.namespaces.get(callerOf(deps.policy, req), namespace);
  authorize(deps.policy, req, 'get_metadef_namespace', ns);
  for (const action of actions) authorize(deps.policy, req, action, ns);
  return ns;
}

/** Glance answers 403 when a body sets an attribute only the service sets. */
export function rejectReadOnly(body: object, keys: readonly string[]): void {
  for (const k of keys) if (k in body) throw forbidden(`Attribute '${k}' is read-only.`, 'read_only_attribute');
}

/** oslo's bool_from_string: true, 1, yes, on, y, t (any case) are true; anything else is false. */
export function headerFlag(value: string | string[] | undefined): boolean {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && ['true', '1', 'yes', 'on', 'y', 't'].includes(v.trim().toLowerCase());
}
