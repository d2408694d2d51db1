import type { IdentityKysely } from './identity-database.js';
import { bool, int, readJson, writeJson } from './json.js';
import type { DomainRow, ProjectRow } from './schema.js';
import type { Domain, Project } from '../domain/models.js';

const toDomain = (r: DomainRow): Domain => ({
  id: r.id,
  name: r.name,
  description: r.description ?? '',
  enabled: bool(r.enabled),
  extra: readJson(r.extra),
});

const toProject = (r: ProjectRow, tags: string[]): Project => ({
  id: r.id,
  name: r.name,
  domainId: r.domain_id,
  parentId: r.parent_id,
  description: r.description ?? '',
  enabled: bool(r.enabled),
  tags,
  extra: readJson(r.extra),
});

export interface ProjectFilter {
  domainId?: string;
  parentId?: string | null;
  name?: string;
  enabled?: boolean;
  ids?: string[];
}

/** Persistence of domains, projects and project tags. */
export class ResourceStore {
  constructor(private readonly db: IdentityKysely) {}

  async getDomain(id: string): Promise<Domain | undefined> {
    const r = await this.db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toDomain(r);
  }

  async getDomainByName(name: string): Promise<Domain | undefined> {
    const r = await this.db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toDomain(r);
  }

  async listDomains(filter: { name?: string; enabled?: boolean; ids?: string[] }): Promise<Domain[]> {
    let q = this.db.selectFrom('domains').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', int(filter.enabled));
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(toDomain);
  }

  async insertDomain(d: Domain): Promise<void> {
    await this.db
      .insertInto('domains')
      .values({ id: d.id, name: d.name, description: d.description, enabled: int(d.enabled), extra: writeJson(d.extra) })
      .execute();
  }

  async updateDomain(d: Domain): Promise<void> {
    await this.db
      .updateTable('domains')
      .set({ name: d.name, description: d.description, enabled: int(d.enabled), extra: writeJson(d.extra) })
      .where('id', '=', d.id)
      .execute();
  }

  async deleteDomain(id: string): Promise<void> {
    await this.db.deleteFrom('domains').where('id', '=', id).execute();
  }

  async getProject(id: string): Promise<Project | undefined> {
    const r = await this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toProject(r, await this.tags(id));
  }

  async getProjectByName(domainId: string, name: string): Promise<Project | undefined> {
    const r = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('domain_id', '=', domainId)
      .where('name', '=', name)
      .executeTakeFirst();
    return r && toProject(r, await this.tags(r.id));
  }

  async listProjects(filter: ProjectFilter): Promise<Project[]> {
    let q = this.db.selectFrom('projects').selectAll().orderBy('name');
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.parentId !== undefined) {
      q = filter.parentId === null ? q.where('parent_id', 'is', null) : q.where('parent_id', '=', filter.parentId);
    }
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', int(filter.enabled));
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    const rows = await q.execute();
    const tags = await this.tagsOf(rows.map((r) => r.id));
    return rows.map((r) => toProject(r, tags.get(r.id) ?? []));
  }

  async insertProject(p: Project): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('projects')
        .values({
          id: p.id,
          name: p.name,
          domain_id: p.domainId,
          parent_id: p.parentId,
          description: p.description,
          enabled: int(p.enabled),
          extra: writeJson(p.extra),
        })
        .execute();
      if (p.tags.length > 0) {
        await tx
          .insertInto('project_tags')
          .values(p.tags.map((name) => ({ project_id: p.id, name })))
          .execute();
      }
    });
  }

  async updateProject(p: Project): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('projects')
        .set({ name: p.name, description: p.description, enabled: int(p.enabled), parent_id: p.parentId, extra: writeJson(p.extra) })
        .where('id', '=', p.id)
        .execute();
      await tx.deleteFrom('project_tags').where('project_id', '=', p.id).execute();
      if (p.tags.length > 0) {
        await tx
          .insertInto('project_tags')
          .values(p.tags.map((name) => ({ project_id: p.id, name })))
          .execute();
      }
    });
  }

  async deleteProject(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('project_tags').where('project_id', '=', id).execute();
      await tx.deleteFrom('projects').where('id', '=', id).execute();
    });
  }

  async countProjectsInDomain(domainId: string): Promise<number> {
    const r = await this.db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('domain_id', '=', domainId)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async tags(projectId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('project_tags').select('name').where('project_id', '=', projectId).orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  async tagsOf(projectIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (projectIds.length === 0) return out;
    const rows = await this.db.selectFrom('project_tags').selectAll().where('project_id', 'in', projectIds).orderBy('name').execute();
    for (const r of rows) out.set(r.project_id, [...(out.get(r.project_id) ?? []), r.name]);
    return out;
  }
}
