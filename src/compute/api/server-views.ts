import { addressesOf } from './server-addresses.js';
import { createHash } from 'node:crypto';
import type { Microversion } from '../../lib/http/microversion.js';
import type { FlavorSpec } from '../../lib/rpc/compute-rpc.js';
import type { InstanceActionEventRow, InstanceActionRow, InstanceRow } from '../store/server-tables.js';
import { FAULT_STATUSES, PROGRESS_STATUSES } from '../domain/instance-states.js';
import { flavorOf, instanceName } from '../domain/instance-spec.js';
import type { ServerRecord } from '../domain/server-service.js';

/** What a server view depends on besides the server. */
export interface ServerViewContext {
  /** Scheme://host of the request. */
  base: string;
  mv: Microversion;
  /** os-extended-server-attributes allowed (admin). */
  extendedAttrs: boolean;
  /** Fault details and host_status shown (admin). */
  admin: boolean;
  /** host → UP/DOWN/MAINTENANCE/UNKNOWN, when the caller may see host_status (2.16). */
  hostStatus?: Map<string, string>;
  /** server uuid → its group ids (2.71 show/update/rebuild). */
  serverGroups?: Map<string, string[]>;
  /** Flavor extra specs visible (2.47). */
  flavorExtraSpecs: boolean;
  /** Memo of shared values within one response (filled by the views). */
  cache?: Map<string, unknown>;
}

export const serverLinks = (base: string, uuid: string) => [
  { rel: 'self', href: `${base}/v2.1/servers/${uuid}` },
  { rel: 'bookmark', href: `${base}/servers/${uuid}` },
];

