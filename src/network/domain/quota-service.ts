import type { ResourceKind } from '../store/resource-store.js';
import { overQuota } from './errors.js';
import type { NetworkContext } from './network-context.js';

/** Quota names Neutron reports, with the kind each counts. */
export const QUOTA_KINDS: Record<string, ResourceKind> = {
  network: 'network',
  subnet: 'subnet',
  port: 'port',
  router: 'router',
  floatingip: 'floatingip',
  security_group: 'security_group',
  security_group_rule: 'security_group_rule',
  subnetpool: 'subnetpool',
};

export class NetworkQuotaService {
  constructor(private readonly ctx: NetworkContext) {}

  /** Effective limits of a project: its own overrides over the configured defaults. */
  async limits(projectId: string): Promise<Record<string, number>> {
    return { ...this.ctx.settings.quotas, ...(await this.ctx.store.quotas(projectId)) };
  }

  defaults(): Record<string, number> {
    return { ...this.ctx.settings.quotas };
  }

  async usage(projectId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, kind] of Object.entries(QUOTA_KINDS)) out[name] = await this.ctx.store.count(kind, { projectId });
    out.rbac_policy = 0;
    return out;
  }

  /** Throws OverQuota when `adding` more of `resource` would pass the project's limit. */
  async check(projectId: string, resource: keyof typeof QUOTA_KINDS, adding = 1): Promise<void> {
    if (projectId === '') return; // the service's own ports
    const limit = (await this.limits(projectId))[resource];
    if (limit === undefined || limit < 0) return;
    const used = await this.ctx.store.count(QUOTA_KINDS[resource]!, { projectId });
    if (used + adding > limit) throw overQuota(resource);
  }

  async update(projectId: string, values: Record<string, number>): Promise<void> {
    for (const [k, v] of Object.entries(values)) await this.ctx.store.setQuota(projectId, k, v);
  }

  reset(projectId: string): Promise<void> {
    return this.ctx.store.deleteQuotas(projectId);
  }
}
