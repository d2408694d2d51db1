import { networkInfoOf } from './server-network.js';
import { badRequest, forbidden } from '../../lib/errors.js';
import { parseTime, dbTime } from '../../lib/time.js';
import { SORT_KEYS, type InstanceQuery, type SortKey } from '../store/server-store.js';
import type { InstanceRow } from '../store/server-tables.js';
import type { ComputeCaller } from './caller.js';
import { KNOWN_STATUSES } from './instance-states.js';
import { refId, type ServerRecord, type ServerService } from './server-service.js';

/** Nova's osapi_max_limit. */
export const MAX_LIMIT = 1000;

/** Query parameters of GET /servers[/detail] (each may repeat: arrays). */
export type ListParams = Record<string, string | string[] | undefined>;

export interface ListOptions {
  /** Admin-only filters are honoured (policy os_compute_api:servers:allow_all_filters). */
  allFilters: boolean;
  /** all_tenants allowed (policy os_compute_api:servers:index:get_all_tenants). */
  allTenants: boolean;
  /** Microversion ≥ 2.66 (changes-before), ≥ 2.73 (locked). */
  changesBefore: boolean;
  lockedFilter: boolean;
  /** user_data is shown (admins' extended attributes at 2.3+): load it. */
  userData: boolean;
  /** Microversion ≥ 2.38. */
  invalidStatusIs400: boolean;
}

export interface ListResult {
  servers: ServerRecord[];
  /** Marker for the next page when this page is full. */
  next: string | undefined;
  limit: number | undefined;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const truthy = (v: string): boolean => ['1', 't', 'true', 'on', 'y', 'yes'].includes(v.toLowerCase());
const splitTags = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').filter((t) => t !== ''));

/** Lists servers with Nova's filters, sorting and marker paging. */
export async function listServers(svc: ServerService, caller: ComputeCaller, p: ListParams, o: ListOptions): Promise<ListResult> {
  const q: InstanceQuery = { deleted: 'no', sort: [] };
  const allTenantsRaw = one(p.all_tenants);
  const allTenants = allTenantsRaw !== undefined && (allTenantsRaw === '' || truthy(allTenantsRaw));
  if (allTenants && !o.allTenants) throw forbidden("Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.");
  const admin = o.allFilters;
  const projectFilter = admin ? (one(p.project_id) ?? one(p.tenant_id)) : undefined;
  if (!allTenants) q.projectId = caller.projectId ?? '';
  if (projectFilter !== undefined && (allTenants || admin)) q.projectId = projectFilter;

  // Names are Python regexes in Nova; a plain string becomes a cheap substring match in SQL.
  let nameRe: RegExp | undefined;
  const name = one(p.name);
  if (name !== undefined && name !== '') {
    try {
      nameRe = new RegExp(name);
    } catch {
      nameRe = new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    }
  }

  const statuses = many(p.status).map((s) => s.toUpperCase());
  if (statuses.length) {
    q.statuses = statuses.filter((s) => KNOWN_STATUSES.has(s));
    // Nova: an unknown status lists nothing, and is a 400 from 2.38 on.
    if (!q.statuses.length && o.invalidStatusIs400) throw badRequest('Invalid status value', 'invalid_status');
  }
  if (p.image !== undefined) q.imageRef = refId(one(p.image)!);
  if (p.flavor !== undefined) q.flavorId = refId(one(p.flavor)!);
  if (p.reservation_id !== undefined) q.reservationId = one(p.reservation_id);
  const since = one(p['changes-since']);
  if (since !== undefined) q.changesSince = time(since, 'changes-since');
  const before = o.changesBefore ? one(p['changes-before']) : undefined;
  if (before !== undefined) q.changesBefore = time(before, 'changes-before');
  if (q.changesSince && q.changesBefore && q.changesSince > q.changesBefore)
    throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  // changes-since/-before also return servers deleted meanwhile, as Nova does.
  if (since !== undefined || before !== undefined) q.deleted = 'any';
  if (o.lockedFilter && p.locked !== undefined) {
    const v = one(p.locked)!.toLowerCase();
    if (!['true', 'false', '1', '0', 't', 'f', 'yes', 'no', 'on', 'off'].includes(v))
      throw badRequest(`Invalid input for query parameters locked. Value: ${v}. Only a boolean value is allowed.`);
    q.locked = truthy(v);
  }
  q.tags = splitTags(one(p.tags));
  q.tagsAny = splitTags(one(p['tags-any']));
  q.notTags = splitTags(one(p['not-tags']));
  q.notTagsAny = splitTags(one(p['not-tags-any']));
  if (admin) {
    if (p.host !== undefined) q.host = one(p.host);
    if (p.node !== undefined) q.node = one(p.node);
    if (p.user_id !== undefined) q.userId = one(p.user_id);
    if (p.availability_zone !== undefined) q.availabilityZone = one(p.availability_zone);
    if (p.uuid !== undefined) q.uuids = many(p.uuid);
    const deleted = one(p.deleted);
    if (deleted !== undefined) q.deleted = truthy(deleted) ? 'only' : 'no';
  }
  // ip and ip6 are Python regexes matched (anchored at the start) against the servers' fixed addresses.
  const ipFilters = (['ip', 'ip6'] as const).flatMap((k) => {
    const v = one(p[k]);
    if (v === undefined) return [];
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${v})`);
    } catch {
      re = new RegExp(`^${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    }
    return [{ v6: k === 'ip6', re }];
  });
  if (ipFilters.length > 0) {
    const matching = (await svc.store.networkInfos(q.projectId))
      .map((r) => ({ uuid: r.uuid, addresses: networkInfoOf(r.network_info).flatMap((n) => n.fixedIps.map((f) => f.ipAddress)) }))
      .filter((r) => ipFilters.every((f) => r.addresses.some((a) => a.includes(':') === f.v6 && f.re.test(a))));
    const ids = matching.map((r) => r.uuid);
    q.uuids = q.uuids ? q.uuids.filter((u) => ids.includes(u)) : ids;
  }

