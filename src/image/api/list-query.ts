import { badRequest } from '../../lib/errors.js';
import { parseTime } from '../../lib/time.js';
import { MEMBER_STATUSES, VISIBILITIES, type FilterOp, type ImageListQuery } from '../domain/models.js';

const SORT_KEYS = new Set([
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
  'visibility',
  'owner',
  'min_disk',
  'min_ram',
  'virtual_size',
]);
/** Columns filtered by exact value or `in:a,b`. */
const VALUE_FILTERS = new Set(['name', 'status', 'disk_format', 'container_format', 'owner', 'id', 'checksum', 'os_hash_value']);
const TIME_FILTERS = new Set(['created_at', 'updated_at']);
const PAGING = new Set(['limit', 'marker', 'sort_key', 'sort_dir', 'sort']);
const OPS: readonly FilterOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];

const one = (v: unknown, key: string): string => {
  if (Array.isArray(v)) throw badRequest(`Only one value of '${key}' may be given.`);
  return String(v);
};
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

/** `in:a,"b,c"` → ['a', 'b,c'] (Glance allows quoting values that hold commas). */
function inValues(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string).trim());
  return out;
}

function bool(v: string, key: string): boolean {
  const s = v.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw badRequest(`Invalid value for ${key}: '${v}' is not a boolean.`);
}

function nonNegativeInt(v: string, key: string): number {
  if (!/^\d+$/.test(v)) throw badRequest(`${key} param must be an integer`);
  return Number(v);
}

/** Reads Glance's image list parameters: filters, sorting and paging. */
export function parseImageListQuery(raw: Record<string, unknown>, limits: { defaultLimit: number; maxLimit: number }): ImageListQuery {
  const q: ImageListQuery = { where: [], tags: [], properties: {}, sort: [], limit: limits.defaultLimit };
  if (raw.limit !== undefined) {
    const s = one(raw.limit, 'limit');
    if (/^-\d+$/.test(s)) throw badRequest('limit param must be positive');
    q.limit = Math.min(nonNegativeInt(s, 'limit'), limits.maxLimit);
  }
  if (raw.marker !== undefined) q.marker = one(raw.marker, 'marker');
  q.sort = parseSort(raw);

  for (const [key, v] of Object.entries(raw)) {
    if (PAGING.has(key) || v === undefined) continue;
    if (key === 'visibility') {
      const s = one(v, key);
      if (s !== 'all' && !(VISIBILITIES as readonly string[]).includes(s)) throw badRequest(`Invalid visibility value: ${s}`);
      q.visibility = s as ImageListQuery['visibility'];
    } else if (key === 'member_status') {
      const s = one(v, key);
      if (s !== 'all' && !(MEMBER_STATUSES as readonly string[]).includes(s)) throw badRequest(`Invalid status value: ${s}`);
      q.memberStatus = s as ImageListQuery['memberStatus'];
    } else if (key === 'os_hidden') {
      q.osHidden = bool(one(v, key), key);
    } else if (key === 'protected') {
      q.where.push({ column: 'protected', op: 'eq', values: [bool(one(v, key), key) ? 1 : 0] });
    } else if (key === 'tag') {
      q.tags.push(...list(v));
    } else if (key === 'size_min' || key === 'size_max') {
      q.where.push({ column: 'size', op: key === 'size_min' ? 'gte' : 'lte', values: [nonNegativeInt(one(v, key), key)] });
    } else if (key === 'size' || key === 'min_disk' || key === 'min_ram' || key === 'virtual_size') {
      q.where.push({ column: key, op: 'eq', values: [nonNegativeInt(one(v, key), key)] });
    } else if (TIME_FILTERS.has(key)) {
      const s = one(v, key);
      const m = /^(eq|neq|gt|gte|lt|lte):(.*)$/.exec(s);
      const op = (m?.[1] ?? 'eq') as FilterOp;
      const t = parseTime(m ? (m[2] as string) : s);
      if (!t || !OPS.includes(op)) throw badRequest(`Unable to filter on a ${key} with value '${s}'.`);
      q.where.push({ column: key, op, values: [t.toISOString()] });
    } else if (VALUE_FILTERS.has(key)) {
      const s = one(v, key);
      if (s.startsWith('in:')) q.where.push({ column: key, op: 'in', values: inValues(s.slice(3)) });
      else q.where.push({ column: key, op: 'eq', values: [s] });
    } else {
      q.properties[key] = one(v, key);
    }
  }
  if (q.osHidden === undefined) q.osHidden = false;
  return q;
}

function parseSort(raw: Record<string, unknown>): ImageListQuery['sort'] {
  const checkKey = (k: string): string => {
    if (!SORT_KEYS.has(k)) throw badRequest(`Invalid sort key: ${k}. It must be one of the following: ${[...SORT_KEYS].join(', ')}.`);
    return k;
  };
  const checkDir = (d: string): 'asc' | 'desc' => {
    if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort direction: ${d}`);
    return d;
  };
  if (raw.sort !== undefined) {
    if (raw.sort_key !== undefined || raw.sort_dir !== undefined)
      throw badRequest('The sort param can not be used with sort_key or sort_dir.');
    return one(raw.sort, 'sort')
      .split(',')
      .map((part) => {
        const [k, d] = part.trim().split(':');
        return { key: checkKey((k ?? '').trim()), dir: checkDir((d ?? 'desc').trim()) };
      });
  }
  const keys = raw.sort_key === undefined ? ['created_at'] : list(raw.sort_key).map(checkKey);
  const dirs = raw.sort_dir === undefined ? [] : list(raw.sort_dir).map(checkDir);
  if (dirs.length > keys.length) throw badRequest('The number of sort_dir values must not exceed the number of sort_key values.');
  if (dirs.length > 1 && dirs.length !== keys.length) throw badRequest('Number of sort dirs does not match the number of sort keys');
  return keys.map((key, i) => ({ key, dir: dirs[i] ?? dirs[0] ?? 'desc' }));
}
