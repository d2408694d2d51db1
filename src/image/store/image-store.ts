import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { Image, ImageListQuery, ImageStatus } from '../domain/models.js';
import type { ImageKysely } from './image-database.js';
import type { ImageDB, ImageRow } from './schema.js';

/** Which images a lister may see (the rules are the domain's; this is their SQL). */
export interface ListScope {
  /** Admins see every image, whatever its visibility. */
  admin: boolean;
  projectId: string | null;
}

const toImage = (r: ImageRow, tags: string[], properties: Record<string, string>): Image => ({
  id: r.id,
  name: r.name,
  status: r.status as ImageStatus,
  visibility: r.visibility as Image['visibility'],
  protected: Boolean(r.protected),
  osHidden: Boolean(r.os_hidden),
  owner: r.owner,
  checksum: r.checksum,
  osHashAlgo: r.os_hash_algo,
  osHashValue: r.os_hash_value,
  size: r.size === null ? null : Number(r.size),
  virtualSize: r.virtual_size === null ? null : Number(r.virtual_size),
  minDisk: r.min_disk,
  minRam: r.min_ram,
  diskFormat: r.disk_format as Image['diskFormat'],
  containerFormat: r.container_format as Image['containerFormat'],
  location: r.location,
  stagedSize: r.staged_size === null ? null : Number(r.staged_size),
  stagedLocation: r.staged_location,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
  tags,
  properties,
});

const toRow = (i: Image): ImageRow => ({
  id: i.id,
  name: i.name,
  status: i.status,
  visibility: i.visibility,
  protected: i.protected ? 1 : 0,
  os_hidden: i.osHidden ? 1 : 0,
  owner: i.owner,
  checksum: i.checksum,
  os_hash_algo: i.osHashAlgo,
  os_hash_value: i.osHashValue,
  size: i.size,
  virtual_size: i.virtualSize,
  min_disk: i.minDisk,
  min_ram: i.minRam,
  disk_format: i.diskFormat,
  container_format: i.containerFormat,
  location: i.location,
  staged_size: i.stagedSize,
  staged_location: i.stagedLocation,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
  deleted: i.status === 'deleted' ? 1 : 0,
  deleted_at: i.deletedAt,
});

type Eb = ExpressionBuilder<ImageDB, 'images'>;

/** Persistence of images, their properties and tags. */
export class ImageStore {
  constructor(private readonly db: ImageKysely) {}

  /** Any image, deleted ones included (ids are never reused). */
  async get(id: string): Promise<Image | undefined> {
    const row = await this.db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return (await this.#hydrate([row]))[0];
  }

  async getMany(ids: string[]): Promise<Image[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('images').selectAll().where('id', 'in', ids).execute();
    const byId = new Map((await this.#hydrate(rows)).map((i) => [i.id, i]));
    return ids.map((id) => byId.get(id)).filter((i): i is Image => i !== undefined);
  }

  async #hydrate(rows: ImageRow[]): Promise<Image[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [tags, props] = await Promise.all([
      this.db.selectFrom('image_tags').selectAll().where('image_id', 'in', ids).orderBy('value').execute(),
      this.db.selectFrom('image_properties').selectAll().where('image_id', 'in', ids).orderBy('name').execute(),
    ]);
    const tagMap = new Map<string, string[]>();
    for (const t of tags) tagMap.set(t.image_id, [...(tagMap.get(t.image_id) ?? []), t.value]);
    const propMap = new Map<string, Record<string, string>>();
    for (const p of props) {
      const m = propMap.get(p.image_id) ?? {};
      m[p.name] = p.value;
      propMap.set(p.image_id, m);
    }
    return rows.map((r) => toImage(r, tagMap.get(r.id) ?? [], propMap.get(r.id) ?? {}));
  }