  q.sort = sortOf(p);
  const limitRaw = one(p.limit);
  let limit: number | undefined;
  if (limitRaw !== undefined) {
    if (!/^\d+$/.test(limitRaw))
      throw badRequest(`Invalid input for query parameters limit. Value: ${limitRaw}. '${limitRaw}' does not match '^[0-9]*$'`);
    limit = Math.min(Number(limitRaw), MAX_LIMIT);
  }
  const markerId = one(p.marker);
  if (markerId !== undefined) {
    const m = await svc.store.get(markerId, true);
    if (!m || (q.projectId !== undefined && m.project_id !== q.projectId))
      throw badRequest(`marker [${markerId}] not found`, 'marker_not_found');
    q.marker = m;
  }

  const lean = { userData: o.userData };
  let rows: InstanceRow[];
  if (nameRe) {
    const re = nameRe;
    rows = (await svc.store.list({ ...q, limit: undefined }, lean)).filter((r) => re.test(r.display_name));
    if (limit !== undefined) rows = rows.slice(0, limit);
  } else {
    rows = await svc.store.list({ ...q, limit: limit ?? MAX_LIMIT }, lean);
  }
  const effective = limit ?? MAX_LIMIT;
  const next = rows.length === effective && rows.length > 0 ? rows[rows.length - 1]!.uuid : undefined;
  return { servers: await svc.records(rows), next, limit };
}

function time(v: string, field: string): string {
  const d = parseTime(v);
  if (!d) throw badRequest(`Invalid input for query parameters ${field}. Value: ${v}. '${v}' is not a 'date-time'`);
  return dbTime(d);
}

/** Nova's sort_key → column; unknown keys are 400 (as the 2.1 query schema). */
const SORT_ALIASES: Record<string, SortKey> = {
  display_name: 'display_name',
  name: 'display_name',
  created_at: 'created_at',
  updated_at: 'updated_at',
  uuid: 'uuid',
  id: 'uuid',
  image_ref: 'image_ref',
  host: 'host',
  node: 'node',
};

function sortOf(p: ListParams): InstanceQuery['sort'] {
  const keys = many(p.sort_key);
  const dirs = many(p.sort_dir);
  const sort: InstanceQuery['sort'] = [];
  keys.forEach((k, i) => {
    const key = SORT_ALIASES[k] ?? (SORT_KEYS as readonly string[]).find((s) => s === k);
    if (!key) throw badRequest(`Invalid input for query parameters sort_key. Value: ${k}.`);
    const dir = (dirs[i] ?? dirs[0] ?? 'desc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid input for query parameters sort_dir. Value: ${dir}.`);
    sort.push({ key: key as SortKey, dir });
  });
  if (!sort.length) sort.push({ key: 'created_at', dir: 'desc' });
  if (!sort.some((s) => s.key === 'uuid')) sort.push({ key: 'uuid', dir: sort[sort.length - 1]!.dir });
  return sort;
}
