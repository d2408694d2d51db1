import { badRequest, notFound } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from '../store/compute-database.js';
import type { ServerGroupRow } from '../store/resource-tables.js';
import type { ComputeCaller } from './caller.js';
import { quotaExceeded, type QuotaService } from './quota-service.js';
import type { ServerGroup, ServerGroupLookup, ServerGroupPolicy } from './resource-services.js';

export interface ServerGroupCreate {
  name: string;
  policy: ServerGroupPolicy;
  rules: { max_server_per_host?: number };
}

const groupNotFound = (id: string) => notFound(`Instance group ${id} could not be found.`, 'server_group_not_found');

/** Server groups (os-server-groups) and their members, with the server_groups/server_group_members quotas. */
export class ServerGroupService implements ServerGroupLookup {
  constructor(
    private readonly db: ComputeKysely,
    private readonly quotas: QuotaService,
  ) {}

  private async toGroups(rows: ServerGroupRow[]): Promise<ServerGroup[]> {
    const members = new Map<string, string[]>(rows.map((r) => [r.uuid, []]));
    if (rows.length > 0) {
      const ms = await this.db
        .selectFrom('server_group_members')
        .selectAll()
        .where(
          'group_uuid',
          'in',
          rows.map((r) => r.uuid),
        )
        .orderBy('instance_uuid')
        .execute();
      for (const m of ms) members.get(m.group_uuid)!.push(m.instance_uuid);
    }
    return rows.map((r) => ({
      id: r.uuid,
      name: r.name,
      projectId: r.project_id,
      userId: r.user_id,
      policy: r.policy as ServerGroupPolicy,
      rules: JSON.parse(r.rules) as ServerGroup['rules'],
      members: members.get(r.uuid)!,
    }));
  }

  async get(caller: ComputeCaller, id: string): Promise<ServerGroup> {
    const row = await this.db.selectFrom('server_groups').selectAll().where('uuid', '=', id).executeTakeFirst();
    if (!row || (!caller.isAdmin && row.project_id !== caller.projectId)) throw groupNotFound(id);
    return (await this.toGroups([row]))[0]!;
  }

  /** The caller's project's groups, or every project's with `allProjects` (admins). */
  async list(caller: ComputeCaller, allProjects: boolean, limit?: number, offset?: number): Promise<ServerGroup[]> {
    let q = this.db.selectFrom('server_groups').selectAll().orderBy('created_at').orderBy('uuid');
    if (!(allProjects && caller.isAdmin)) q = q.where('project_id', '=', caller.projectId ?? '');
    if (limit !== undefined) q = q.limit(limit);
    if (offset !== undefined) q = (limit === undefined ? q.limit(2 ** 31 - 1) : q).offset(offset);
    return this.toGroups(await q.execute());
  }

  async create(caller: ComputeCaller, c: ServerGroupCreate): Promise<ServerGroup> {
    const projectId = caller.projectId ?? '';
    if (c.rules.max_server_per_host !== undefined && c.policy !== 'anti-affinity') {
      throw badRequest("Only anti-affinity policy supports 'max_server_per_host' rule.");
    }
    const limit = await this.quotas.limitFor(projectId, caller.userId, 'server_groups');
    const used = (await this.quotas.usage(projectId)).server_groups ?? 0;
    if (limit >= 0 && used + 1 > limit) throw quotaExceeded('Quota exceeded, too many server groups.');
    const row: ServerGroupRow = {
      uuid: newUuid(),
      name: c.name,
      project_id: projectId,
      user_id: caller.userId,
      policy: c.policy,
      rules: JSON.stringify(c.rules),
      created_at: dbTime(),
    };
    await this.db.insertInto('server_groups').values(row).execute();
    return (await this.toGroups([row]))[0]!;
  }

  async delete(caller: ComputeCaller, id: string): Promise<void> {
    const g = await this.get(caller, id);
    await this.db.deleteFrom('server_group_members').where('group_uuid', '=', g.id).execute();
    await this.db.deleteFrom('server_groups').where('uuid', '=', g.id).execute();
  }

  async groupOf(serverUuid: string): Promise<ServerGroup | undefined> {
    const m = await this.db
      .selectFrom('server_group_members')
      .select('group_uuid')
      .where('instance_uuid', '=', serverUuid)
      .executeTakeFirst();
    if (!m) return undefined;
    const row = await this.db.selectFrom('server_groups').selectAll().where('uuid', '=', m.group_uuid).executeTakeFirst();
    return row ? (await this.toGroups([row]))[0] : undefined;
  }

  async addMembers(groupId: string, serverUuids: string[]): Promise<void> {
    const row = await this.db.selectFrom('server_groups').selectAll().where('uuid', '=', groupId).executeTakeFirst();
    if (!row) throw groupNotFound(groupId);
    const limit = await this.quotas.limitFor(row.project_id, row.user_id, 'server_group_members');
    const current = await this.db
      .selectFrom('server_group_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('group_uuid', '=', groupId)
      .executeTakeFirst();
    if (limit >= 0 && Number(current?.n ?? 0) + serverUuids.length > limit) {
      throw quotaExceeded('Quota exceeded, too many servers in group');
    }
    await this.db.transaction().execute(async (tx) => {
      for (const uuid of serverUuids) {
        await tx.deleteFrom('server_group_members').where('instance_uuid', '=', uuid).execute();
        await tx.insertInto('server_group_members').values({ group_uuid: groupId, instance_uuid: uuid }).execute();
      }
    });
  }

  async removeMember(serverUuid: string): Promise<void> {
    await this.db.deleteFrom('server_group_members').where('instance_uuid', '=', serverUuid).execute();
  }
}
