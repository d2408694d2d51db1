import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { isUniqueViolation } from '../../lib/db/database.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from './compute-database.js';
import type { ComputeDB } from './schema.js';
import type { InstanceActionEventRow, InstanceActionRow, InstanceFaultRow, InstanceRow } from './server-tables.js';

export type NewInstance = Omit<InstanceRow, 'id'>;
export type InstancePatch = Partial<Omit<InstanceRow, 'id' | 'uuid'>>;

/** What a server list filters on, already authorized and translated by the domain. */
export interface InstanceQuery {
  projectId?: string;
  userId?: string;
  /** 'no' (live only), 'only' (deleted only), 'any'. */
  deleted: 'no' | 'only' | 'any';
  statuses?: string[];
  host?: string;
  node?: string;
  imageRef?: string;
  flavorId?: string;
  reservationId?: string;
  availabilityZone?: string;
  changesSince?: string;
  changesBefore?: string;
  locked?: boolean;
  /** Every tag must be present. */
  tags?: string[];
  /** At least one of these tags. */
  tagsAny?: string[];
  /** Not all of these tags. */
  notTags?: string[];
  /** Not any of these tags. */
  notTagsAny?: string[];
  uuids?: string[];
  sort: { key: SortKey; dir: 'asc' | 'desc' }[];
  limit?: number;
  /** Row of the marker server (for keyset paging). */
  marker?: InstanceRow;
}

export const SORT_KEYS = [
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'availability_zone',
  'config_drive',
  'created_at',
  'display_description',
  'display_name',
  'host',
  'hostname',
  'image_ref',
  'key_name',
  'launch_index',
  'launched_at',
  'locked',
  'locked_by',
  'node',
  'power_state',
  'progress',
  'project_id',
  'terminated_at',
  'updated_at',
  'user_id',
  'uuid',
  'vm_state',
  'task_state',
  'memory_mb',
  'vcpus',
  'root_gb',
  'ephemeral_gb',
  'reservation_id',
] as const satisfies readonly (keyof InstanceRow)[];
export type SortKey = (typeof SORT_KEYS)[number];

const NULLABLE_SORT_KEYS = new Set<string>([
  'access_ip_v4',
  'access_ip_v6',
  'availability_zone',
  'display_description',
  'host',
  'key_name',
  'launched_at',
  'locked_by',
  'node',
  'terminated_at',
  'updated_at',
  'task_state',
]);

type EB = ExpressionBuilder<ComputeDB, 'instances'>;

/** Every instances column but the heavy ones a list view never shows (see `list`). */
const LEAN_COLUMNS = [
  'id',
  'uuid',
  'project_id',
  'user_id',
  'display_name',
  'display_description',
  'hostname',
  'host',
  'node',
  'vcpus',
  'memory_mb',
  'root_gb',
  'ephemeral_gb',
  'vm_state',
  'task_state',
  'power_state',
  'status',
  'availability_zone',
  'flavor',
  'flavor_id',
  'image_ref',
  'key_name',
  'config_drive',
  'launch_index',
  'reservation_id',
  'locked',
  'locked_by',
  'locked_reason',
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'security_groups',
  'network_info',
  'progress',
  'launched_at',
  'terminated_at',
  'deleted',
  'created_at',
  'updated_at',
  'deleted_at',
] as const satisfies readonly (keyof InstanceRow)[];

/** Persistence of servers and what hangs off them. */
export class ServerStore {
  constructor(private readonly db: ComputeKysely) {}

