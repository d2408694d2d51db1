import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import { parseTime } from '../../lib/time.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import type { TenantUsage } from '../domain/usage-service.js';
import { boolParam, novaTime, param, queryOf } from './resource-route-helpers.js';
import { enforce } from './route-helpers.js';

function period(req: FastifyRequest): { start: Date; end: Date } {
  const q = queryOf(req);
  const parse = (name: string, fallback: Date): Date => {
    const v = param(q, name);
    if (v === undefined) return fallback;
    const d = parseTime(v.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`) ?? parseTime(v);
    if (!d) throw badRequest(`Invalid input for query parameters ${name}. Value: ${v}. Invalid timestamp`);
    return d;
  };
  const end = parse('end', new Date());
  const start = parse('start', end);
  if (start > end) throw badRequest('Invalid start time. The start time cannot occur after the end time.');
  return { start, end };
}

function view(t: TenantUsage, detailed: boolean): Record<string, unknown> {
  const { server_usages, ...rest } = t;
  const out: Record<string, unknown> = { ...rest, start: novaTime(t.start), stop: novaTime(t.stop) };
  if (detailed) {
    out.server_usages = server_usages.map((u) => ({ ...u, started_at: novaTime(u.started_at), ended_at: novaTime(u.ended_at) }));
  }
  return out;
}

/** os-simple-tenant-usage: server-hours per project. */
export function registerUsageRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, usage } = s;
  app.get('/v2.1/os-simple-tenant-usage', async (req) => {
    enforce(policy, req, 'os_compute_api:os-simple-tenant-usage:list');
    const { start, end } = period(req);
    const detailed = boolParam(queryOf(req), 'detailed') ?? false;
    return { tenant_usages: (await usage.usage(start, end)).map((t) => view(t, detailed)) };
  });
  app.get<{ Params: { tenant_id: string } }>('/v2.1/os-simple-tenant-usage/:tenant_id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-simple-tenant-usage:show', { project_id: req.params.tenant_id });
    const { start, end } = period(req);
    const [t] = await usage.usage(start, end, req.params.tenant_id);
    // Nova answers an empty object for a project without servers in the period.
    return { tenant_usage: t ? view(t, true) : {} };
  });
}
