import type { IdentityKysely } from './identity-database.js';
import { readJson, writeJson } from './json.js';
import type { GroupRow } from './schema.js';
import type { Group } from '../domain/models.js';

const toGroup = (r: GroupRow): Group => ({
  id: r.id,
  name: r.name,
  domainId: r.domain_id,
  description: r.description ?? '',
  extra: readJson(r.extra),
});

/** Persistence of groups and their members. */
export class GroupStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<Group | undefined> {
    const r = await this.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toGroup(r);
  }

  async list(filter: { name?: string; domainId?: string; ids?: string[] }): Promise<Group[]> {
    let q = this.db.selectFrom('groups').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(toGroup);
  }

  async insert(g: Group): Promise<void> {
    await this.db
      .insertInto('groups')
      .values({ id: g.id, name: g.name, domain_id: g.domainId, description: g.description, extra: writeJson(g.extra) })
      .execute();
  }

  async update(g: Group): Promise<void> {
    await this.db
      .updateTable('groups')
      .set({ name: g.name, description: g.description, extra: writeJson(g.extra) })
      .where('id', '=', g.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('group_members').where('group_id', '=', id).execute();
      await tx.deleteFrom('groups').where('id', '=', id).execute();
    });
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    const exists = await this.db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!exists) await this.db.insertInto('group_members').values({ group_id: groupId, user_id: userId }).execute();
  }

  async removeMember(groupId: string, userId: string): Promise<number> {
    const r = await this.db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r !== undefined;
  }
}