  /** Inserts servers with consecutive integer ids (retried if another process took them). */
  async insert(rows: NewInstance[], metadata: Record<string, string>): Promise<InstanceRow[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const { max } = await tx
            .selectFrom('instances')
            .select((eb) => eb.fn.max('id').as('max'))
            .executeTakeFirstOrThrow();
          const first = Number(max ?? 0) + 1;
          const full = rows.map((r, i) => ({ ...r, id: first + i }));
          await tx.insertInto('instances').values(full).execute();
          const meta = full.flatMap((r) => Object.entries(metadata).map(([key, value]) => ({ instance_uuid: r.uuid, key, value })));
          if (meta.length) await tx.insertInto('instance_metadata').values(meta).execute();
          return full;
        });
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= 5) throw e;
      }
    }
  }

  async get(uuid: string, withDeleted = false): Promise<InstanceRow | undefined> {
    let q = this.db.selectFrom('instances').selectAll().where('uuid', '=', uuid);
    if (!withDeleted) q = q.where('deleted', '=', 0);
    return q.executeTakeFirst();
  }

  /**
   * Servers matching `q`. `lean` rows (for list views) leave out what no view
   * shows and may be large: key_data, image and scheduling come back empty,
   * user_data (up to 64 KiB each) unless `lean.userData`.
   */
  async list(q: InstanceQuery, lean?: { userData: boolean }): Promise<InstanceRow[]> {
    let query = lean
      ? this.db
          .selectFrom('instances')
          .select(LEAN_COLUMNS)
          .select([
            sql<null>`null`.as('key_data'),
            sql<null>`null`.as('image'),
            sql<string>`'{}'`.as('scheduling'),
            sql<null>`null`.as('password'),
            lean.userData ? sql.ref<string | null>('user_data').as('user_data') : sql<null>`null`.as('user_data'),
          ])
      : this.db.selectFrom('instances').selectAll();
    query = query.where((eb) => eb.and(this.#filters(eb, q)));
    if (q.marker) {
      const m = q.marker;
      query = query.where((eb) => this.#after(eb, q.sort, m));
    }
    for (const s of q.sort) {
      // NULLs first ascending, last descending, on every backend (PostgreSQL's default is the opposite); the keyset below relies on it.
      if (NULLABLE_SORT_KEYS.has(s.key)) query = query.orderBy(sql`case when ${sql.ref(s.key)} is null then 0 else 1 end`, s.dir);
      query = query.orderBy(s.key, s.dir);
    }
    if (q.limit !== undefined) query = query.limit(q.limit);
    return query.execute();
  }

  #filters(eb: EB, q: InstanceQuery): Expression<SqlBool>[] {
    const f: Expression<SqlBool>[] = [];
    if (q.deleted === 'no') f.push(eb('deleted', '=', 0));
    if (q.deleted === 'only') f.push(eb('deleted', '=', 1));
    if (q.projectId !== undefined) f.push(eb('project_id', '=', q.projectId));
    if (q.userId !== undefined) f.push(eb('user_id', '=', q.userId));
    if (q.statuses) f.push(q.statuses.length ? eb('status', 'in', q.statuses) : sql<SqlBool>`1 = 0`);
    if (q.host !== undefined) f.push(eb('host', '=', q.host));
    if (q.node !== undefined) f.push(eb('node', '=', q.node));
    if (q.imageRef !== undefined) f.push(eb('image_ref', '=', q.imageRef));
    if (q.flavorId !== undefined) f.push(eb('flavor_id', '=', q.flavorId));
    if (q.reservationId !== undefined) f.push(eb('reservation_id', '=', q.reservationId));
    if (q.availabilityZone !== undefined) f.push(eb('availability_zone', '=', q.availabilityZone));
    if (q.changesSince !== undefined) f.push(eb('updated_at', '>=', q.changesSince));
    if (q.changesBefore !== undefined) f.push(eb('updated_at', '<=', q.changesBefore));
    if (q.locked !== undefined) f.push(eb('locked', '=', q.locked ? 1 : 0));
    if (q.uuids) f.push(q.uuids.length ? eb('uuid', 'in', q.uuids) : sql<SqlBool>`1 = 0`);
    const tagged = (tag: string) =>
      eb.exists(
        eb
          .selectFrom('instance_tags')
          .select('instance_tags.tag')
          .whereRef('instance_tags.instance_uuid', '=', 'instances.uuid')
          .where('instance_tags.tag', '=', tag),
      );
    for (const t of q.tags ?? []) f.push(tagged(t));
    if (q.tagsAny?.length) f.push(eb.or(q.tagsAny.map(tagged)));
    if (q.notTags?.length) f.push(eb.not(eb.and(q.notTags.map(tagged))));
    if (q.notTagsAny?.length) f.push(eb.not(eb.or(q.notTagsAny.map(tagged))));
    return f;
  }

  /** Keyset condition "sorts after the marker" for a composite sort (nulls sort first, as in MySQL). */
  #after(eb: EB, sort: InstanceQuery['sort'], marker: InstanceRow): Expression<SqlBool> {
    const ors: Expression<SqlBool>[] = [];
    for (let i = 0; i < sort.length; i++) {
      const ands: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) {
        const k = sort[j]!.key;
        const v = marker[k];
        ands.push(v === null ? eb(k, 'is', null) : eb(k, '=', v));
      }
      const { key, dir } = sort[i]!;
      const v = marker[key];
      if (v === null) {
        // asc: everything non-null comes after null; desc: nothing after null.
        ands.push(dir === 'asc' ? eb(key, 'is not', null) : sql<SqlBool>`1 = 0`);
      } else {
        ands.push(dir === 'asc' ? eb(key, '>', v) : eb.or([eb(key, '<', v), eb(key, 'is', null)]));
      }
      ors.push(eb.and(ands));
    }
    return eb.or(ors);
  }

  /**
   * Compare-and-set update: applies only when the current task_state is one
   * of `expectedTaskStates` (when given) and the server is not deleted.
   */
  async update(uuid: string, patch: InstancePatch, expectedTaskStates?: (string | null)[]): Promise<boolean> {
    let q = this.db
      .updateTable('instances')
      .set({ ...patch, updated_at: patch.updated_at ?? dbTime() })
      .where('uuid', '=', uuid)
      .where('deleted', '=', 0);
    if (expectedTaskStates) {
      const values = expectedTaskStates.filter((t): t is string => t !== null);
      const nullOk = expectedTaskStates.includes(null);
      q = q.where((eb) => {
        const ors: Expression<SqlBool>[] = [];
        if (values.length) ors.push(eb('task_state', 'in', values));
        if (nullOk) ors.push(eb('task_state', 'is', null));
        return ors.length ? eb.or(ors) : sql<SqlBool>`1 = 0`;
      });
    }
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Stores the guest's password unless one is set already (Nova's metadata API: a second POST is a conflict). */
  async setPassword(uuid: string, password: string): Promise<'set' | 'already_set' | 'not_found'> {
    const r = await this.db
      .updateTable('instances')
      .set({ password })
      .where('uuid', '=', uuid)
      .where('deleted', '=', 0)
      .where('password', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return 'set';
    return (await this.get(uuid)) ? 'already_set' : 'not_found';
  }

  async clearPassword(uuid: string): Promise<void> {
    await this.db.updateTable('instances').set({ password: null }).where('uuid', '=', uuid).execute();
  }

  /** The network info cache of each live server (of a project) that has one: for the ip filters. */
  async networkInfos(projectId?: string): Promise<{ uuid: string; network_info: string | null }[]> {
    let q = this.db.selectFrom('instances').select(['uuid', 'network_info']).where('deleted', '=', 0).where('network_info', 'is not', null);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return q.execute();
  }

  async listByHost(host: string): Promise<InstanceRow[]> {
    return this.db.selectFrom('instances').selectAll().where('host', '=', host).where('deleted', '=', 0).execute();
  }

  /** Servers waiting for a host (BUILD, scheduling, no host yet) created before `before`. */
  async listUnscheduled(before: string): Promise<InstanceRow[]> {
    return this.db
      .selectFrom('instances')
      .selectAll()
      .where('deleted', '=', 0)
      .where('vm_state', '=', 'building')
      .where('task_state', '=', 'scheduling')
      .where('host', 'is', null)
      .where('created_at', '<', before)
      .execute();
  }

  /** Live servers in BUILD created before `before`, or with a task on one of `hosts`. */
  async listStuck(buildBefore: string, downHosts: string[]): Promise<InstanceRow[]> {
    return this.db
      .selectFrom('instances')
      .selectAll()
      .where('deleted', '=', 0)
      .where((eb) => {
        const ors: Expression<SqlBool>[] = [eb.and([eb('vm_state', '=', 'building'), eb('created_at', '<', buildBefore)])];
        if (downHosts.length) ors.push(eb.and([eb('host', 'in', downHosts), eb('task_state', 'is not', null)]));
        return eb.or(ors);
      })
      .execute();
  }

  // ------------------------------------------------------------ metadata

  async metadataOf(uuids: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(uuids.map((u) => [u, {}]));
    for (const chunk of chunks(uuids)) {
      const rows = await this.db.selectFrom('instance_metadata').selectAll().where('instance_uuid', 'in', chunk).execute();
      for (const r of rows) out.get(r.instance_uuid)![r.key] = r.value;
    }
    return out;
  }

  /** Replaces (`replace`) or merges metadata items. */
  async setMetadata(uuid: string, items: Record<string, string>, replace: boolean): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (replace) await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).execute();
      else if (Object.keys(items).length)
        await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).where('key', 'in', Object.keys(items)).execute();
      const rows = Object.entries(items).map(([key, value]) => ({ instance_uuid: uuid, key, value }));
      if (rows.length) await tx.insertInto('instance_metadata').values(rows).execute();
      await tx.updateTable('instances').set({ updated_at: dbTime() }).where('uuid', '=', uuid).execute();
    });
  }

  async deleteMetadata(uuid: string, key: string): Promise<boolean> {
    const r = await this.db.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ------------------------------------------------------------ tags

  async tagsOf(uuids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(uuids.map((u) => [u, []]));
    for (const chunk of chunks(uuids)) {
      const rows = await this.db.selectFrom('instance_tags').selectAll().where('instance_uuid', 'in', chunk).orderBy('tag').execute();
      for (const r of rows) out.get(r.instance_uuid)!.push(r.tag);
    }
    return out;
  }

  async replaceTags(uuid: string, tags: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('instance_tags').where('instance_uuid', '=', uuid).execute();
      if (tags.length)
        await tx
          .insertInto('instance_tags')
          .values(tags.map((tag) => ({ instance_uuid: uuid, tag })))
          .execute();
    });
  }

  async addTag(uuid: string, tag: string): Promise<boolean> {
    try {
      await this.db.insertInto('instance_tags').values({ instance_uuid: uuid, tag }).execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async deleteTag(uuid: string, tag: string | undefined): Promise<number> {
    let q = this.db.deleteFrom('instance_tags').where('instance_uuid', '=', uuid);
    if (tag !== undefined) q = q.where('tag', '=', tag);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // ------------------------------------------------------------ faults

  async addFault(f: Omit<InstanceFaultRow, 'id' | 'created_at'>): Promise<void> {
    await this.db
      .insertInto('instance_faults')
      .values({ ...f, message: f.message.slice(0, 255), id: newUuid(), created_at: dbTime() })
      .execute();
  }

  /** The latest fault of each server. */
  async latestFaults(uuids: string[]): Promise<Map<string, InstanceFaultRow>> {
    const out = new Map<string, InstanceFaultRow>();
    for (const chunk of chunks(uuids)) {
      const rows = await this.db
        .selectFrom('instance_faults')
        .selectAll()
        .where('instance_uuid', 'in', chunk)
        .orderBy('created_at', 'asc')
        .execute();
      for (const r of rows) out.set(r.instance_uuid, r);
    }
    return out;
  }

  // ------------------------------------------------------------ instance actions

  /** Records an action and its first event (started now). */
  async startAction(
    a: Omit<InstanceActionRow, 'id' | 'start_time' | 'finish_time' | 'updated_at' | 'message'>,
    event: string | null,
    host: string | null = null,
  ): Promise<void> {
    const now = dbTime();
    await this.db.transaction().execute(async (tx) => {
      let action = await tx
        .selectFrom('instance_actions')
        .select('id')
        .where('instance_uuid', '=', a.instance_uuid)
        .where('request_id', '=', a.request_id)
        .executeTakeFirst();
      if (!action) {
        action = { id: newUuid() };
        await tx
          .insertInto('instance_actions')
          .values({ ...a, id: action.id, message: null, start_time: now, finish_time: null, updated_at: now })
          .execute();
      }
      if (event === null) return;
      await tx
        .insertInto('instance_action_events')
        .values({ id: newUuid(), action_id: action.id, event, start_time: now, finish_time: null, result: null, traceback: null, host })
        .execute();
    });
  }

  /** Adds an event to an existing action (the action of `requestId`). */
  async startEvent(instanceUuid: string, requestId: string, event: string, host: string | null): Promise<void> {
    const action = await this.#action(instanceUuid, requestId);
    if (!action) return;
    const now = dbTime();
    await this.db
      .insertInto('instance_action_events')
      .values({ id: newUuid(), action_id: action.id, event, start_time: now, finish_time: null, result: null, traceback: null, host })
      .execute();
    await this.db.updateTable('instance_actions').set({ updated_at: now }).where('id', '=', action.id).execute();
  }

  /** Finishes the open event `event` of the action (creating it if it never started); an Error result marks the action's message. */
  async finishEvent(
    instanceUuid: string,
    requestId: string,
    event: string,
    result: 'Success' | 'Error',
    traceback: string | null,
    host: string | null,
  ): Promise<void> {
    const action = await this.#action(instanceUuid, requestId);
    if (!action) return;
    const now = dbTime();
    const open = await this.db
      .selectFrom('instance_action_events')
      .select('id')
      .where('action_id', '=', action.id)
      .where('event', '=', event)
      .where('finish_time', 'is', null)
      .executeTakeFirst();
    if (open) {
      await this.db
        .updateTable('instance_action_events')
        .set({ finish_time: now, result, traceback, host: host ?? undefined })
        .where('id', '=', open.id)
        .execute();
    } else {
      await this.db
        .insertInto('instance_action_events')
        .values({ id: newUuid(), action_id: action.id, event, start_time: now, finish_time: now, result, traceback, host })
        .execute();
    }
    await this.db
      .updateTable('instance_actions')
      .set({ updated_at: now, ...(result === 'Error' ? { message: 'Error' } : {}) })
      .where('id', '=', action.id)
      .execute();
  }

  async #action(instanceUuid: string, requestId: string): Promise<{ id: string } | undefined> {
    return this.db
      .selectFrom('instance_actions')
      .select('id')
      .where('instance_uuid', '=', instanceUuid)
      .where('request_id', '=', requestId)
      .executeTakeFirst();
  }

  async listActions(
    instanceUuid: string,
    opts: { changesSince?: string; changesBefore?: string; limit?: number; marker?: InstanceActionRow } = {},
  ): Promise<InstanceActionRow[]> {
    let q = this.db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid);
    if (opts.changesSince) q = q.where('updated_at', '>=', opts.changesSince);
    if (opts.changesBefore) q = q.where('updated_at', '<=', opts.changesBefore);
    const m = opts.marker;
    if (m) {
      q = q.where((eb) => eb.or([eb('start_time', '<', m.start_time), eb.and([eb('start_time', '=', m.start_time), eb('id', '<', m.id)])]));
    }
    q = q.orderBy('start_time', 'desc').orderBy('id', 'desc');
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    return q.execute();
  }

  async getAction(
    instanceUuid: string,
    requestId: string,
  ): Promise<{ action: InstanceActionRow; events: InstanceActionEventRow[] } | undefined> {
    const action = await this.db
      .selectFrom('instance_actions')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    if (!action) return undefined;
    const events = await this.db
      .selectFrom('instance_action_events')
      .selectAll()
      .where('action_id', '=', action.id)
      .orderBy('start_time', 'asc')
      .execute();
    return { action, events };
  }
}

/** Bound parameters per IN list: far below every backend's limit. */
function* chunks<T>(items: T[], size = 500): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
