import { randomBytes } from 'node:crypto';
import type { InstanceSpec } from '../../lib/rpc/compute-rpc.js';
/**
 * What the metadata service answers a guest, in OpenStack's form
 * (`/openstack/<version>/meta_data.json`, `user_data`, `network_data.json`,
 * `vendor_data.json`) and EC2's (`/<version>/meta-data/...`, `user-data`),
 * as Nova's metadata API renders them. Pure: the instance comes in, the
 * answer goes out (null: 404).
 */

export interface InstanceMetadata {
  uuid: string;
  name: string;
  hostname: string;
  projectId: string;
  availabilityZone: string;
  launchIndex: number;
  reservationId: string;
  flavorName: string;
  /** Key pair name → public key (OpenSSH format). */
  publicKeys: Record<string, string>;
  /** Server metadata (key/value). */
  meta: Record<string, string>;
  /** user_data as given to Nova (base64), or null. */
  userData: string | null;
  /** The address the request came from (EC2 local-ipv4). */
  fixedIp: string;
  floatingIp: string | null;
  /** What the guest posted to the password path ('' for none). */
  password: string;
  securityGroups: string[];
  /** network_data.json: links, networks and services, as Nova's netutils builds them. */
  networkData: { links: unknown[]; networks: unknown[]; services: unknown[] };
}

export interface MetadataAnswer {
  /** HTTP status; 200 when absent. */
  status?: number;
  contentType: string;
  body: string | Buffer;
}

/** OpenStack metadata versions Kumo answers, oldest first (Nova's list, up to Zed's newest). */
const OPENSTACK_VERSIONS = [
  '2012-08-10',
  '2013-04-04',
  '2013-10-17',
  '2015-10-15',
  '2016-06-30',
  '2016-10-06',
  '2017-02-22',
  '2018-08-27',
  '2020-10-14',
];
const EC2_VERSIONS = [
  '1.0',
  '2007-01-19',
  '2007-03-01',
  '2007-08-29',
  '2007-10-10',
  '2007-12-15',
  '2008-02-01',
  '2008-09-01',
  '2009-04-04',
];

const text = (body: string): MetadataAnswer => ({ contentType: 'text/plain; charset=UTF-8', body });
const json = (v: unknown): MetadataAnswer => ({ contentType: 'application/json', body: JSON.stringify(v) });
const listing = (items: string[]): MetadataAnswer => text(items.join('\n'));

function metaDataJson(md: InstanceMetadata): Record<string, unknown> {
  return {
    uuid: md.uuid,
    meta: md.meta,
    public_keys: md.publicKeys,
    keys: Object.entries(md.publicKeys).map(([name, data]) => ({ name, type: 'ssh', data })),
    hostname: md.hostname,
    name: md.name,
    launch_index: md.launchIndex,
    availability_zone: md.availabilityZone,
    random_seed: randomBytes(512).toString('base64'),
    project_id: md.projectId,
    devices: [],
    dedicated_cpus: [],
  };
}

function openstack(rest: string[], md: InstanceMetadata): MetadataAnswer | null {
  if (rest.length === 0) return listing([...OPENSTACK_VERSIONS, 'latest']);
  const [version, file, ...more] = rest;
  if (version !== 'latest' && !OPENSTACK_VERSIONS.includes(version!)) return null;
  if (more.length > 0) return null;
  switch (file ?? '') {
    case '':
      return listing([
        'meta_data.json',
        'password',
        'vendor_data.json',
        'network_data.json',
        'vendor_data2.json',
        ...(md.userData ? ['user_data'] : []),
      ]);
    case 'meta_data.json':
      return json(metaDataJson(md));
    case 'user_data':
      return md.userData ? { contentType: 'application/octet-stream', body: Buffer.from(md.userData, 'base64') } : null;
    case 'network_data.json':
      return json(md.networkData);
    case 'vendor_data.json':
    case 'vendor_data2.json':
      return json({});
    case 'password':
      return text(md.password);
    default:
      return null;
  }
}

