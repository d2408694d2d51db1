import type { IdentityKysely } from './identity-database.js';
import { readJson, writeJson } from './json.js';
import { NULL_DOMAIN, type RoleRow } from './schema.js';
import type { Role } from '../domain/models.js';

const toRole = (r: RoleRow): Role => ({
  id: r.id,
  name: r.name,
  domainId: r.domain_id === NULL_DOMAIN ? null : r.domain_id,
  description: r.description,
  extra: readJson(r.extra),
  options: readJson(r.options),
});

/** Persistence of roles and role implications. */
export class RoleStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<Role | undefined> {
    const r = await this.db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRole(r);
  }

  async getByName(name: string, domainId: string | null): Promise<Role | undefined> {
    const r = await this.db
      .selectFrom('roles')
      .selectAll()
      .where('name', '=', name)
      .where('domain_id', '=', domainId ?? NULL_DOMAIN)
      .executeTakeFirst();
    return r && toRole(r);
  }

  async list(filter: { name?: string; domainId?: string | null; ids?: string[] }): Promise<Role[]> {
    let q = this.db.selectFrom('roles').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId ?? NULL_DOMAIN);
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(toRole);
  }

  async insert(r: Role): Promise<void> {
    await this.db
      .insertInto('roles')
      .values({
        id: r.id,
        name: r.name,
        domain_id: r.domainId ?? NULL_DOMAIN,
        description: r.description,
        extra: writeJson(r.extra),
        options: writeJson(r.options),
      })
      .execute();
  }

  async update(r: Role): Promise<void> {
    await this.db
      .updateTable('roles')
      .set({ name: r.name, description: r.description, extra: writeJson(r.extra), options: writeJson(r.options) })
      .where('id', '=', r.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('implied_roles')
        .where((eb) => eb.or([eb('prior_role_id', '=', id), eb('implied_role_id', '=', id)]))
        .execute();
      await tx.deleteFrom('assignments').where('role_id', '=', id).execute();
      await tx.deleteFrom('app_cred_roles').where('role_id', '=', id).execute();
      await tx.deleteFrom('roles').where('id', '=', id).execute();
    });
  }

  async implications(): Promise<{ prior_role_id: string; implied_role_id: string }[]> {
    return this.db.selectFrom('implied_roles').selectAll().execute();
  }

  async addImplication(prior: string, implied: string): Promise<void> {
    await this.db.insertInto('implied_roles').values({ prior_role_id: prior, implied_role_id: implied }).execute();
  }

  async removeImplication(prior: string, implied: string): Promise<number> {
    const r = await this.db
      .deleteFrom('implied_roles')
      .where('prior_role_id', '=', prior)
      .where('implied_role_id', '=', implied)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
