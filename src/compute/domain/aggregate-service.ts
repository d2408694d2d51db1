import { badRequest, conflict, notFound } from '../../lib/errors.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { insertWithNextId } from '../store/next-id.js';
import type { AggregateRow } from '../store/resource-tables.js';
import type { HostService } from './host-service.js';

export interface Aggregate {
  row: AggregateRow;
  hosts: string[];
  metadata: Record<string, string>;
  availabilityZone: string | null;
}

const aggregateNotFound = (id: string | number) => notFound(`Aggregate ${id} could not be found.`, 'aggregate_not_found');

/** Host aggregates (os-aggregates); `availability_zone` metadata puts their hosts in a zone. */
export class AggregateService {
  constructor(
    private readonly db: ComputeKysely,
    private readonly hosts: HostService,
  ) {}

  private async load(rows: AggregateRow[]): Promise<Aggregate[]> {
    const ids = rows.map((r) => r.id);
    const hosts = ids.length
      ? await this.db.selectFrom('aggregate_hosts').selectAll().where('aggregate_id', 'in', ids).orderBy('host').execute()
      : [];
    const meta = ids.length
      ? await this.db.selectFrom('aggregate_metadata').selectAll().where('aggregate_id', 'in', ids).orderBy('key').execute()
      : [];
    return rows.map((row) => {
      const metadata = Object.fromEntries(meta.filter((m) => m.aggregate_id === row.id).map((m) => [m.key, m.value]));
      return {
        row,
        hosts: hosts.filter((h) => h.aggregate_id === row.id).map((h) => h.host),
        metadata,
        availabilityZone: metadata.availability_zone ?? null,
      };
    });
  }

  async list(): Promise<Aggregate[]> {
    return this.load(await this.db.selectFrom('aggregates').selectAll().orderBy('id').execute());
  }

  async get(id: number): Promise<Aggregate> {
    const row = await this.db.selectFrom('aggregates').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw aggregateNotFound(id);
    return (await this.load([row]))[0]!;
  }

  async create(name: string, availabilityZone: string | null): Promise<Aggregate> {
    const now = dbTime();
    const row: Omit<AggregateRow, 'id'> = { uuid: newUuid(), name, created_at: now, updated_at: null };
    const id = await failOnDuplicate(insertWithNextId<AggregateRow>(this.db, 'aggregates', row), () =>
      conflict(`Aggregate ${name} already exists.`, 'aggregate_exists'),
    );
    if (availabilityZone) await this.setMetadata(id, { availability_zone: availabilityZone });
    return this.get(id);
  }

  async update(id: number, name: string | undefined, availabilityZone: string | null | undefined): Promise<Aggregate> {
    await this.get(id);
    if (name !== undefined) {
      await failOnDuplicate(this.db.updateTable('aggregates').set({ name, updated_at: dbTime() }).where('id', '=', id).execute(), () =>
        conflict(`Aggregate ${name} already exists.`, 'aggregate_exists'),
      );
    }
    if (availabilityZone !== undefined) await this.setMetadata(id, { availability_zone: availabilityZone });
    await this.db.updateTable('aggregates').set({ updated_at: dbTime() }).where('id', '=', id).execute();
    return this.get(id);
  }

  async delete(id: number): Promise<void> {
    const a = await this.get(id);
    if (a.hosts.length > 0) throw badRequest(`Cannot remove aggregate ${id}. Reason: Host aggregate is not empty.`);
    await this.db.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute();
    await this.db.deleteFrom('aggregates').where('id', '=', id).execute();
  }

  async addHost(id: number, host: string): Promise<Aggregate> {
    const a = await this.get(id);
    const known = await this.hosts.services({ host, binary: 'nova-compute' });
    if (known.length === 0) throw notFound(`Compute host ${host} could not be found.`, 'compute_host_not_found');
    if (a.hosts.includes(host)) throw conflict(`Aggregate ${id} already has host ${host}.`, 'aggregate_host_exists');
    // A host can be in one availability zone only.
    if (a.availabilityZone) {
      const zone = (await this.hosts.hostZones()).get(host);
      if (zone && zone !== a.availabilityZone) {
        throw conflict(
          `Cannot add host ${host} to aggregate ${id}: host is already in availability zone ${zone}.`,
          'aggregate_az_conflict',
        );
      }
    }
    await this.db.insertInto('aggregate_hosts').values({ aggregate_id: id, host }).execute();
    return this.get(id);
  }

  async removeHost(id: number, host: string): Promise<Aggregate> {
    await this.get(id);
    const res = await this.db.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).where('host', '=', host).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`Cannot remove host ${host} in aggregate ${id}`, 'aggregate_host_not_found');
    return this.get(id);
  }

  /** Sets metadata; a null value removes the key. */
  async setMetadata(id: number, metadata: Record<string, string | null>): Promise<Aggregate> {
    await this.get(id);
    await this.db.transaction().execute(async (tx) => {
      for (const [key, value] of Object.entries(metadata)) {
        await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute();
        if (value !== null) await tx.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).execute();
      }
      await tx.updateTable('aggregates').set({ updated_at: dbTime() }).where('id', '=', id).execute();
    });
    return this.get(id);
  }
}
