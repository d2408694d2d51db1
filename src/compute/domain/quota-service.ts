import { badRequest, KumoError } from '../../lib/errors.js';
import type { ComputeConfig } from '../../lib/config/config.js';
import type { ComputeKysely } from '../store/compute-database.js';
import type { QuotaChecker } from './resource-services.js';

/** Every resource Nova's quota API knows, in its response order; the API drops some by microversion. */
export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  'server_groups',
  'server_group_members',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Network quotas (proxied to Neutron by Nova, gone at 2.36) and file injection (gone at 2.57). */
export const NETWORK_QUOTAS: readonly QuotaResource[] = ['floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules'];
export const INJECTION_QUOTAS: readonly QuotaResource[] = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

export type QuotaLimits = Record<QuotaResource, number>;
export interface QuotaDetail {
  limit: number;
  in_use: number;
  reserved: number;
}

const isResource = (r: string): r is QuotaResource => (QUOTA_RESOURCES as readonly string[]).includes(r);

export const quotaExceeded = (message: string) => new KumoError('quota_exceeded', 403, message);

/** Nova's DB quota driver: config defaults, the `default` quota class, project and per-user overrides; usage counted live. */
export class QuotaService implements QuotaChecker {
  constructor(
    private readonly db: ComputeKysely,
    private readonly config: ComputeConfig,
  ) {}

  private configDefaults(): QuotaLimits {
    const c = this.config;
    return {
      instances: c.quotaInstances,
      cores: c.quotaCores,
      ram: c.quotaRam,
      floating_ips: 10,
      fixed_ips: -1,
      metadata_items: c.quotaMetadataItems,
      injected_files: 5,
      injected_file_content_bytes: 10240,
      injected_file_path_bytes: 255,
      key_pairs: c.quotaKeyPairs,
      security_groups: 10,
      security_group_rules: 20,
      server_groups: c.quotaServerGroups,
      server_group_members: c.quotaServerGroupMembers,
    };
  }

  async defaults(): Promise<QuotaLimits> {
    const out = this.configDefaults();
    for (const r of await this.db.selectFrom('quota_classes').selectAll().where('class_name', '=', 'default').execute()) {
      if (isResource(r.resource)) out[r.resource] = r.hard_limit;
    }
    return out;
  }

  async setDefaults(values: Partial<QuotaLimits>): Promise<QuotaLimits> {
    for (const [resource, limit] of Object.entries(values)) {
      await this.db.deleteFrom('quota_classes').where('class_name', '=', 'default').where('resource', '=', resource).execute();
      await this.db.insertInto('quota_classes').values({ class_name: 'default', resource, hard_limit: limit }).execute();
    }
    return this.defaults();
  }

  /** Limits of a project, or of one user in it (user overrides fall back to the project's). */
  async limits(projectId: string, userId?: string): Promise<QuotaLimits> {
    const out = await this.defaults();
    const rows = await this.db
      .selectFrom('quotas')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('user_id', 'in', userId ? ['', userId] : [''])
      .execute();
    for (const r of rows.filter((x) => x.user_id === '')) if (isResource(r.resource)) out[r.resource] = r.hard_limit;
    for (const r of rows.filter((x) => x.user_id !== '')) if (isResource(r.resource)) out[r.resource] = r.hard_limit;
    return out;
  }

  async limitFor(projectId: string, userId: string | undefined, resource: QuotaResource): Promise<number> {
    return (await this.limits(projectId, userId))[resource];
  }

