import type { ImageMember, MemberStatus } from '../domain/models.js';
import type { ImageKysely } from './image-database.js';
import type { ImageMemberRow } from './schema.js';

const toMember = (r: ImageMemberRow): ImageMember => ({
  imageId: r.image_id,
  memberId: r.member,
  status: r.status as MemberStatus,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Persistence of image members (projects an image is shared with). */
export class MemberStore {
  constructor(private readonly db: ImageKysely) {}

  async get(imageId: string, memberId: string): Promise<ImageMember | undefined> {
    const row = await this.db
      .selectFrom('image_members')
      .selectAll()
      .where('image_id', '=', imageId)
      .where('member', '=', memberId)
      .executeTakeFirst();
    return row && toMember(row);
  }

  async list(imageId: string): Promise<ImageMember[]> {
    const rows = await this.db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).orderBy('created_at').execute();
    return rows.map(toMember);
  }

  async count(imageId: string): Promise<number> {
    const r = await this.db
      .selectFrom('image_members')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('image_id', '=', imageId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insert(m: ImageMember): Promise<void> {
    await this.db
      .insertInto('image_members')
      .values({ image_id: m.imageId, member: m.memberId, status: m.status, created_at: m.createdAt, updated_at: m.updatedAt })
      .execute();
  }

  async update(m: ImageMember): Promise<void> {
    await this.db
      .updateTable('image_members')
      .set({ status: m.status, updated_at: m.updatedAt })
      .where('image_id', '=', m.imageId)
      .where('member', '=', m.memberId)
      .execute();
  }

  async delete(imageId: string, memberId?: string): Promise<void> {
    let q = this.db.deleteFrom('image_members').where('image_id', '=', imageId);
    if (memberId !== undefined) q = q.where('member', '=', memberId);
    await q.execute();
  }
}
