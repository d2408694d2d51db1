import type { FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';
import { badRequestOf } from '../domain/errors.js';

type View = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;

const RESERVED = new Set([
  'fields',
  'sort_key',
  'sort_dir',
  'limit',
  'marker',
  'page_reverse',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
]);

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Does an attribute value match a filter text? Booleans as true/false, null as '', lists by membership. */
function matches(attr: unknown, wanted: string): boolean {
  if (attr === null || attr === undefined) return wanted === '' || wanted === 'null' || wanted === 'None';
  if (typeof attr === 'boolean') return String(attr) === wanted.toLowerCase();
  if (typeof attr === 'number') return String(attr) === wanted;
  if (typeof attr === 'string') return attr === wanted;
  if (Array.isArray(attr)) return attr.some((a) => matches(a, wanted));
  return false;
}

/** `fixed_ips=ip_address=10.0.0.3` and `fixed_ips=subnet_id=X` filter on the items of fixed_ips. */
function matchesFixedIps(view: View, wanted: string): boolean {
  const [key, ...rest] = wanted.split('=');
  const val = rest.join('=');
  const ips = (view.fixed_ips as { subnet_id: string; ip_address: string }[] | undefined) ?? [];
  if (key === 'ip_address_substr') return ips.some((f) => f.ip_address.includes(val));
  return ips.some((f) => (f as unknown as Record<string, string>)[key!] === val);
}

function tagFilter(view: View, q: Query): boolean {
  const tags = (view.tags as string[] | undefined) ?? [];
  const list = (k: string): string[] =>
    values(q[k])
      .flatMap((v) => v.split(','))
      .filter(Boolean);
  const all = list('tags');
  const any = list('tags-any');
  const notAll = list('not-tags');
  const notAny = list('not-tags-any');
  if (all.length > 0 && !all.every((t) => tags.includes(t))) return false;
  if (any.length > 0 && !any.some((t) => tags.includes(t))) return false;
  if (notAll.length > 0 && notAll.every((t) => tags.includes(t))) return false;
  if (notAny.length > 0 && notAny.some((t) => tags.includes(t))) return false;
  return true;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Neutron's list semantics over rendered views: attribute filters (repeated
 * = any of), tag filters, sort_key/sort_dir, limit/marker/page_reverse with
 * `<collection>_links`, and `fields`.
 */
export function listBody(req: FastifyRequest, collection: string, path: string, views: View[]): Record<string, unknown> {
  const q = req.query as Query;
  let items = views.filter((v) => {
    for (const [k, raw] of Object.entries(q)) {
      if (RESERVED.has(k)) continue;
      const wanted = values(raw);
      if (k === 'fixed_ips') {
        if (!wanted.every((w) => matchesFixedIps(v, w))) return false;
        continue;
      }
      if (!(k in v)) continue;
      if (!wanted.some((w) => matches(v[k], w))) return false;
    }
    return tagFilter(v, q);
  });

  const keys = values(q.sort_key);
  const dirs = values(q.sort_dir);
  if (dirs.some((d) => d !== 'asc' && d !== 'desc'))
    throw badRequestOf(`Sort direction ${dirs.join(',')} is not supported. Allowed: asc, desc`);
  if (keys.length > 0) {
    const sample = items[0] ?? views[0];
    for (const k of keys) if (sample && !(k in sample)) throw badRequestOf(`[${k}] is invalid attribute for sort_key`);
    const order = keys.map((k, i) => ({ k, d: dirs[i] === 'desc' ? -1 : 1 }));
    order.push({ k: 'id', d: order[0]!.d });
    items = [...items].sort((a, b) => {
      for (const { k, d } of order) {
        const c = compare(a[k], b[k]);
        if (c !== 0) return c * d;
      }
      return 0;
    });
  }

  const body: Record<string, unknown> = {};
  const limitText = values(q.limit)[0];
  if (limitText !== undefined) {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) throw badRequestOf(`Limit must be an integer 0 or greater and not '${limitText}'`);
    const marker = values(q.marker)[0];
    const reverse = values(q.page_reverse)[0]?.toLowerCase() === 'true';
    let start = 0;
    let end = items.length;
    if (marker) {
      const i = items.findIndex((v) => v.id === marker);
      if (i < 0) throw badRequestOf(`Marker ${marker} could not be found.`);
      if (reverse) end = i;
      else start = i + 1;
    }
    if (limit > 0) {
      if (reverse) start = Math.max(start, end - limit);
      else end = Math.min(end, start + limit);
    }
    const page = items.slice(start, end);
    const links: { rel: string; href: string }[] = [];
    const link = (rel: string, markerId: string, rev: boolean): void => {
      const params = new URLSearchParams();
      for (const [k, raw] of Object.entries(q))
        if (k !== 'marker' && k !== 'page_reverse') for (const v of values(raw)) params.append(k, v);
      params.set('marker', markerId);
      if (rev) params.set('page_reverse', 'True');
      links.push({ rel, href: `${requestBaseUrl(req)}${path}?${params.toString()}` });
    };
    if (limit > 0 && page.length > 0) {
      const more = reverse ? start > 0 : end < items.length;
      if (reverse) {
        if (more) link('previous', String(page[0]!.id), true);
        link('next', String(page[page.length - 1]!.id), false);
      } else {
        if (more) link('next', String(page[page.length - 1]!.id), false);
        if (marker) link('previous', String(page[0]!.id), true);
      }
    }
    items = page;
    if (links.length > 0) body[`${collection}_links`] = links;
  }
  body[collection] = items.map((v) => pickFields(req, v));
  return body;
}

/** `?fields=a&fields=b`: only those attributes. */
export function pickFields(req: FastifyRequest, view: View): View {
  const fields = values((req.query as Query).fields)
    .flatMap((f) => f.split(','))
    .filter(Boolean);
  if (fields.length === 0) return view;
  return Object.fromEntries(fields.filter((f) => f in view).map((f) => [f, view[f]]));
}
