import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { Microversion } from '../../lib/http/microversion.js';
import { INJECTION_QUOTAS, NETWORK_QUOTAS, QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '../domain/quota-service.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { BODY_BOOLEAN, allowed, bodyBool, bodyValidator, param, queryOf } from './resource-route-helpers.js';
import { callerOf, enforce } from './route-helpers.js';

type ProjectParams = { Params: { project_id: string } };

/** Quota resources a microversion shows: network ones go at 2.36, file injection at 2.57. */
export function visibleQuotas(mv: Microversion): QuotaResource[] {
  return QUOTA_RESOURCES.filter(
    (r) => !(mv.atLeast('2.36') && NETWORK_QUOTAS.includes(r)) && !(mv.atLeast('2.57') && INJECTION_QUOTAS.includes(r)),
  );
}

/** Quota class sets: network ones go at 2.50 (when server group quotas appear), file injection at 2.57. */
function classQuotas(mv: Microversion): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => {
    if (mv.atLeast('2.50')) return !NETWORK_QUOTAS.includes(r) && !(mv.atLeast('2.57') && INJECTION_QUOTAS.includes(r));
    return r !== 'server_groups' && r !== 'server_group_members';
  });
}

function pick(limits: QuotaLimits, resources: QuotaResource[]): Record<string, number> {
  return Object.fromEntries(resources.map((r) => [r, limits[r]]));
}

function updateSchema(resources: QuotaResource[], wrapper: string, withForce: boolean): object {
  const value = { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1, maximum: 2147483647 };
  return {
    type: 'object',
    properties: {
      [wrapper]: {
        type: 'object',
        properties: {
          ...Object.fromEntries(resources.map((r) => [r, value])),
          ...(withForce ? { force: BODY_BOOLEAN } : {}),
        },
        additionalProperties: false,
      },
    },
    required: [wrapper],
    additionalProperties: false,
  };
}

function toLimits(body: Record<string, unknown>, resources: QuotaResource[]): Partial<QuotaLimits> {
  const out: Partial<QuotaLimits> = {};
  for (const r of resources) {
    const v = body[r];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < -1)
      throw badRequest(`Invalid input for field/attribute ${r}. Value: ${String(v)}. ${String(v)} is less than the minimum of -1`);
    out[r] = n;
  }
  return out;
}

/** os-quota-sets, os-quota-class-sets and /limits. */
export function registerQuotaRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, quotas } = s;
  const validate = bodyValidator();

  const userOf = (req: FastifyRequest): string | undefined => param(queryOf(req), 'user_id') || undefined;

  app.get<ProjectParams>('/v2.1/os-quota-sets/:project_id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-quota-sets:show', { project_id: req.params.project_id });
    const limits = await quotas.limits(req.params.project_id, userOf(req));
    return { quota_set: { id: req.params.project_id, ...pick(limits, visibleQuotas(req.microversion)) } };
  });

  app.get<ProjectParams>('/v2.1/os-quota-sets/:project_id/detail', async (req) => {
    enforce(policy, req, 'os_compute_api:os-quota-sets:detail', { project_id: req.params.project_id });
    const detail = await quotas.detail(req.params.project_id, userOf(req));
    return {
      quota_set: { id: req.params.project_id, ...Object.fromEntries(visibleQuotas(req.microversion).map((r) => [r, detail[r]])) },
    };
  });

  app.get<ProjectParams>('/v2.1/os-quota-sets/:project_id/defaults', async (req) => {
    enforce(policy, req, 'os_compute_api:os-quota-sets:defaults', { project_id: req.params.project_id });
    return { quota_set: { id: req.params.project_id, ...pick(await quotas.defaults(), visibleQuotas(req.microversion)) } };
  });

  app.put<ProjectParams>('/v2.1/os-quota-sets/:project_id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-quota-sets:update', { project_id: req.params.project_id });
    const resources = visibleQuotas(req.microversion);
    const { quota_set: b } = validate<{ quota_set: Record<string, unknown> }>(
      `quota${resources.length}`,
      () => updateSchema(resources, 'quota_set', true),
      req.body,
    );
    const limits = await quotas.update(
      req.params.project_id,
      userOf(req),
      toLimits(b, resources),
      b.force !== undefined && bodyBool(b.force),
    );
    return { quota_set: pick(limits, resources) };
  });

  app.delete<ProjectParams>('/v2.1/os-quota-sets/:project_id', async (req, reply) => {
    enforce(policy, req, 'os_compute_api:os-quota-sets:delete', { project_id: req.params.project_id });
    await quotas.reset(req.params.project_id, userOf(req));
    return reply.code(202).send();
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-quota-class-sets/:id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-quota-class-sets:show', { quota_class: req.params.id });
    return { quota_class_set: { id: req.params.id, ...pick(await quotas.defaults(), classQuotas(req.microversion)) } };
  });

  app.put<{ Params: { id: string } }>('/v2.1/os-quota-class-sets/:id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-quota-class-sets:update', { quota_class: req.params.id });
    const resources = classQuotas(req.microversion);
    const { quota_class_set: b } = validate<{ quota_class_set: Record<string, unknown> }>(
      `class${resources.join(',')}`,
      () => updateSchema(resources, 'quota_class_set', false),
      req.body,
    );
    // Kumo keeps one quota class, `default`, as Nova does in practice.
    const limits = await quotas.setDefaults(toLimits(b, resources));
    return { quota_class_set: pick(limits, resources) };
  });

  app.get('/v2.1/limits', async (req) => {
    enforce(policy, req, 'os_compute_api:limits');
    const caller = callerOf(policy, req);
    const asked = param(queryOf(req), 'tenant_id');
    // Nova ignores tenant_id for callers who may not look at other projects.
    const projectId = asked && allowed(policy, req, 'os_compute_api:limits:other_project') ? asked : (caller.projectId ?? '');
    const [l, used] = await Promise.all([quotas.limits(projectId), quotas.usage(projectId)]);
    const mv = req.microversion;
    const absolute: Record<string, number> = {
      maxServerMeta: l.metadata_items,
      maxTotalInstances: l.instances,
      maxTotalCores: l.cores,
      maxTotalRAMSize: l.ram,
      maxTotalKeypairs: l.key_pairs,
      maxServerGroups: l.server_groups,
      maxServerGroupMembers: l.server_group_members,
      totalInstancesUsed: used.instances ?? 0,
      totalCoresUsed: used.cores ?? 0,
      totalRAMUsed: used.ram ?? 0,
      totalServerGroupsUsed: used.server_groups ?? 0,
    };
    if (!mv.atLeast('2.36')) {
      Object.assign(absolute, {
        maxSecurityGroups: l.security_groups,
        maxSecurityGroupRules: l.security_group_rules,
        maxTotalFloatingIps: l.floating_ips,
        totalFloatingIpsUsed: 0,
        totalSecurityGroupsUsed: 0,
      });
    }
    if (!mv.atLeast('2.39')) absolute.maxImageMeta = l.metadata_items;
    if (!mv.atLeast('2.57')) {
      absolute.maxPersonality = l.injected_files;
      absolute.maxPersonalitySize = l.injected_file_content_bytes;
    }
    return { limits: { absolute, rate: [] } };
  });
}
