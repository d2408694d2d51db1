import type { IdentityKysely } from './identity-database.js';
import type { EndpointGroupRow } from './schema.js';

/** Persistence of OS-EP-FILTER endpoint groups and project associations. */
export class EndpointFilterStore {
  constructor(private readonly db: IdentityKysely) {}

  async getGroup(id: string): Promise<EndpointGroupRow | undefined> {
    return this.db.selectFrom('endpoint_groups').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listGroups(name?: string): Promise<EndpointGroupRow[]> {
    let q = this.db.selectFrom('endpoint_groups').selectAll().orderBy('name');
    if (name !== undefined) q = q.where('name', '=', name);
    return q.execute();
  }

  async insertGroup(r: EndpointGroupRow): Promise<void> {
    await this.db.insertInto('endpoint_groups').values(r).execute();
  }

  async updateGroup(r: EndpointGroupRow): Promise<void> {
    await this.db
      .updateTable('endpoint_groups')
      .set({ name: r.name, description: r.description, filters: r.filters })
      .where('id', '=', r.id)
      .execute();
  }

  async deleteGroup(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('project_endpoint_groups').where('endpoint_group_id', '=', id).execute();
      await tx.deleteFrom('endpoint_groups').where('id', '=', id).execute();
    });
  }

  async groupProjects(groupId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('project_endpoint_groups')
      .select('project_id')
      .where('endpoint_group_id', '=', groupId)
      .execute();
    return rows.map((r) => r.project_id);
  }

  async projectGroups(projectId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('project_endpoint_groups')
      .select('endpoint_group_id')
      .where('project_id', '=', projectId)
      .execute();
    return rows.map((r) => r.endpoint_group_id);
  }

  async addGroupProject(groupId: string, projectId: string): Promise<void> {
    const exists = await this.db
      .selectFrom('project_endpoint_groups')
      .select('project_id')
      .where('endpoint_group_id', '=', groupId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (!exists)
      await this.db.insertInto('project_endpoint_groups').values({ endpoint_group_id: groupId, project_id: projectId }).execute();
  }

  async removeGroupProject(groupId: string, projectId: string): Promise<number> {
    const r = await this.db
      .deleteFrom('project_endpoint_groups')
      .where('endpoint_group_id', '=', groupId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async projectEndpoints(projectId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('project_endpoints').select('endpoint_id').where('project_id', '=', projectId).execute();
    return rows.map((r) => r.endpoint_id);
  }

  async endpointProjects(endpointId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('project_endpoints').select('project_id').where('endpoint_id', '=', endpointId).execute();
    return rows.map((r) => r.project_id);
  }

  async addProjectEndpoint(projectId: string, endpointId: string): Promise<void> {
    const exists = await this.db
      .selectFrom('project_endpoints')
      .select('project_id')
      .where('endpoint_id', '=', endpointId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (!exists) await this.db.insertInto('project_endpoints').values({ endpoint_id: endpointId, project_id: projectId }).execute();
  }

  async removeProjectEndpoint(projectId: string, endpointId: string): Promise<number> {
    const r = await this.db
      .deleteFrom('project_endpoints')
      .where('endpoint_id', '=', endpointId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async hasAnyAssociation(projectId: string): Promise<boolean> {
    const a = await this.db.selectFrom('project_endpoints').select('endpoint_id').where('project_id', '=', projectId).limit(1).execute();
    if (a.length > 0) return true;
    const b = await this.db
      .selectFrom('project_endpoint_groups')
      .select('endpoint_group_id')
      .where('project_id', '=', projectId)
      .limit(1)
      .execute();
    return b.length > 0;
  }
}
