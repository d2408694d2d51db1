import type { FastifyRequest } from 'fastify';
import { badRequest, KumoError } from '../../lib/errors.js';
import { requestBaseUrl } from '../../lib/http/app.js';
import { policyCredentials } from '../../lib/http/auth-context.js';
import { compileBodySchema, assertValid } from '../../lib/http/validation.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { authOf } from './route-helpers.js';

/** Whether a policy rule allows the caller (for optional fields and filters rather than 403s). */
export function allowed(policy: PolicyEngine, req: FastifyRequest, action: string, target: Record<string, unknown> = {}): boolean {
  return policy.check(action, target, policyCredentials(authOf(req)));
}

/** Query parameters as fastify hands them over: a repeated parameter is an array; Nova uses the last value. */
export type Query = Record<string, string | string[] | undefined>;

export function queryOf(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query;
}

export function param(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A non-negative (or >= `min`) integer query parameter; Nova's 400 wording otherwise. */
export function intParam(q: Query, name: string, min = 0): number | undefined {
  const v = param(q, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw badRequest(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' is not a valid integer >= ${min}`);
  }
  return Number(v);
}

const TRUE = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** oslo's strict bool_from_string. */
export function boolParam(q: Query, name: string): boolean | undefined {
  const v = param(q, name);
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw badRequest(`Invalid input for query parameters ${name}. Value: ${v}. Unrecognized value '${v}'`);
}

/** Nova's `parameter_types.boolean` accepts these spellings in bodies. */
export const BODY_BOOLEAN = {
  enum: [
    true,
    false,
    'True',
    'TRUE',
    'true',
    '1',
    'ON',
    'On',
    'on',
    'YES',
    'Yes',
    'yes',
    'False',
    'FALSE',
    'false',
    '0',
    'OFF',
    'Off',
    'off',
    'NO',
    'No',
    'no',
    1,
    0,
  ],
};
export function bodyBool(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && TRUE.has(v.toLowerCase()));
}

/** Nova's `parameter_types.name`: 1-255 printable characters, no leading or trailing whitespace. */
export const NAME = { type: 'string', minLength: 1, maxLength: 255, pattern: '^(?!\\s)[^\\x00-\\x1f\\x7f]*(?<!\\s)$' };

/** Compiles a body schema once per key (schemas differ by microversion). */
export function bodyValidator(): <T>(key: string, schema: () => object, body: unknown) => T {
  const cache = new Map<string, ReturnType<typeof compileBodySchema>>();
  return <T>(key: string, schema: () => object, body: unknown): T => {
    let v = cache.get(key);
    if (!v) {
      v = compileBodySchema(schema());
      cache.set(key, v);
    }
    if (body === undefined || body === null || typeof body !== 'object')
      throw badRequest('The request body is missing or is not a JSON object.');
    return assertValid<T>(v, body);
  };
}

/** The externally visible compute base ("http://host:8774"). */
export function baseUrl(req: FastifyRequest): string {
  return requestBaseUrl(req);
}

/** Nova's self/bookmark links for a resource collection member. */
export function links(req: FastifyRequest, collection: string, id: string): { rel: string; href: string }[] {
  const base = baseUrl(req);
  return [
    { rel: 'self', href: `${base}/v2.1/${collection}/${encodeURIComponent(id)}` },
    { rel: 'bookmark', href: `${base}/${collection}/${encodeURIComponent(id)}` },
  ];
}

/** A route that does not exist at this microversion: Nova answers 404. */
export function versionNotFound(): KumoError {
  return new KumoError('not_found', 404, 'The resource could not be found.');
}

/** Nova's naive timestamp "2012-10-29T13:42:02.000000" (no zone). */
export function novaTime(iso: string | null): string | null {
  if (!iso) return null;
  return iso.replace(/\.(\d{3})Z$/, '.$1000').replace(/Z$/, '.000000');
}

export const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
