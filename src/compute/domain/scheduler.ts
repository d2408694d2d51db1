import { ConcurrencyLimit } from '../../lib/concurrency-limit.js';
import type { ComputeHost, ResourceServices } from './resource-services.js';

/** The part of a placement client the scheduler uses (ServiceClient fits). */
export interface PlacementApi {
  request<T = unknown>(method: string, path: string, opts?: { body?: unknown; expect?: number[] }): Promise<{ status: number; body: T }>;
}

/** What one server asks of the scheduler (Nova's RequestSpec, reduced). */
export interface RequestSpec {
  uuid: string;
  projectId: string;
  userId: string;
  resources: Record<string, number>;
  /** Requested availability zone; null = any. */
  availabilityZone: string | null;
  /** Only this host may be chosen (admin forced host). */
  forcedHost?: string | null;
  /** Hosts that failed this server already (reschedules). */
  excludedHosts: string[];
  /** Image properties (hw_architecture, ...). */
  imageProperties: Record<string, string>;
}

export interface Selection {
  host: string;
  node: string;
  providerUuid: string;
  resources: Record<string, number>;
}

type Allocations = Record<string, { resources: Record<string, number> }>;
interface CandidatesReply {
  allocation_requests: { allocations: Allocations }[];
  provider_summaries: Record<string, { resources: Record<string, { capacity: number; used: number }> }>;
}

/** Flavor resources as placement counts them (Nova's resources_from_flavor). */
export function flavorResources(f: {
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
}): Record<string, number> {
  const disk = f.rootGb + f.ephemeralGb + Math.ceil(f.swapMb / 1024);
  const r: Record<string, number> = { VCPU: f.vcpus, MEMORY_MB: f.memoryMb };
  if (disk > 0) r.DISK_GB = disk;
  return r;
}

/** The hosts other servers of a server group run on (for affinity filters). */
export type GroupHostsLookup = (memberUuids: string[]) => Promise<string[]>;

/**
 * Filter scheduler over placement: allocation candidates → host filters
 * (enabled, up, zone, server group policies, retries) → weighing (free RAM,
 * then free VCPU) → claim (PUT /allocations; a 409 means someone else took
 * the room, so the next candidate is tried).
 */
export class Scheduler {
  constructor(
    private readonly placement: PlacementApi,
    private readonly resources: ResourceServices,
    private readonly groupHosts: GroupHostsLookup,
  ) {}

  /** Decisions in one process are made one at a time, so each sees the claims before it (spreading works). */
  readonly #decisions = new ConcurrencyLimit(1);

  /** Picks a host and claims the resources there; undefined when no host fits. */
  selectAndClaim(spec: RequestSpec): Promise<Selection | undefined> {
    return this.#decisions.run(() => this.#selectAndClaim(spec));
  }

  async #selectAndClaim(spec: RequestSpec): Promise<Selection | undefined> {
    const query = Object.entries(spec.resources)
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
    const { body } = await this.placement.request<CandidatesReply>('GET', `/allocation_candidates?resources=${query}&limit=1000`);
    const hosts = await this.resources.hosts.computeHosts();
    const byProvider = new Map(hosts.map((h) => [h.providerUuid, h]));
    const allowed = await this.#hostFilter(spec);

    const options: { sel: Selection; allocations: Allocations; freeRam: number; freeCpu: number }[] = [];
    for (const req of body.allocation_requests ?? []) {
      const rps = Object.keys(req.allocations);
      // Kumo hosts are single-provider trees: every resource comes from the compute node.
      if (rps.length !== 1) continue;
      const host = byProvider.get(rps[0]!);
      if (!host || !allowed(host)) continue;
      const summary = body.provider_summaries?.[rps[0]!]?.resources ?? {};
      const free = (rc: string) => (summary[rc] ? summary[rc].capacity - summary[rc].used : 0);
      options.push({
        sel: { host: host.host, node: host.node, providerUuid: host.providerUuid, resources: req.allocations[rps[0]!]!.resources },
        allocations: req.allocations,
        freeRam: free('MEMORY_MB'),
        freeCpu: free('VCPU'),
      });
    }
    options.sort((a, b) => b.freeRam - a.freeRam || b.freeCpu - a.freeCpu || a.sel.host.localeCompare(b.sel.host));
    for (const o of options) {
      const r = await this.placement.request('PUT', `/allocations/${spec.uuid}`, {
        body: { allocations: o.allocations, project_id: spec.projectId, user_id: spec.userId, consumer_generation: null },
        expect: [204, 409],
      });
      if (r.status === 204) return o.sel;
    }
    return undefined;
  }

  /**
   * Re-claims a server's allocation on the provider it already uses with
   * different amounts (same-host resize and its revert); false when the
   * provider has no room (placement's 409).
   */
  async reclaimInPlace(uuid: string, resources: Record<string, number>, projectId: string, userId: string): Promise<boolean> {
    const { body } = await this.placement.request<{ allocations: Allocations; consumer_generation?: number | null }>(
      'GET',
      `/allocations/${uuid}`,
    );
    const rps = Object.keys(body.allocations ?? {});
    if (rps.length !== 1) return false;
    const r = await this.placement.request('PUT', `/allocations/${uuid}`, {
      body: {
        allocations: { [rps[0]!]: { resources } },
        project_id: projectId,
        user_id: userId,
        consumer_generation: body.consumer_generation ?? null,
      },
      expect: [204, 409],
    });
    return r.status === 204;
  }

  /** Frees a server's claim (idempotent: placement answers 404 when there is none). */
  async release(uuid: string): Promise<void> {
    await this.placement.request('DELETE', `/allocations/${uuid}`, { expect: [204, 404] });
  }

  async #hostFilter(spec: RequestSpec): Promise<(h: ComputeHost) => boolean> {
    const group = await this.resources.serverGroups.groupOf(spec.uuid);
    let groupHosts = new Set<string>();
    const perHost = new Map<string, number>();
    if (group) {
      const others = group.members.filter((m) => m !== spec.uuid);
      const used = await this.groupHosts(others);
      groupHosts = new Set(used);
      for (const h of used) perHost.set(h, (perHost.get(h) ?? 0) + 1);
    }
    const arch = spec.imageProperties.hw_architecture ?? spec.imageProperties.architecture;
    return (h) => {
      if (!h.enabled || !h.up) return false;
      if (spec.excludedHosts.includes(h.host)) return false;
      if (spec.forcedHost && h.host !== spec.forcedHost) return false;
      if (spec.availabilityZone && h.availabilityZone !== spec.availabilityZone) return false;
      // Kumo agents run x86_64 guests (QEMU TCG/KVM on the host's architecture).
      if (arch && !['x86_64', 'i686', 'x86'].includes(arch)) return false;
      if (group?.policy === 'affinity' && groupHosts.size > 0 && !groupHosts.has(h.host)) return false;
      if (group?.policy === 'anti-affinity') {
        const max = group.rules.max_server_per_host ?? 1;
        if ((perHost.get(h.host) ?? 0) >= max) return false;
      }
      return true;
    };
  }
}
