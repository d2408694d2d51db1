import { loadavg, uptime } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../lib/errors.js';
import type { HypervisorState } from '../domain/host-service.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { UUID_RE, baseUrl, boolParam, intParam, param, queryOf, versionNotFound } from './resource-route-helpers.js';
import { enforce } from './route-helpers.js';

type IdParams = { Params: { id: string } };

/** The host's uptime line as `uptime` prints it (the agent runs on this machine in the all-in-one layout). */
function uptimeLine(): string {
  const up = uptime();
  const days = Math.floor(up / 86400);
  const hh = Math.floor((up % 86400) / 3600);
  const mm = Math.floor((up % 3600) / 60);
  const now = new Date().toISOString().slice(11, 19);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  return ` ${now} up ${days} days, ${String(hh).padStart(2, ' ')}:${String(mm).padStart(2, '0')},  1 user,  load average: ${load}`;
}

/** os-hypervisors (admin): compute nodes from agent heartbeats, usage from live servers. */
export function registerHypervisorRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, hosts } = s;

  const view = (req: FastifyRequest, h: HypervisorState, detail: boolean, servers?: { uuid: string; name: string }[]) => {
    const mv = req.microversion;
    const uuids = mv.atLeast('2.53');
    const out: Record<string, unknown> = {
      id: uuids ? h.node.uuid : h.node.id,
      hypervisor_hostname: h.node.hypervisor_hostname,
      state: h.up ? 'up' : 'down',
      status: h.service.disabled ? 'disabled' : 'enabled',
    };
    if (detail) {
      out.hypervisor_type = h.node.hypervisor_type;
      out.hypervisor_version = h.node.hypervisor_version;
      out.host_ip = h.node.host_ip;
      out.service = { id: uuids ? h.service.uuid : h.service.id, host: h.node.host, disabled_reason: h.service.disabled_reason };
      if (!mv.atLeast('2.88')) {
        Object.assign(out, {
          vcpus: h.node.vcpus,
          memory_mb: h.node.memory_mb,
          local_gb: h.node.local_gb,
          vcpus_used: h.vcpusUsed,
          memory_mb_used: h.memoryMbUsed,
          local_gb_used: h.localGbUsed,
          free_ram_mb: h.node.memory_mb - h.memoryMbUsed,
          free_disk_gb: h.node.local_gb - h.localGbUsed,
          current_workload: 0,
          running_vms: h.runningVms,
          disk_available_least: h.node.local_gb - h.localGbUsed,
          cpu_info: mv.atLeast('2.28') ? (JSON.parse(h.node.cpu_info) as object) : h.node.cpu_info,
        });
      } else {
        out.uptime = h.up ? uptimeLine() : null;
      }
    }
    if (servers && (servers.length > 0 || mv.atLeast('2.75'))) out.servers = servers;
    return out;
  };

  const list = (detail: boolean) => async (req: FastifyRequest) => {
    enforce(policy, req, `os_compute_api:os-hypervisors:${detail ? 'list-detail' : 'list'}`);
    const mv = req.microversion;
    const q = queryOf(req);
    let all = await hosts.hypervisors();
    let withServers = false;
    if (mv.atLeast('2.53')) {
      withServers = boolParam(q, 'with_servers') ?? false;
      const pattern = param(q, 'hypervisor_hostname_pattern');
      if (pattern !== undefined) {
        if (param(q, 'limit') !== undefined || param(q, 'marker') !== undefined) {
          throw badRequest('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
        }
        all = all.filter((h) => h.node.hypervisor_hostname.includes(pattern));
        if (all.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`, 'hypervisor_not_found');
      }
    }
    let limit: number | undefined;
    if (mv.atLeast('2.33')) {
      limit = intParam(q, 'limit', 0);
      const marker = param(q, 'marker');
      if (marker !== undefined) {
        const at = all.findIndex((h) => String(mv.atLeast('2.53') ? h.node.uuid : h.node.id) === marker);
        if (at < 0) throw badRequest(`marker [${marker}] not found`);
        all = all.slice(at + 1);
      }
      if (limit !== undefined) all = all.slice(0, limit);
    }
    const items = await Promise.all(
      all.map(async (h) => view(req, h, detail, withServers ? await hosts.serversOn(h.node.hypervisor_hostname) : undefined)),
    );
    const body: Record<string, unknown> = { hypervisors: items };
    if (limit !== undefined && all.length > 0 && all.length === limit) {
      const last = all[all.length - 1]!;
      const marker = String(mv.atLeast('2.53') ? last.node.uuid : last.node.id);
      body.hypervisors_links = [
        {
          rel: 'next',
          href: `${baseUrl(req)}/v2.1/os-hypervisors${detail ? '/detail' : ''}?limit=${limit}&marker=${encodeURIComponent(marker)}`,
        },
      ];
    }
    return body;
  };
  app.get('/v2.1/os-hypervisors', list(false));
  app.get('/v2.1/os-hypervisors/detail', list(true));

  app.get('/v2.1/os-hypervisors/statistics', async (req) => {
    if (req.microversion.atLeast('2.88')) throw versionNotFound();
    enforce(policy, req, 'os_compute_api:os-hypervisors:statistics');
    const all = await hosts.hypervisors();
    const sum = (f: (h: HypervisorState) => number) => all.reduce((a, h) => a + f(h), 0);
    return {
      hypervisor_statistics: {
        count: all.length,
        vcpus: sum((h) => h.node.vcpus),
        memory_mb: sum((h) => h.node.memory_mb),
        local_gb: sum((h) => h.node.local_gb),
        vcpus_used: sum((h) => h.vcpusUsed),
        memory_mb_used: sum((h) => h.memoryMbUsed),
        local_gb_used: sum((h) => h.localGbUsed),
        free_ram_mb: sum((h) => h.node.memory_mb - h.memoryMbUsed),
        free_disk_gb: sum((h) => h.node.local_gb - h.localGbUsed),
        current_workload: 0,
        running_vms: sum((h) => h.runningVms),
        disk_available_least: sum((h) => h.node.local_gb - h.localGbUsed),
      },
    };
  });

  const byId = async (req: FastifyRequest, id: string): Promise<HypervisorState> => {
    const uuids = req.microversion.atLeast('2.53');
    if (uuids ? !UUID_RE.test(id) : !/^\d+$/.test(id)) {
      throw badRequest(uuids ? `Invalid uuid ${id}` : `Hypervisor ID ${id} is not an integer.`);
    }
    const h = (await hosts.hypervisors()).find((x) => String(uuids ? x.node.uuid : x.node.id) === id);
    if (!h) throw notFound(`Hypervisor with ID '${id}' could not be found.`, 'hypervisor_not_found');
    return h;
  };

  app.get<IdParams>('/v2.1/os-hypervisors/:id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-hypervisors:show');
    const h = await byId(req, req.params.id);
    const withServers = req.microversion.atLeast('2.53') && (boolParam(queryOf(req), 'with_servers') ?? false);
    return { hypervisor: view(req, h, true, withServers ? await hosts.serversOn(h.node.hypervisor_hostname) : undefined) };
  });

  app.get<IdParams>('/v2.1/os-hypervisors/:id/uptime', async (req) => {
    if (req.microversion.atLeast('2.88')) throw versionNotFound();
    enforce(policy, req, 'os_compute_api:os-hypervisors:uptime');
    const h = await byId(req, req.params.id);
    return { hypervisor: { ...view(req, h, false), uptime: uptimeLine() } };
  });

  // Before 2.53: search by hostname substring, and list servers per matching hypervisor.
  const matching = async (req: FastifyRequest, pattern: string, action: string) => {
    if (req.microversion.atLeast('2.53')) throw versionNotFound();
    enforce(policy, req, `os_compute_api:os-hypervisors:${action}`);
    const found = (await hosts.hypervisors()).filter((h) => h.node.hypervisor_hostname.includes(pattern));
    if (found.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`, 'hypervisor_not_found');
    return found;
  };
  app.get<IdParams>('/v2.1/os-hypervisors/:id/search', async (req) => {
    const found = await matching(req, req.params.id, 'search');
    return { hypervisors: found.map((h) => view(req, h, false)) };
  });
  app.get<IdParams>('/v2.1/os-hypervisors/:id/servers', async (req) => {
    const found = await matching(req, req.params.id, 'servers');
    return {
      hypervisors: await Promise.all(found.map(async (h) => view(req, h, false, await hosts.serversOn(h.node.hypervisor_hostname)))),
    };
  });
}
