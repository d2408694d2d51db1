import type { FastifyRequest } from 'fastify';
import { requestCaller } from '../../lib/http/request-caller.js';
import type { ValidateFunction } from 'ajv';
import { compileBodySchema, describeValidationError } from '../../lib/http/validation.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { NetworkCaller } from '../domain/caller.js';
import { badRequestOf } from '../domain/errors.js';

export function callerOf(policy: PolicyEngine, req: FastifyRequest): NetworkCaller {
  const c = requestCaller(policy, req);
  return { userId: c.userId, projectId: c.projectId, isAdmin: c.isAdmin };
}

export type IdParams = { Params: { id: string } };

/** JSON-schema property types Neutron's attributes take. */
export const T = {
  str: { type: 'string', maxLength: 255 },
  text: { type: 'string', maxLength: 1024 },
  bool: { type: 'boolean' },
  uuid: { type: 'string', pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' },
  nullableUuid: { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^[0-9a-fA-F-]{32,36}$' }] },
  strList: { type: 'array', items: { type: 'string', maxLength: 255 } },
  int: { type: 'integer' },
  nullableInt: { type: ['integer', 'null'] },
  nullableStr: { type: ['string', 'null'], maxLength: 255 },
  obj: { type: 'object' },
} as const;

/**
 * Validates `{<resource>: {...}}` (or the bulk `{<collection>: [...]}` when
 * allowed) and returns the attribute objects. Unknown attributes and wrong
 * types are Neutron's 400s.
 */
export function bodyParser(
  resource: string,
  collection: string | null,
  properties: Record<string, unknown>,
): (body: unknown) => Record<string, unknown>[] {
  const itemSchema = { type: 'object', properties, additionalProperties: true };
  const validate: ValidateFunction = compileBodySchema(itemSchema);
  const known = new Set(Object.keys(properties));
  const check = (item: unknown): Record<string, unknown> => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw badRequestOf(`Resource body required`);
    const unknown = Object.keys(item).filter((k) => !known.has(k));
    if (unknown.length > 0) throw badRequestOf(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    if (!validate(item))
      throw badRequestOf(
        `Invalid input for operation: ${describeValidationError(validate.errors ?? [], resource).replace(/^Invalid input for field /, 'field ')}`,
      );
    return item as Record<string, unknown>;
  };
  return (body: unknown) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequestOf('Resource body required');
    const b = body as Record<string, unknown>;
    if (collection && Array.isArray(b[collection])) {
      const list = b[collection] as unknown[];
      if (list.length === 0) throw badRequestOf(`Resources required`);
      return list.map(check);
    }
    if (!(resource in b)) throw badRequestOf(`Unable to find '${resource}' in request body`);
    return [check(b[resource])];
  };
}