  async insert(image: Image): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('images').values(toRow(image)).execute();
      await writeChildren(tx, image);
    });
  }

  /**
   * Writes every attribute of `image`. With `expectStatus`, only when the
   * stored status is one of those (a compare-and-set that makes status
   * transitions safe across processes); returns whether it wrote.
   */
  async save(image: Image, expectStatus?: readonly ImageStatus[]): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      let q = tx.updateTable('images').set(toRow(image)).where('id', '=', image.id);
      if (expectStatus) q = q.where('status', 'in', [...expectStatus]);
      const res = await q.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await tx.deleteFrom('image_tags').where('image_id', '=', image.id).execute();
      await tx.deleteFrom('image_properties').where('image_id', '=', image.id).execute();
      await writeChildren(tx, image);
      return true;
    });
  }

  /** Ids of the images matching `q` that `scope` may list, in order, one page after the marker. */
  async listIds(q: ImageListQuery, scope: ListScope): Promise<{ ids: string[]; markerFound: boolean }> {
    let query = this.db
      .selectFrom('images')
      .select('id')
      .where('deleted', '=', 0)
      .where((eb) => visibilityCondition(eb, q, scope));
    if (q.osHidden !== undefined) query = query.where('os_hidden', '=', q.osHidden ? 1 : 0);
    for (const w of q.where) {
      const col = sql.ref(`images.${w.column}`);
      if (w.op === 'in') query = query.where(col, 'in', w.values);
      else query = query.where(col, OPS[w.op], w.values[0] ?? null);
    }
    for (const tag of q.tags) {
      query = query.where((eb) =>
        eb.exists(
          eb.selectFrom('image_tags').select('image_id').whereRef('image_tags.image_id', '=', 'images.id').where('value', '=', tag),
        ),
      );
    }
    for (const [name, value] of Object.entries(q.properties)) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('image_properties')
            .select('image_id')
            .whereRef('image_properties.image_id', '=', 'images.id')
            .where('name', '=', name)
            .where('value', '=', value),
        ),
      );
    }
    for (const s of q.sort) query = query.orderBy(sql.ref(`images.${s.key}`), s.dir);
    if (!q.sort.some((s) => s.key === 'id')) query = query.orderBy('id', q.sort[q.sort.length - 1]?.dir ?? 'desc');
    // Pages are cut in memory from the ordered ids: marker semantics stay exact for any sort keys
    // (nulls, ties) at the cost of reading one id per matching image.
    const all = (await query.execute()).map((r) => r.id);
    let start = 0;
    let markerFound = true;
    if (q.marker !== undefined) {
      const at = all.indexOf(q.marker);
      markerFound = at >= 0;
      start = at + 1;
    }
    return { ids: all.slice(start, start + q.limit), markerFound };
  }

  /** Images and bytes a project holds, for quotas. */
  async usage(owner: string): Promise<{ count: number; bytes: number; staged: number }> {
    const r = await this.db
      .selectFrom('images')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('count'),
        eb.fn.coalesce(eb.fn.sum<number | string>('size'), sql<number>`0`).as('bytes'),
        eb.fn.coalesce(eb.fn.sum<number | string>('staged_size'), sql<number>`0`).as('staged'),
      ])
      .where('owner', '=', owner)
      .where('deleted', '=', 0)
      .executeTakeFirstOrThrow();
    return { count: Number(r.count), bytes: Number(r.bytes), staged: Number(r.staged) };
  }
}

const OPS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

async function writeChildren(tx: ImageKysely, image: Image): Promise<void> {
  if (image.tags.length > 0) {
    await tx
      .insertInto('image_tags')
      .values(image.tags.map((value) => ({ image_id: image.id, value })))
      .execute();
  }
  const props = Object.entries(image.properties);
  if (props.length > 0) {
    await tx
      .insertInto('image_properties')
      .values(props.map(([name, value]) => ({ image_id: image.id, name, value })))
      .execute();
  }
}

// Literal conditions: drivers differ on binding booleans (better-sqlite3 refuses them).
const ALWAYS = sql<SqlBool>`1 = 1`;
const NEVER = sql<SqlBool>`1 = 0`;

/** Glance's list visibility rules, as SQL. */
function visibilityCondition(eb: Eb, q: ImageListQuery, scope: ListScope): Expression<SqlBool> {
  const vis = q.visibility;
  const own = scope.projectId === null ? NEVER : eb('owner', '=', scope.projectId);
  const memberOf = (): Expression<SqlBool> => {
    if (scope.projectId === null) return NEVER;
    let sub = eb
      .selectFrom('image_members')
      .select('image_id')
      .whereRef('image_members.image_id', '=', 'images.id')
      .where('member', '=', scope.projectId);
    const status = q.memberStatus ?? 'accepted';
    if (status !== 'all') sub = sub.where('status', '=', status);
    return eb.and([eb('visibility', '=', 'shared'), eb.exists(sub)]);
  };
  if (vis !== undefined && vis !== 'all') {
    const isVis = eb('visibility', '=', vis);
    if (scope.admin || vis === 'public' || vis === 'community') return isVis;
    if (vis === 'private') return eb.and([isVis, own]);
    return eb.or([eb.and([isVis, own]), memberOf()]);
  }
  if (scope.admin) return ALWAYS;
  const visible = [own, eb('visibility', '=', 'public'), memberOf()];
  if (vis === 'all') visible.push(eb('visibility', '=', 'community'));
  return eb.or(visible);
}
