import { badRequest, conflict, notFound } from '../../lib/errors.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { insertWithNextId } from '../store/next-id.js';
import type { FlavorRow } from '../store/resource-tables.js';
import type { ComputeCaller } from './caller.js';
import type { Flavor, FlavorLookup } from './resource-services.js';

export interface FlavorListQuery {
  /** true (default): public plus those shared with the caller's project; false: private only; null: all (admins). */
  isPublic: boolean | null;
  minRam?: number;
  minDisk?: number;
  sortKey?: string;
  sortDir?: string;
  limit?: number;
  marker?: string;
}

export interface FlavorCreate {
  id?: string | null;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral?: number;
  swap?: number;
  rxtxFactor?: number;
  isPublic?: boolean;
  description?: string | null;
}

const SORT_KEYS: Record<string, keyof FlavorRow> = {
  id: 'id',
  flavorid: 'flavorid',
  name: 'name',
  memory_mb: 'memory_mb',
  root_gb: 'root_gb',
  ephemeral_gb: 'ephemeral_gb',
  swap: 'swap',
  vcpus: 'vcpus',
  rxtx_factor: 'rxtx_factor',
  is_public: 'is_public',
  disabled: 'disabled',
  description: 'description',
  created_at: 'created_at',
  updated_at: 'updated_at',
};

export const flavorNotFound = (id: string) => notFound(`Flavor ${id} could not be found.`, 'flavor_not_found');

/** Flavors, their extra specs and project access (Nova's flavor-manage, flavor-access, extra specs). */
export class FlavorService implements FlavorLookup {
  constructor(private readonly db: ComputeKysely) {}

  toFlavor(row: FlavorRow, extraSpecs: Record<string, string>): Flavor {
    return {
      id: row.flavorid,
      name: row.name,
      vcpus: row.vcpus,
      memoryMb: row.memory_mb,
      rootGb: row.root_gb,
      ephemeralGb: row.ephemeral_gb,
      swapMb: row.swap,
      rxtxFactor: Number(row.rxtx_factor),
      isPublic: row.is_public === 1,
      disabled: row.disabled === 1,
      description: row.description,
      extraSpecs,
    };
  }

  private async specsOf(ids: number[]): Promise<Map<number, Record<string, string>>> {
    const out = new Map<number, Record<string, string>>(ids.map((i) => [i, {}]));
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('flavor_extra_specs').selectAll().where('flavor_id', 'in', ids).execute();
    for (const r of rows) out.get(r.flavor_id)![r.key] = r.value;
    return out;
  }

  private async hasAccess(caller: ComputeCaller, row: FlavorRow): Promise<boolean> {
    if (row.is_public === 1 || caller.isAdmin) return true;
    if (!caller.projectId) return false;
    const a = await this.db
      .selectFrom('flavor_projects')
      .select('flavor_id')
      .where('flavor_id', '=', row.id)
      .where('project_id', '=', caller.projectId)
      .executeTakeFirst();
    return a !== undefined;
  }

  private async liveRow(flavorId: string): Promise<FlavorRow | undefined> {
    return this.db.selectFrom('flavors').selectAll().where('flavorid', '=', flavorId).where('deleted', '=', 0).executeTakeFirst();
  }

  /** The live flavor row the caller may see; 404 otherwise. */
  async rowForCaller(caller: ComputeCaller, flavorId: string): Promise<FlavorRow> {
    const row = await this.liveRow(flavorId);
    if (!row || !(await this.hasAccess(caller, row))) throw flavorNotFound(flavorId);
    return row;
  }

  async getForCaller(caller: ComputeCaller, flavorId: string): Promise<Flavor> {
    const row = await this.rowForCaller(caller, flavorId);
    return this.toFlavor(row, (await this.specsOf([row.id])).get(row.id)!);
  }

  async getAny(flavorId: string): Promise<Flavor | undefined> {
    const row =
      (await this.liveRow(flavorId)) ??
      (await this.db.selectFrom('flavors').selectAll().where('flavorid', '=', flavorId).orderBy('id', 'desc').executeTakeFirst());
    if (!row) return undefined;
    return this.toFlavor(row, (await this.specsOf([row.id])).get(row.id)!);
  }

  async list(caller: ComputeCaller, q: FlavorListQuery): Promise<Flavor[]> {
    const sortKey = q.sortKey ?? 'flavorid';
    const column = SORT_KEYS[sortKey];
    if (!column) throw badRequest(`Invalid sort key: ${sortKey}`);
    const dir = q.sortDir ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
    let query = this.db.selectFrom('flavors').selectAll().where('deleted', '=', 0);
    if (q.minRam !== undefined) query = query.where('memory_mb', '>=', q.minRam);
    if (q.minDisk !== undefined) query = query.where('root_gb', '>=', q.minDisk);
    let rows = await query.execute();
    const shared = new Set(
      caller.projectId
        ? (await this.db.selectFrom('flavor_projects').select('flavor_id').where('project_id', '=', caller.projectId).execute()).map(
            (r) => r.flavor_id,
          )
        : [],
    );
    // Nova: non-admins never list everything; is_public=true includes flavors shared with the project.
    const isPublic = q.isPublic === null && !caller.isAdmin ? true : q.isPublic;
    if (isPublic === true) rows = rows.filter((r) => r.is_public === 1 || shared.has(r.id));
    else if (isPublic === false) rows = rows.filter((r) => r.is_public === 0 && (caller.isAdmin || shared.has(r.id)));
    const sign = dir === 'asc' ? 1 : -1;
    const cmp = (a: FlavorRow, b: FlavorRow): number => {
      const x = a[column];
      const y = b[column];
      const c = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      return c !== 0 ? c * sign : a.flavorid < b.flavorid ? -1 : a.flavorid > b.flavorid ? 1 : 0;
    };
    rows.sort(cmp);
    if (q.marker !== undefined) {
      const at = rows.findIndex((r) => r.flavorid === q.marker);
      if (at < 0) throw badRequest(`marker [${q.marker}] not found`);
      rows = rows.slice(at + 1);
    }
    if (q.limit !== undefined) rows = rows.slice(0, q.limit);
    const specs = await this.specsOf(rows.map((r) => r.id));
    return rows.map((r) => this.toFlavor(r, specs.get(r.id)!));
  }