/** `2012-08-20T21:11:09Z` (Nova's isotime). */
export const isoTime = (t: string | null): string | null => (t ? t.replace(/\.\d+Z$/, 'Z') : null);
/** `2013-09-23T13:37:00.880000` (str of a naive datetime, as Nova renders launched_at and action times). */
export const naiveTime = (t: string | null): string | null => {
  if (!t) return null;
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(t);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}` : t;
};

/**
 * Per-response memo of what many servers of a list share (hostIds of a
 * project's hosts, parsed flavors and security groups): a 1000-server page
 * hashes and parses each distinct value once.
 */
function memo<T>(ctx: ServerViewContext, kind: string, key: string, make: () => T): T {
  const cache = (ctx.cache ??= new Map());
  const k = `${kind}\u0000${key}`;
  let v = cache.get(k) as T | undefined;
  if (v === undefined) {
    v = make();
    cache.set(k, v);
  }
  return v;
}

export const hostIdOf = (row: Pick<InstanceRow, 'project_id' | 'host'>): string =>
  row.host
    ? createHash('sha224')
        .update(row.project_id + row.host)
        .digest('hex')
    : '';

function flavorView(f: FlavorSpec, ctx: ServerViewContext): Record<string, unknown> {
  if (!ctx.mv.atLeast('2.47')) {
    return { id: f.flavorId, links: [{ rel: 'bookmark', href: `${ctx.base}/flavors/${f.flavorId}` }] };
  }
  const v: Record<string, unknown> = {
    vcpus: f.vcpus,
    ram: f.memoryMb,
    disk: f.rootGb,
    ephemeral: f.ephemeralGb,
    swap: f.swapMb,
    original_name: f.name,
  };
  if (ctx.flavorExtraSpecs) v.extra_specs = f.extraSpecs;
  return v;
}

export const indexView = (row: InstanceRow, base: string) => ({ id: row.uuid, name: row.display_name, links: serverLinks(base, row.uuid) });

/**
 * Nova's ViewBuilder.show. `full` false is the reduced view of update and
 * rebuild responses before 2.75.
 */
export function serverView(rec: ServerRecord, ctx: ServerViewContext, full = true): Record<string, unknown> {
  const { row } = rec;
  const mv = ctx.mv;
  const s: Record<string, unknown> = {
    id: row.uuid,
    name: row.display_name,
    status: row.status,
    tenant_id: row.project_id,
    user_id: row.user_id,
    metadata: rec.metadata,
    hostId: row.host ? memo(ctx, 'hostId', `${row.project_id}\u0000${row.host}`, () => hostIdOf(row)) : '',
    image: row.image_ref ? { id: row.image_ref, links: [{ rel: 'bookmark', href: `${ctx.base}/images/${row.image_ref}` }] } : '',
    flavor: memo(ctx, 'flavor', row.flavor, () => flavorView(flavorOf(row), ctx)),
    created: isoTime(row.created_at),
    updated: isoTime(row.updated_at ?? row.created_at),
    // The reduced view (update, rebuild before 2.75) has addresses without the OS-EXT-IPS attributes, as Nova.
    addresses: addressesOf(row.network_info, full),
    accessIPv4: row.access_ip_v4 ?? '',
    accessIPv6: row.access_ip_v6 ?? '',
    links: serverLinks(ctx.base, row.uuid),
    'OS-DCF:diskConfig': row.auto_disk_config ? 'AUTO' : 'MANUAL',
  };
  if (FAULT_STATUSES.has(row.status) && rec.fault) {
    const f = rec.fault;
    const fault: Record<string, unknown> = { code: f.code, created: isoTime(f.created_at), message: f.message };
    // Nova shows details to admins, and to everyone for non-500 faults.
    if (f.details && (ctx.admin || f.code !== 500)) fault.details = f.details;
    s.fault = fault;
  }
  if (PROGRESS_STATUSES.has(row.status)) s.progress = row.progress;
  if (full) {
    s['OS-EXT-AZ:availability_zone'] = row.availability_zone ?? '';
    s.config_drive = row.config_drive ? 'True' : '';
    s.key_name = row.key_name;
    s['OS-SRV-USG:launched_at'] = naiveTime(row.launched_at);
    s['OS-SRV-USG:terminated_at'] = naiveTime(row.terminated_at);
    // Nova leaves the key out when the server has no group (all removed).
    const groups = memo(ctx, 'sg', row.security_groups, () => (JSON.parse(row.security_groups) as string[]).map((name) => ({ name })));
    if (groups.length > 0) s.security_groups = groups;
    if (ctx.extendedAttrs) {
      s['OS-EXT-SRV-ATTR:host'] = row.host;
      s['OS-EXT-SRV-ATTR:instance_name'] = instanceName(row.id);
      s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = row.node;
      if (mv.atLeast('2.3')) {
        s['OS-EXT-SRV-ATTR:reservation_id'] = row.reservation_id;
        s['OS-EXT-SRV-ATTR:launch_index'] = row.launch_index;
        s['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
        s['OS-EXT-SRV-ATTR:kernel_id'] = '';
        s['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
        s['OS-EXT-SRV-ATTR:root_device_name'] = '/dev/vda';
        s['OS-EXT-SRV-ATTR:user_data'] = row.user_data;
      }
    }
    s['OS-EXT-STS:task_state'] = row.task_state;
    s['OS-EXT-STS:vm_state'] = row.vm_state;
    s['OS-EXT-STS:power_state'] = row.power_state;
    s['os-extended-volumes:volumes_attached'] = [];
    if (mv.atLeast('2.16') && ctx.hostStatus) s.host_status = row.host ? (ctx.hostStatus.get(row.host) ?? 'UNKNOWN') : '';
  }
  if (mv.atLeast('2.9')) s.locked = row.locked === 1;
  if (mv.atLeast('2.73')) s.locked_reason = row.locked_reason;
  if (mv.atLeast('2.19')) s.description = row.display_description;
  if (mv.atLeast('2.26')) s.tags = rec.tags;
  if (mv.atLeast('2.63')) s.trusted_image_certificates = null;
  if (mv.atLeast('2.90') && !(full && ctx.extendedAttrs)) s['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
  if (ctx.serverGroups && mv.atLeast('2.71')) s.server_groups = ctx.serverGroups.get(row.uuid) ?? [];
  return s;
}

/** GET /servers/{id}/os-instance-actions item. */
export function actionView(a: InstanceActionRow, mv: Microversion): Record<string, unknown> {
  const v: Record<string, unknown> = {
    action: a.action,
    instance_uuid: a.instance_uuid,
    message: a.message,
    project_id: a.project_id,
    request_id: a.request_id,
    start_time: naiveTime(a.start_time),
    user_id: a.user_id,
  };
  if (mv.atLeast('2.58')) v.updated_at = naiveTime(a.updated_at);
  return v;
}

export function eventView(
  e: InstanceActionEventRow,
  projectId: string,
  opts: { mv: Microversion; details: boolean },
): Record<string, unknown> {
  const v: Record<string, unknown> = {
    event: e.event,
    start_time: naiveTime(e.start_time),
    finish_time: naiveTime(e.finish_time),
    result: e.result,
  };
  if (opts.details) v.traceback = e.traceback;
  if (opts.mv.atLeast('2.62')) {
    if (opts.details) v.host = e.host ?? '';
    v.hostId = e.host
      ? createHash('sha224')
          .update(projectId + e.host)
          .digest('hex')
      : '';
  }
  if (opts.mv.atLeast('2.84') && opts.details) v.details = e.result === 'Error' ? e.traceback : null;
  return v;
}
