import { randomBytes, randomUUID } from 'node:crypto';

/** Keystone-style identifier: a UUID4 without dashes (32 hex characters). */
export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

/** A dashed UUID4, as Nova, Neutron, Glance and Cinder use. */
export function newUuid(): string {
  return randomUUID();
}

/** A request ID in OpenStack's `req-<uuid>` form. */
export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** A URL-safe random secret of `bytes` bytes of entropy. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
