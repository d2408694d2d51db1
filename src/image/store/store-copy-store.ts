import type { Kysely } from 'kysely';
import type { ImageKysely } from './image-database.js';

interface StoreDataRow {
  image_id: string;
  store_id: string;
  location: string;
  created_at: string;
}

/** One copy of an image's data in one of several stores. */
export interface StoreCopy {
  imageId: string;
  storeId: string;
  location: string;
}

/** Persistence of `image_store_data`: which store holds which image's data (multiple stores only). */
export class StoreCopyStore {
  readonly #db: Kysely<{ image_store_data: StoreDataRow }>;

  constructor(db: ImageKysely) {
    this.#db = db.withTables<{ image_store_data: StoreDataRow }>() as unknown as Kysely<{ image_store_data: StoreDataRow }>;
  }

  /** Copies of these images, oldest first. */
  async list(imageIds: string[]): Promise<StoreCopy[]> {
    if (imageIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('image_store_data')
      .selectAll()
      .where('image_id', 'in', imageIds)
      .orderBy('created_at')
      .orderBy('store_id')
      .execute();
    return rows.map((r) => ({ imageId: r.image_id, storeId: r.store_id, location: r.location }));
  }

  async add(c: StoreCopy, createdAt: string): Promise<void> {
    await this.#db
      .insertInto('image_store_data')
      .values({ image_id: c.imageId, store_id: c.storeId, location: c.location, created_at: createdAt })
      .execute();
  }

  async byLocation(location: string): Promise<StoreCopy | undefined> {
    const r = await this.#db.selectFrom('image_store_data').selectAll().where('location', '=', location).executeTakeFirst();
    return r && { imageId: r.image_id, storeId: r.store_id, location: r.location };
  }

  async delete(imageId: string, storeId: string): Promise<void> {
    await this.#db.deleteFrom('image_store_data').where('image_id', '=', imageId).where('store_id', '=', storeId).execute();
  }

  async deleteAll(imageId: string): Promise<void> {
    await this.#db.deleteFrom('image_store_data').where('image_id', '=', imageId).execute();
  }
}
