import type { ImageLocation } from '../domain/models.js';
import type { ImageKysely } from './image-database.js';
import type { ImageLocationRow } from './schema.js';

const toLocation = (r: ImageLocationRow): ImageLocation => ({ url: r.url, metadata: JSON.parse(r.metadata) as Record<string, unknown> });

/** The external locations of images, in order. */
export class LocationStore {
  constructor(private readonly db: ImageKysely) {}

  async list(imageId: string): Promise<ImageLocation[]> {
    return (await this.listMany([imageId])).get(imageId) ?? [];
  }

  /** Locations of several images at once (image lists), keyed by image id. */
  async listMany(imageIds: string[]): Promise<Map<string, ImageLocation[]>> {
    const out = new Map<string, ImageLocation[]>();
    if (imageIds.length === 0) return out;
    const rows = await this.db.selectFrom('image_locations').selectAll().where('image_id', 'in', imageIds).orderBy('position').execute();
    for (const r of rows) out.set(r.image_id, [...(out.get(r.image_id) ?? []), toLocation(r)]);
    return out;
  }

  /** Makes `locations` the whole ordered list of the image. */
  async replace(imageId: string, locations: ImageLocation[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('image_locations').where('image_id', '=', imageId).execute();
      if (locations.length === 0) return;
      await tx
        .insertInto('image_locations')
        .values(locations.map((l, position) => ({ image_id: imageId, position, url: l.url, metadata: JSON.stringify(l.metadata) })))
        .execute();
    });
  }
}
