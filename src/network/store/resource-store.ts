import { MysqlAdapter, SqliteAdapter, type Kysely } from 'kysely';
import type { NetworkDB, NetworkResourceTable } from './schema.js';

/** The resource kinds the network service stores. */
export type ResourceKind =
  'agent' | 'network' | 'subnet' | 'port' | 'security_group' | 'security_group_rule' | 'router' | 'floatingip' | 'subnetpool';

/** A stored resource: its attributes plus the standard attributes kept in columns. */
export interface Stored<T> {
  id: string;
  projectId: string;
  parentId: string | null;
  body: T;
  revisionNumber: number;
  createdAt: string;
  updatedAt: string;
}

export type NetworkKysely = Kysely<NetworkDB>;

/** A claim another owner holds (a duplicate address, MAC, segment...). */
export class ClaimTaken extends Error {
  constructor(readonly claim: string) {
    super(`claim ${claim} is taken`);
  }
}

/** Neutron's timestamps: seconds, UTC, `Z`. */
export const neutronTime = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function toStored<T>(r: NetworkResourceTable): Stored<T> {
  return {
    id: r.id,
    projectId: r.project_id,
    parentId: r.parent_id,
    body: JSON.parse(r.body) as T,
    revisionNumber: Number(r.revision_number),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Generic persistence for every network resource kind. Writes that must not
 * race (allocate an address, a MAC, a VNI) go through claims inside the
 * same transaction as the resource they belong to.
 */
export class ResourceStore {
  constructor(readonly db: NetworkKysely) {}

  /** Runs `fn` in one transaction with a store bound to it. */
  transaction<R>(fn: (tx: ResourceStore) => Promise<R>): Promise<R> {
    if (this.db.isTransaction) return fn(this);
    return this.db.transaction().execute((trx) => fn(new ResourceStore(trx as unknown as NetworkKysely)));
  }

  async get<T>(kind: ResourceKind, id: string): Promise<Stored<T> | undefined> {
    const row = await this.db.selectFrom('network_resources').selectAll().where('id', '=', id).where('kind', '=', kind).executeTakeFirst();
    return row ? toStored<T>(row) : undefined;
  }

  async list<T>(kind: ResourceKind, where: { projectId?: string; parentId?: string; ids?: string[] } = {}): Promise<Stored<T>[]> {
    if (where.ids && where.ids.length === 0) return [];
    let q = this.db.selectFrom('network_resources').selectAll().where('kind', '=', kind);
    if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
    if (where.parentId !== undefined) q = q.where('parent_id', '=', where.parentId);
    if (where.ids) q = q.where('id', 'in', where.ids);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => toStored<T>(r));
  }

  async count(kind: ResourceKind, where: { projectId?: string; parentId?: string }): Promise<number> {
    let q = this.db
      .selectFrom('network_resources')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', kind);
    if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
    if (where.parentId !== undefined) q = q.where('parent_id', '=', where.parentId);
    const row = await q.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async insert<T>(
    kind: ResourceKind,
    r: { id: string; projectId: string; parentId?: string | null; body: T },
    claims: string[] = [],
  ): Promise<Stored<T>> {
    const now = neutronTime();
    return this.transaction(async (tx) => {
      for (const c of claims) await tx.claim(c, r.id);
      await tx.db
        .insertInto('network_resources')
        .values({
          id: r.id,
          kind,
          project_id: r.projectId,
          parent_id: r.parentId ?? null,
          body: JSON.stringify(r.body),
          revision_number: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return {
        id: r.id,
        projectId: r.projectId,
        parentId: r.parentId ?? null,
        body: r.body,
        revisionNumber: 0,
        createdAt: now,
        updatedAt: now,
      };
    });
  }

  /** Replaces the attributes and bumps the revision. */
  async update<T>(kind: ResourceKind, id: string, body: T): Promise<void> {
    await this.db
      .updateTable('network_resources')
      .set((eb) => ({ body: JSON.stringify(body), revision_number: eb('revision_number', '+', 1), updated_at: neutronTime() }))
      .where('id', '=', id)
      .where('kind', '=', kind)
      .execute();
  }

  /** Deletes a resource and every claim it held. */
  async delete(kind: ResourceKind, id: string): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.db.deleteFrom('network_claims').where('owner_id', '=', id).execute();
      await tx.db.deleteFrom('network_resources').where('id', '=', id).where('kind', '=', kind).execute();
    });
  }

  /** Takes a claim for `owner`; throws ClaimTaken when another owner holds it. */
  async claim(claim: string, owner: string): Promise<void> {
    if (!(await this.tryClaim(claim, owner))) throw new ClaimTaken(claim);
  }

  /**
   * Takes a claim unless it is held. A conflict is not an error here: on
   * PostgreSQL a failed statement would abort the whole transaction, so the
   * insert skips duplicates (ON CONFLICT DO NOTHING / INSERT IGNORE).
   */
  async tryClaim(claim: string, owner: string): Promise<boolean> {
    const values = { claim, owner_id: owner };
    const q =
      this.db.getExecutor().adapter instanceof MysqlAdapter
        ? this.db.insertInto('network_claims').ignore().values(values)
        : this.db
            .insertInto('network_claims')
            .values(values)
            .onConflict((oc) => oc.column('claim').doNothing());
    const r = await q.executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async release(claim: string): Promise<void> {
    await this.db.deleteFrom('network_claims').where('claim', '=', claim).execute();
  }

  /** Claims whose text starts with `prefix`, with their owners. */
  async claims(prefix: string): Promise<{ claim: string; ownerId: string }[]> {
    // SQLite's LIKE cannot use the primary-key index (BINARY collation); a range on it can, and means the same
    // there. Other databases keep LIKE: their collations need not order text byte by byte.
    const upper = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
    const q = this.db.selectFrom('network_claims').selectAll();
    const rows = await (
      this.db.getExecutor().adapter instanceof SqliteAdapter && prefix !== ''
        ? q.where('claim', '>=', prefix).where('claim', '<', upper)
        : q.where('claim', 'like', `${prefix}%`)
    ).execute();
    return rows.map((r) => ({ claim: r.claim, ownerId: r.owner_id }));
  }

  async quotas(projectId: string): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('network_quotas').selectAll().where('project_id', '=', projectId).execute();
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.hard_limit)]));
  }

  async setQuota(projectId: string, resource: string, limit: number): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.db.deleteFrom('network_quotas').where('project_id', '=', projectId).where('resource', '=', resource).execute();
      await tx.db.insertInto('network_quotas').values({ project_id: projectId, resource, hard_limit: limit }).execute();
    });
  }

  async deleteQuotas(projectId: string): Promise<void> {
    await this.db.deleteFrom('network_quotas').where('project_id', '=', projectId).execute();
  }
}
