import type { ServiceClient } from '../../lib/clients/service-client.js';
import { KumoError, badRequest, notFound } from '../../lib/errors.js';

/**
 * One call of Nova's network proxies to the network service, with the
 * user's own token (Neutron authorizes it as the user). Neutron's 404 and
 * 403 keep their status; its other refusals (400, and conflicts such as the
 * default group or a duplicate rule) are Nova's 400s.
 */
export async function callAsUser<T>(
  neutron: ServiceClient,
  token: string,
  method: string,
  path: string,
  body: unknown,
  notFoundCode: string,
): Promise<T> {
  const r = await neutron.request<T & { NeutronError?: { message?: string } }>(method, path, {
    headers: { 'x-auth-token': token },
    ...(body === undefined ? {} : { body }),
    expect: [200, 201, 204, 400, 403, 404, 409],
  });
  if (r.status < 300) return r.body;
  const message = r.body?.NeutronError?.message ?? `network service answered ${r.status}`;
  if (r.status === 404) throw notFound(message, notFoundCode);
  if (r.status === 403) throw new KumoError('forbidden', 403, message);
  throw badRequest(message);
}