  /** Live usage of a project (or one of its users) counted from the instances, key_pairs and server_groups tables. */
  async usage(projectId: string, userId?: string): Promise<Partial<Record<QuotaResource, number>>> {
    let iq = this.db
      .selectFrom('instances')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('vcpus').as('cores'), eb.fn.sum<number>('memory_mb').as('ram')])
      .where('project_id', '=', projectId)
      .where('deleted', '=', 0);
    if (userId) iq = iq.where('user_id', '=', userId);
    const i = await iq.executeTakeFirst();
    let gq = this.db
      .selectFrom('server_groups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId);
    if (userId) gq = gq.where('user_id', '=', userId);
    const g = await gq.executeTakeFirst();
    const usage: Partial<Record<QuotaResource, number>> = {
      instances: Number(i?.n ?? 0),
      cores: Number(i?.cores ?? 0),
      ram: Number(i?.ram ?? 0),
      server_groups: Number(g?.n ?? 0),
    };
    if (userId) {
      const k = await this.db
        .selectFrom('key_pairs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      usage.key_pairs = Number(k?.n ?? 0);
    }
    return usage;
  }

  async detail(projectId: string, userId?: string): Promise<Record<QuotaResource, QuotaDetail>> {
    const [limits, usage] = await Promise.all([this.limits(projectId, userId), this.usage(projectId, userId)]);
    const out = {} as Record<QuotaResource, QuotaDetail>;
    for (const r of QUOTA_RESOURCES) out[r] = { limit: limits[r], in_use: usage[r] ?? 0, reserved: 0 };
    return out;
  }

  /** Sets project (or per-user) limits; without `force`, a limit below current usage is refused as in Nova. */
  async update(projectId: string, userId: string | undefined, values: Partial<QuotaLimits>, force: boolean): Promise<QuotaLimits> {
    if (!force) {
      const usage = await this.usage(projectId, userId);
      for (const [r, v] of Object.entries(values) as [QuotaResource, number][]) {
        const used = usage[r] ?? 0;
        if (v !== -1 && v < used) {
          throw badRequest(`Quota limit ${v} for ${r} must be greater than or equal to already used and reserved ${used}.`);
        }
      }
    }
    if (userId) {
      const project = await this.limits(projectId);
      for (const [r, v] of Object.entries(values) as [QuotaResource, number][]) {
        if (project[r] !== -1 && (v === -1 || v > project[r])) {
          throw badRequest(`Quota limit ${v} for ${r} must be less than or equal to ${project[r]}.`);
        }
      }
    }
    await this.db.transaction().execute(async (tx) => {
      for (const [resource, limit] of Object.entries(values)) {
        await tx
          .deleteFrom('quotas')
          .where('project_id', '=', projectId)
          .where('user_id', '=', userId ?? '')
          .where('resource', '=', resource)
          .execute();
        await tx
          .insertInto('quotas')
          .values({ project_id: projectId, user_id: userId ?? '', resource, hard_limit: limit })
          .execute();
      }
    });
    return this.limits(projectId, userId);
  }

  /** Reverts a project (and its users) or one user to the defaults. */
  async reset(projectId: string, userId?: string): Promise<void> {
    let q = this.db.deleteFrom('quotas').where('project_id', '=', projectId);
    if (userId) q = q.where('user_id', '=', userId);
    await q.execute();
  }

  async checkServers(projectId: string, userId: string, deltas: { instances: number; cores: number; ram: number }): Promise<void> {
    const checks: [string | undefined, Partial<Record<QuotaResource, number>>, QuotaLimits][] = [];
    checks.push([undefined, await this.usage(projectId), await this.limits(projectId)]);
    const userRows = await this.db
      .selectFrom('quotas')
      .select('resource')
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .execute();
    if (userRows.length > 0) checks.push([userId, await this.usage(projectId, userId), await this.limits(projectId, userId)]);
    for (const [, usage, limits] of checks) {
      const overs = (['cores', 'instances', 'ram'] as const).filter(
        (r) => deltas[r] > 0 && limits[r] >= 0 && (usage[r] ?? 0) + deltas[r] > limits[r],
      );
      if (overs.length > 0) {
        const list = (f: (r: (typeof overs)[number]) => number) => overs.map(f).join(', ');
        throw quotaExceeded(
          `Quota exceeded for ${overs.join(', ')}: Requested ${list((r) => deltas[r])}, but already used ${list((r) => usage[r] ?? 0)} of ${list((r) => limits[r])} ${overs.join(', ')}`,
        );
      }
    }
  }

  async metadataItemsLimit(projectId: string): Promise<number> {
    return this.limitFor(projectId, undefined, 'metadata_items');
  }
}