function ec2(rest: string[], md: InstanceMetadata): MetadataAnswer | null {
  if (rest.length === 0) return listing([...EC2_VERSIONS, 'latest']);
  const [version, kind, ...path] = rest;
  if (version !== 'latest' && !EC2_VERSIONS.includes(version!)) return null;
  if (kind === undefined || kind === '') return listing(['meta-data/', ...(md.userData ? ['user-data'] : [])]);
  if (kind === 'user-data')
    return md.userData && path.length === 0 ? { contentType: 'application/octet-stream', body: Buffer.from(md.userData, 'base64') } : null;
  if (kind !== 'meta-data') return null;
  const keys = Object.entries(md.publicKeys);
  const tree: Record<string, string | Record<string, unknown>> = {
    'ami-id': 'ami-00000001',
    'ami-launch-index': String(md.launchIndex),
    'ami-manifest-path': 'FIXME',
    hostname: md.hostname,
    'instance-action': 'none',
    'instance-id': `i-${md.uuid.replace(/-/g, '').slice(0, 8)}`,
    'instance-type': md.flavorName,
    'local-hostname': md.hostname,
    'local-ipv4': md.fixedIp,
    placement: { 'availability-zone': md.availabilityZone },
    'public-hostname': md.hostname,
    'public-ipv4': md.floatingIp ?? '',
    'reservation-id': md.reservationId,
    'security-groups': md.securityGroups.join('\n'),
    ...(keys.length ? { 'public-keys': Object.fromEntries(keys.map(([name, key], i) => [`${i}=${name}`, { 'openssh-key': key }])) } : {}),
  };
  let node: string | Record<string, unknown> = tree;
  for (const seg of path.filter((p) => p !== '')) {
    if (typeof node === 'string') return null;
    // public-keys/0 reaches "0=name" as EC2 clients ask for it.
    const key: string | undefined = seg in node ? seg : Object.keys(node).find((k) => k.split('=')[0] === seg);
    if (key === undefined) return null;
    node = node[key] as string | Record<string, unknown>;
  }
  if (typeof node === 'string') return text(node);
  return listing(
    // EC2 lists a key pair as `0=name`, without the slash its subtree would have.
    Object.entries(node).map(([k, v]) => (typeof v === 'string' || path.at(-1) === 'public-keys' ? k : `${k}/`)),
  );
}

/** Is `path` the OpenStack password path (a guest POSTs its password there; 2013-04-04 and later, as Nova)? */
export function isPasswordPath(path: string): boolean {
  const m = /^\/openstack\/([^/]+)\/password\/?$/.exec(path.split('?')[0]!);
  return m !== null && (m[1] === 'latest' || (OPENSTACK_VERSIONS.includes(m[1]!) && m[1]! >= '2013-04-04'));
}

/** The answer to GET `path` for `md`, or null (404). */
export function renderMetadata(path: string, md: InstanceMetadata): MetadataAnswer | null {
  const segs = path
    .split('?')[0]!
    .split('/')
    .filter((s, i, all) => s !== '' || i === all.length - 1);
  const parts = segs.filter((s) => s !== '');
  if (parts.length === 0) return listing([...EC2_VERSIONS, 'latest']);
  if (parts.some((p) => p === '..' || p === '.')) return null;
  if (parts[0] === 'openstack') return openstack(parts.slice(1), md);
  return ec2(parts, md);
}

/** What the metadata service (and the config drive) says of a server, seen from address `ip`. */
export function instanceMetadata(i: InstanceSpec, ip: string, floatingIp: string | null, password: string): InstanceMetadata {
  return {
    uuid: i.uuid,
    name: i.displayName,
    hostname: i.hostname,
    projectId: i.projectId,
    availabilityZone: i.availabilityZone ?? 'nova',
    launchIndex: i.launchIndex,
    reservationId: '',
    flavorName: i.flavor.name,
    publicKeys: i.keyName && i.keyData ? { [i.keyName]: i.keyData.trim() } : {},
    meta: i.metadata,
    userData: i.userData,
    fixedIp: ip,
    floatingIp,
    password,
    securityGroups: ['default'],
    networkData: { links: [], networks: [], services: [] },
  };
}
