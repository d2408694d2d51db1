import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { ServiceState } from '../domain/host-service.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { BODY_BOOLEAN, UUID_RE, bodyBool, bodyValidator, novaTime, param, queryOf, versionNotFound } from './resource-route-helpers.js';
import { enforce } from './route-helpers.js';

function serviceView(req: FastifyRequest, s: ServiceState): Record<string, unknown> {
  const mv = req.microversion;
  const out: Record<string, unknown> = {
    id: mv.atLeast('2.53') ? s.row.uuid : s.row.id,
    binary: s.row.binary,
    disabled_reason: s.row.disabled_reason,
    host: s.row.host,
    state: s.up ? 'up' : 'down',
    status: s.row.disabled ? 'disabled' : 'enabled',
    updated_at: novaTime(s.row.updated_at ?? s.row.created_at),
    zone: s.zone,
  };
  if (mv.atLeast('2.11')) out.forced_down = s.row.forced_down === 1;
  return out;
}

const HOST_BINARY = { host: { type: 'string', minLength: 1, maxLength: 255 }, binary: { type: 'string', minLength: 1, maxLength: 255 } };
const legacySchema = (extra: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  properties: { ...HOST_BINARY, ...extra },
  required: ['host', 'binary', ...required],
  additionalProperties: false,
});
const updateSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['enabled', 'disabled'] },
    disabled_reason: { type: 'string', minLength: 1, maxLength: 255 },
    forced_down: BODY_BOOLEAN,
  },
  additionalProperties: false,
};

/** os-services (admin): heartbeating agents plus this process's conductor and scheduler; availability zones. */
export function registerServiceRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, hosts } = s;
  const validate = bodyValidator();

  app.get('/v2.1/os-services', async (req) => {
    enforce(policy, req, 'os_compute_api:os-services:list');
    const q = queryOf(req);
    const list = await hosts.services({ host: param(q, 'host'), binary: param(q, 'binary') });
    return { services: list.map((x) => serviceView(req, x)) };
  });

  app.put<{ Params: { id: string } }>('/v2.1/os-services/:id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-services:update');
    const mv = req.microversion;
    const id = req.params.id;
    if (mv.atLeast('2.53')) {
      if (!UUID_RE.test(id)) throw badRequest(`Invalid uuid ${id}`);
      const b = validate<{ status?: string; disabled_reason?: string; forced_down?: unknown }>('update', () => updateSchema, req.body);
      if (b.status === undefined && b.forced_down === undefined)
        throw badRequest("At least one of 'status' or 'forced_down' must be specified in the request body.");
      if (b.disabled_reason !== undefined && b.status !== 'disabled') {
        throw badRequest("Specifying 'disabled_reason' with status other than 'disabled' is invalid.");
      }
      const svc = await hosts.serviceById(id);
      if (svc.row.binary !== 'nova-compute') {
        throw badRequest(`Updating a ${svc.row.binary} service is not supported. Only nova-compute services can be updated.`);
      }
      const updated = await hosts.updateService(svc.row.id, {
        disabled: b.status === undefined ? undefined : b.status === 'disabled',
        disabledReason: b.disabled_reason ?? null,
        forcedDown: b.forced_down === undefined ? undefined : bodyBool(b.forced_down),
      });
      return { service: serviceView(req, updated) };
    }
    // Before 2.53 the "id" is an action name and the body names host and binary.
    switch (id) {
      case 'enable':
      case 'disable': {
        const b = validate<{ host: string; binary: string }>('legacy', () => legacySchema({}, []), req.body);
        const svc = await hosts.serviceByHostBinary(b.host, b.binary);
        await hosts.updateService(svc.row.id, { disabled: id === 'disable' });
        return { service: { host: b.host, binary: b.binary, status: id === 'disable' ? 'disabled' : 'enabled' } };
      }
      case 'disable-log-reason': {
        const b = validate<{ host: string; binary: string; disabled_reason: string }>(
          'reason',
          () => legacySchema({ disabled_reason: { type: 'string', minLength: 1, maxLength: 255 } }, ['disabled_reason']),
          req.body,
        );
        const svc = await hosts.serviceByHostBinary(b.host, b.binary);
        await hosts.updateService(svc.row.id, { disabled: true, disabledReason: b.disabled_reason });
        return { service: { host: b.host, binary: b.binary, status: 'disabled', disabled_reason: b.disabled_reason } };
      }
      case 'force-down': {
        if (!mv.atLeast('2.11')) throw versionNotFound();
        const b = validate<{ host: string; binary: string; forced_down: unknown }>(
          'force',
          () => legacySchema({ forced_down: BODY_BOOLEAN }, ['forced_down']),
          req.body,
        );
        const svc = await hosts.serviceByHostBinary(b.host, b.binary);
        await hosts.updateService(svc.row.id, { forcedDown: bodyBool(b.forced_down) });
        return { service: { host: b.host, binary: b.binary, forced_down: bodyBool(b.forced_down) } };
      }
      default:
        throw versionNotFound();
    }
  });

  app.delete<{ Params: { id: string } }>('/v2.1/os-services/:id', async (req, reply) => {
    enforce(policy, req, 'os_compute_api:os-services:delete');
    const id = req.params.id;
    if (req.microversion.atLeast('2.53')) {
      if (!UUID_RE.test(id)) throw badRequest(`Invalid uuid ${id}`);
      await hosts.deleteService(id);
    } else {
      if (!/^\d+$/.test(id)) throw badRequest(`Service id ${id} refers to multiple services or is not an integer.`);
      await hosts.deleteService(Number(id));
    }
    return reply.code(204).send();
  });

  // ---- availability zones
  const zones = async (detail: boolean) => {
    const services = await hosts.services();
    const byZone = new Map<string, ServiceState[]>();
    for (const x of services) {
      if (!detail && x.zone === 'internal') continue;
      byZone.set(x.zone, [...(byZone.get(x.zone) ?? []), x]);
    }
    return {
      availabilityZoneInfo: [...byZone.entries()].map(([zoneName, list]) => {
        const hostsOut: Record<string, Record<string, unknown>> = {};
        for (const x of list) {
          hostsOut[x.row.host] ??= {};
          hostsOut[x.row.host]![x.row.binary] = {
            available: x.up,
            active: x.row.disabled === 0,
            updated_at: novaTime(x.row.updated_at ?? x.row.created_at),
          };
        }
        return {
          zoneName,
          zoneState: { available: list.some((x) => x.up && x.row.disabled === 0) },
          hosts: detail ? hostsOut : null,
        };
      }),
    };
  };
  app.get('/v2.1/os-availability-zone', async (req) => {
    enforce(policy, req, 'os_compute_api:os-availability-zone:list');
    return zones(false);
  });
  app.get('/v2.1/os-availability-zone/detail', async (req) => {
    enforce(policy, req, 'os_compute_api:os-availability-zone:detail');
    return zones(true);
  });
}
