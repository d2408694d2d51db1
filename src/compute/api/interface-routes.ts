import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { AttachRequest } from '../domain/server-interfaces.js';
import type { ServerServices } from '../domain/server-services.js';
import type { InstanceRow } from '../store/server-tables.js';
import { callerOf, enforce } from './route-helpers.js';
import { ServerParam } from './server-route-context.js';

type ServerParams = { Params: { server_id: string } };
type PortParams = { Params: { server_id: string; port_id: string } };

/** Nova's attach schema: net_id or port_id (UUIDs), at most one fixed IP, a tag from 2.49. */
function attachBody(body: unknown): AttachRequest {
  const a = (body as { interfaceAttachment?: unknown } | null)?.interfaceAttachment;
  if (a === undefined) return {};
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw badRequest('Invalid input for field/attribute interfaceAttachment.');
  const o = a as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['net_id', 'port_id', 'fixed_ips', 'tag'].includes(k));
  if (extra.length > 0)
    throw badRequest(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} were unexpected)`);
  const uuid = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
  for (const k of ['net_id', 'port_id'] as const)
    if (o[k] !== undefined && (typeof o[k] !== 'string' || !uuid.test(o[k] as string)))
      throw badRequest(`Invalid input for field/attribute ${k}. Value: ${String(o[k])}. is not a 'uuid'`);
  if (o.fixed_ips !== undefined) {
    const ok =
      Array.isArray(o.fixed_ips) &&
      o.fixed_ips.every((f) => typeof f === 'object' && f !== null && typeof (f as { ip_address?: unknown }).ip_address === 'string');
    if (!ok) throw badRequest('Invalid input for field/attribute fixed_ips.');
  }
  return {
    ...(o.net_id ? { net_id: o.net_id as string } : {}),
    ...(o.port_id ? { port_id: o.port_id as string } : {}),
    ...(o.fixed_ips ? { fixed_ips: o.fixed_ips as { ip_address: string }[] } : {}),
  };
}

/** GET/POST /servers/{id}/os-interface, GET/DELETE /servers/{id}/os-interface/{port_id}. */
export function registerInterfaceRoutes(app: FastifyInstance, s: ServerServices): void {
  const { interfaces } = s;
  const load = async (req: FastifyRequest<{ Params: { server_id: string } }>, rule: string): Promise<InstanceRow> => {
    const row = await s.servers.getRow(callerOf(s.policy, req), req.params.server_id);
    enforce(s.policy, req, `os_compute_api:os-attach-interfaces:${rule}`, { project_id: row.project_id });
    return row;
  };
  const withTag = (req: FastifyRequest, v: Record<string, unknown>) => (req.microversion.atLeast('2.70') ? { ...v, tag: null } : v);
  app.get<ServerParams>('/v2.1/servers/:server_id/os-interface', { schema: { params: ServerParam } }, async (req) => ({
    interfaceAttachments: (await interfaces.list(await load(req, 'list'))).map((v) => withTag(req, v)),
  }));
  app.get<PortParams>('/v2.1/servers/:server_id/os-interface/:port_id', async (req) => ({
    interfaceAttachment: withTag(req, await interfaces.show(await load(req, 'show'), req.params.port_id)),
  }));
  app.post<ServerParams>('/v2.1/servers/:server_id/os-interface', { schema: { params: ServerParam } }, async (req) => {
    const row = await load(req, 'create');
    const body = attachBody(req.body);
    return { interfaceAttachment: withTag(req, await interfaces.attach(callerOf(s.policy, req), row, body)) };
  });
  app.delete<PortParams>('/v2.1/servers/:server_id/os-interface/:port_id', async (req, reply) => {
    const row = await load(req, 'delete');
    await interfaces.detach(callerOf(s.policy, req), row, req.params.port_id);
    return reply.code(202).send();
  });
}
