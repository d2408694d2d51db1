import type { IdentityKysely } from './identity-database.js';
import type { AssignmentRow, AssignmentType } from './schema.js';

export interface AssignmentFilter {
  types?: AssignmentType[];
  actorIds?: string[];
  targetIds?: string[];
  roleId?: string;
  inherited?: boolean;
}

/** Persistence of role assignments (grants) and group membership. */
export class AssignmentStore {
  constructor(private readonly db: IdentityKysely) {}

  async list(f: AssignmentFilter): Promise<AssignmentRow[]> {
    let q = this.db.selectFrom('assignments').selectAll();
    if (f.types) q = q.where('type', 'in', f.types);
    if (f.actorIds) {
      if (f.actorIds.length === 0) return [];
      q = q.where('actor_id', 'in', f.actorIds);
    }
    if (f.targetIds) {
      if (f.targetIds.length === 0) return [];
      q = q.where('target_id', 'in', f.targetIds);
    }
    if (f.roleId !== undefined) q = q.where('role_id', '=', f.roleId);
    if (f.inherited !== undefined) q = q.where('inherited', '=', f.inherited ? 1 : 0);
    return q.execute();
  }

  /** Idempotent: granting twice is not an error, as in Keystone. */
  async add(a: AssignmentRow): Promise<void> {
    const exists = await this.db
      .selectFrom('assignments')
      .select('role_id')
      .where('type', '=', a.type)
      .where('actor_id', '=', a.actor_id)
      .where('target_id', '=', a.target_id)
      .where('role_id', '=', a.role_id)
      .where('inherited', '=', a.inherited)
      .executeTakeFirst();
    if (!exists) await this.db.insertInto('assignments').values(a).execute();
  }

  async remove(a: AssignmentRow): Promise<number> {
    const r = await this.db
      .deleteFrom('assignments')
      .where('type', '=', a.type)
      .where('actor_id', '=', a.actor_id)
      .where('target_id', '=', a.target_id)
      .where('role_id', '=', a.role_id)
      .where('inherited', '=', a.inherited)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async removeForActor(actorId: string): Promise<void> {
    await this.db.deleteFrom('assignments').where('actor_id', '=', actorId).execute();
  }

  async removeForTarget(targetId: string): Promise<void> {
    await this.db.deleteFrom('assignments').where('target_id', '=', targetId).execute();
  }

  async groupsOfUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('group_members').select('group_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.group_id);
  }

  async usersOfGroup(groupId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute();
    return rows.map((r) => r.user_id);
  }
}
