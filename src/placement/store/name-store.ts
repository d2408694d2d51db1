import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { PlacementKysely } from './placement-database.js';

type NameTableName = 'custom_resource_classes' | 'custom_traits';

/** Custom resource classes or custom traits: just names, with timestamps. */
export class NameStore {
  constructor(
    private readonly db: PlacementKysely,
    private readonly table: NameTableName,
  ) {}

  async list(): Promise<string[]> {
    const rows = await this.db.selectFrom(this.table).select('name').orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  async has(name: string): Promise<boolean> {
    return Boolean(await this.db.selectFrom(this.table).select('name').where('name', '=', name).executeTakeFirst());
  }

  /** Adds a name; false when it already existed. */
  async add(name: string): Promise<boolean> {
    const now = dbTime();
    try {
      await failOnDuplicate(
        this.db.insertInto(this.table).values({ name, created_at: now, updated_at: now }).execute(),
        () => new Error('dup'),
      );
      return true;
    } catch (e) {
      if ((e as Error).message === 'dup') return false;
      throw e;
    }
  }

  async remove(name: string): Promise<boolean> {
    const res = await this.db.deleteFrom(this.table).where('name', '=', name).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
