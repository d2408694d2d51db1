import { KumoError, badRequest } from '../../lib/errors.js';
import type { ImageChange } from '../domain/image-service.js';

/** The two media types Glance accepts for image updates. */
export const PATCH_TYPES = ['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch'] as const;

const OPS = ['add', 'replace', 'remove'] as const;

/** Unescapes one JSON-pointer segment (`~1` is '/', `~0` is '~'). */
function unescape(p: string, path: string): string {
  if (p === '' || /~[^01]|~$/.test(p)) throw badRequest(`Invalid JSON pointer for this resource: '${path}'`, 'invalid_pointer');
  return p.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The attribute a path names; only `/locations/<n>` and `/locations/-` have a second segment (a position). */
function pointer(path: unknown): Pick<ImageChange, 'attr' | 'index'> {
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw badRequest(`Invalid JSON pointer for this resource: '${String(path)}'`, 'invalid_pointer');
  const parts = path.slice(1).split('/');
  const attr = unescape(parts[0] as string, path);
  if (parts.length === 1) return { attr };
  if (parts.length === 2 && attr === 'locations' && /^(\d+|-)$/.test(parts[1] as string)) return { attr, index: parts[1] as string };
  throw badRequest(`Invalid JSON pointer for this resource: '${path}'`, 'invalid_pointer');
}

/**
 * Parses a JSON-patch body into changes: v2.1 (`{"op": "replace", "path":
 * "/name", "value": ...}`) or v2.0 (`{"replace": "/name", "value": ...}`).
 */
export function parseImagePatch(contentType: string | undefined, body: unknown): ImageChange[] {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (!(PATCH_TYPES as readonly string[]).includes(type ?? '')) {
    throw new KumoError('unsupported_media_type', 415, `Unsupported Content-Type: use ${PATCH_TYPES[0]}`);
  }
  const v20 = type === PATCH_TYPES[1];
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.', 'invalid_patch');
  return body.map((raw: unknown): ImageChange => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw badRequest('Operations must be JSON objects.', 'invalid_patch');
    const o = raw as Record<string, unknown>;
    let op: string;
    let path: unknown;
    if (v20) {
      const named = OPS.filter((k) => k in o);
      if (named.length !== 1)
        throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".', 'invalid_patch');
      op = named[0] as string;
      path = o[op];
    } else {
      if (typeof o.op !== 'string' || !(OPS as readonly string[]).includes(o.op)) {
        throw badRequest(`Invalid operation: '${String(o.op)}'. Operations must be one of add, remove, replace.`, 'invalid_patch');
      }
      op = o.op;
      path = o.path;
    }
    const allowed = new Set(v20 ? [op, 'value'] : ['op', 'path', 'value']);
    for (const k of Object.keys(o)) if (!allowed.has(k)) throw badRequest(`Operation objects must not contain '${k}'.`, 'invalid_patch');
    const change: ImageChange = { op: op as ImageChange['op'], ...pointer(path) };
    if (op === 'remove') {
      if ('value' in o) throw badRequest('Operation "remove" must not carry a value.', 'invalid_patch');
    } else {
      if (!('value' in o)) throw badRequest(`Operation "${op}" requires a member named "value".`, 'invalid_patch');
      change.value = o.value;
    }
    return change;
  });
}