  async create(c: FlavorCreate): Promise<Flavor> {
    const flavorid = c.id === undefined || c.id === null ? newUuid() : c.id;
    const name = c.name.trim();
    if (name.length === 0) throw badRequest('Flavor name must be a non-empty string without leading or trailing whitespace.');
    if (await this.liveRow(flavorid)) throw conflict(`Flavor with ID ${flavorid} already exists.`, 'flavor_id_exists');
    const byName = await this.db.selectFrom('flavors').select('id').where('name', '=', name).where('deleted', '=', 0).executeTakeFirst();
    if (byName) throw conflict(`Flavor with name ${name} already exists.`, 'flavor_exists');
    const row: Omit<FlavorRow, 'id'> = {
      flavorid,
      name,
      vcpus: c.vcpus,
      memory_mb: c.ram,
      root_gb: c.disk,
      ephemeral_gb: c.ephemeral ?? 0,
      swap: c.swap ?? 0,
      rxtx_factor: c.rxtxFactor ?? 1,
      is_public: c.isPublic === false ? 0 : 1,
      disabled: 0,
      description: c.description ?? null,
      deleted: 0,
      created_at: dbTime(),
      updated_at: null,
      deleted_at: null,
    };
    // A clash on the flavorid/name unique indexes is a concurrent create of the same flavor: 409.
    await failOnDuplicate(insertWithNextId<FlavorRow>(this.db, 'flavors', row), () =>
      conflict(`Flavor with ID ${flavorid} already exists.`, 'flavor_id_exists'),
    );
    return this.toFlavor({ ...row, id: 0 }, {});
  }

  async delete(flavorId: string): Promise<void> {
    const row = await this.liveRow(flavorId);
    if (!row) throw flavorNotFound(flavorId);
    // deleted = id frees the flavorid and name for a new flavor (unique indexes include `deleted`).
    await this.db.updateTable('flavors').set({ deleted: row.id, deleted_at: dbTime() }).where('id', '=', row.id).execute();
    await this.db.deleteFrom('flavor_projects').where('flavor_id', '=', row.id).execute();
  }

  async updateDescription(caller: ComputeCaller, flavorId: string, description: string | null): Promise<Flavor> {
    const row = await this.rowForCaller(caller, flavorId);
    await this.db.updateTable('flavors').set({ description, updated_at: dbTime() }).where('id', '=', row.id).execute();
    return this.getForCaller(caller, flavorId);
  }

  // ---- access (os-flavor-access)

  async accessList(caller: ComputeCaller, flavorId: string): Promise<string[]> {
    const row = await this.rowForCaller(caller, flavorId);
    if (row.is_public === 1) throw notFound('Access list not available for public flavors.', 'flavor_access_not_found');
    const rows = await this.db
      .selectFrom('flavor_projects')
      .select('project_id')
      .where('flavor_id', '=', row.id)
      .orderBy('project_id')
      .execute();
    return rows.map((r) => r.project_id);
  }

  async addAccess(caller: ComputeCaller, flavorId: string, projectId: string): Promise<string[]> {
    const row = await this.rowForCaller(caller, flavorId);
    if (row.is_public === 1) throw conflict('Can not add access to a public flavor.', 'flavor_access_public');
    await failOnDuplicate(this.db.insertInto('flavor_projects').values({ flavor_id: row.id, project_id: projectId }).execute(), () =>
      conflict(`Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`, 'flavor_access_exists'),
    );
    return this.accessList(caller, flavorId);
  }

  async removeAccess(caller: ComputeCaller, flavorId: string, projectId: string): Promise<string[]> {
    const row = await this.rowForCaller(caller, flavorId);
    const res = await this.db
      .deleteFrom('flavor_projects')
      .where('flavor_id', '=', row.id)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) {
      throw notFound(`Flavor access not found for ${flavorId} / ${projectId} combination.`, 'flavor_access_not_found');
    }
    return row.is_public === 1 ? [] : this.accessList(caller, flavorId);
  }

  // ---- extra specs

  async extraSpecs(caller: ComputeCaller, flavorId: string): Promise<Record<string, string>> {
    const row = await this.rowForCaller(caller, flavorId);
    return (await this.specsOf([row.id])).get(row.id)!;
  }

  async setExtraSpecs(caller: ComputeCaller, flavorId: string, specs: Record<string, string>): Promise<void> {
    const row = await this.rowForCaller(caller, flavorId);
    await this.db.transaction().execute(async (tx) => {
      for (const [key, value] of Object.entries(specs)) {
        await tx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', row.id).where('key', '=', key).execute();
        await tx.insertInto('flavor_extra_specs').values({ flavor_id: row.id, key, value }).execute();
      }
    });
  }

  async deleteExtraSpec(caller: ComputeCaller, flavorId: string, key: string): Promise<void> {
    const row = await this.rowForCaller(caller, flavorId);
    const res = await this.db.deleteFrom('flavor_extra_specs').where('flavor_id', '=', row.id).where('key', '=', key).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0)
      throw notFound(`Flavor ${flavorId} has no extra specs with key ${key}.`, 'flavor_extra_spec_not_found');
  }
}
