import { newUuid } from '../../lib/ids.js';
import type { Stored } from '../store/resource-store.js';
import { owns, type NetworkCaller } from './caller.js';
import { inUse, invalidInput, notAuthorized, notFoundOf } from './errors.js';
import { cidrsOverlap, formatCidr, parseCidr, type Cidr, type IpVersion } from './ip-math.js';
import type { SubnetBody } from './models.js';
import type { NetworkContext } from './network-context.js';
import { targetProject } from './network-service.js';
import type { NetworkQuotaService } from './quota-service.js';

export interface SubnetPoolBody {
  name: string;
  description: string;
  prefixes: string[];
  ip_version: IpVersion;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: boolean;
  is_default: boolean;
  default_quota: number | null;
  address_scope_id: string | null;
  tags: string[];
}

export interface SubnetPoolInput {
  name?: string;
  description?: string;
  prefixes?: string[];
  default_prefixlen?: number;
  min_prefixlen?: number;
  max_prefixlen?: number;
  shared?: boolean;
  is_default?: boolean;
  default_quota?: number | null;
  address_scope_id?: string | null;
  project_id?: string;
  tenant_id?: string;
}

export type StoredSubnetPool = Stored<SubnetPoolBody>;

/** Neutron's defaults: IPv4 pools hand out /8 to /32, IPv6 /64 to /128. */
const LIMITS: Record<IpVersion, { min: number; max: number }> = { 4: { min: 8, max: 32 }, 6: { min: 64, max: 128 } };

/**
 * Subnet pools (Neutron's subnet_allocation): prefixes a project's subnets
 * take their CIDRs from, by prefix length or by asking for one inside them.
 * Prefixes only grow; a pool in use cannot be deleted.
 */
export class SubnetPoolService {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly quotas: NetworkQuotaService,
  ) {}

  async visible(caller: NetworkCaller, id: string): Promise<StoredSubnetPool> {
    const p = await this.ctx.store.get<SubnetPoolBody>('subnetpool', id);
    if (!p || (!owns(caller, p.projectId) && !p.body.shared)) throw notFoundOf('subnetpool', id);
    return p;
  }

  async list(caller: NetworkCaller): Promise<StoredSubnetPool[]> {
    const all = await this.ctx.store.list<SubnetPoolBody>('subnetpool');
    return caller.isAdmin ? all : all.filter((p) => owns(caller, p.projectId) || p.body.shared);
  }

  /** The default pool of an IP version (use_default_subnetpool). */
  async defaultPool(caller: NetworkCaller, version: IpVersion): Promise<StoredSubnetPool> {
    const p = (await this.list(caller)).find((x) => x.body.is_default && x.body.ip_version === version);
    if (!p) throw invalidInput(`No default subnetpool found for IPv${version}`);
    return p;
  }

  async create(caller: NetworkCaller, input: SubnetPoolInput): Promise<StoredSubnetPool> {
    const projectId = targetProject(caller, input, 'create_subnetpool');
    if ((input.shared || input.is_default) && !caller.isAdmin) throw notAuthorized('create_subnetpool:shared');
    if (input.address_scope_id) throw invalidInput('Address scopes are not served.');
    const prefixes = parsePrefixes(input.prefixes);
    const version = prefixes[0]!.version;
    const min = input.min_prefixlen ?? LIMITS[version].min;
    const max = input.max_prefixlen ?? LIMITS[version].max;
    const body: SubnetPoolBody = {
      name: input.name ?? '',
      description: input.description ?? '',
      prefixes: prefixes.map(formatCidr),
      ip_version: version,
      default_prefixlen: input.default_prefixlen ?? min,
      min_prefixlen: min,
      max_prefixlen: max,
      shared: input.shared ?? false,
      is_default: input.is_default ?? false,
      default_quota: input.default_quota ?? null,
      address_scope_id: null,
      tags: [],
    };
    checkLengths(body);
    if (body.is_default) await this.#oneDefault(version, null);
    await this.quotas.check(projectId, 'subnetpool');
    return this.ctx.store.insert('subnetpool', { id: newUuid(), projectId, body });
  }

  async update(caller: NetworkCaller, id: string, input: SubnetPoolInput): Promise<StoredSubnetPool> {
    const p = await this.visible(caller, id);
    if (!owns(caller, p.projectId)) throw notAuthorized('update_subnetpool');
    if (input.is_default !== undefined && input.is_default !== p.body.is_default && !caller.isAdmin)
      throw notAuthorized('update_subnetpool:is_default');
    if (input.shared !== undefined && input.shared !== p.body.shared) throw invalidInput('Cannot update read-only attribute shared');
    if (input.address_scope_id) throw invalidInput('Address scopes are not served.');
    const body: SubnetPoolBody = { ...p.body };
    if (input.name !== undefined) body.name = input.name;
    if (input.description !== undefined) body.description = input.description;
    if (input.prefixes !== undefined) {
      const next = parsePrefixes(input.prefixes);
      if (next[0]!.version !== body.ip_version) throw invalidInput('Illegal update to prefixes: the IP version of a pool cannot change.');
      // Prefixes only grow: every old one must lie inside a new one.
      for (const old of body.prefixes.map((x) => parseCidr(x)!)) {
        if (!next.some((n) => n.prefixLen <= old.prefixLen && cidrsOverlap(n, old)))
          throw invalidInput(`Illegal update to prefixes: ${formatCidr(old)} may not be removed from the pool.`);
      }
      body.prefixes = next.map(formatCidr);
    }
    if (input.min_prefixlen !== undefined) body.min_prefixlen = input.min_prefixlen;
    if (input.max_prefixlen !== undefined) body.max_prefixlen = input.max_prefixlen;
    if (input.default_prefixlen !== undefined) body.default_prefixlen = input.default_prefixlen;
    if (input.default_quota !== undefined) body.default_quota = input.default_quota;
    if (input.is_default !== undefined) body.is_default = input.is_default;
    checkLengths(body);
    if (body.is_default && !p.body.is_default) await this.#oneDefault(body.ip_version, id);
    await this.ctx.store.update('subnetpool', id, body);
    return (await this.ctx.store.get<SubnetPoolBody>('subnetpool', id))!;
  }

  async delete(caller: NetworkCaller, id: string): Promise<void> {
    const p = await this.visible(caller, id);
    if (!owns(caller, p.projectId)) throw notAuthorized('delete_subnetpool');
    if ((await this.ctx.store.list<SubnetBody>('subnet')).some((s) => s.body.subnetpool_id === id))
      throw inUse('subnet_pool_in_use', `Unable to complete operation on subnet pool ${id}. Subnets are still allocated from it.`);
    await this.ctx.store.delete('subnetpool', id);
  }

  /**
   * A CIDR for a new subnet from `pool`: the one asked for (inside the pool,
   * overlapping none of its subnets), else the first free block of
   * `prefixlen` (the pool's default when not given).
   */
  async allocate(pool: StoredSubnetPool, ask: { cidr?: string; prefixlen?: number }): Promise<Cidr> {
    const taken = (await this.ctx.store.list<SubnetBody>('subnet'))
      .filter((s) => s.body.subnetpool_id === pool.id)
      .map((s) => parseCidr(s.body.cidr)!);
    const prefixes = pool.body.prefixes.map((x) => parseCidr(x)!);
    const inRange = (len: number): void => {
      if (len < pool.body.min_prefixlen || len > pool.body.max_prefixlen)
        throw invalidInput(
          `Unable to allocate subnet with prefix length ${len}, minimum allowed prefix is ${pool.body.min_prefixlen}, maximum allowed prefix is ${pool.body.max_prefixlen}.`,
        );
    };
    if (ask.cidr) {
      const c = parseCidr(ask.cidr, true);
      if (!c) throw invalidInput(`'${ask.cidr}' is not a valid IP subnet.`);
      inRange(c.prefixLen);
      if (!prefixes.some((p) => p.version === c.version && p.prefixLen <= c.prefixLen && cidrsOverlap(p, c)))
        throw invalidInput(`Cidr ${formatCidr(c)} is not within the prefixes of subnet pool ${pool.id}.`);
      if (taken.some((t) => cidrsOverlap(t, c))) throw invalidInput(`Cidr ${formatCidr(c)} overlaps a subnet allocated from the pool.`);
      return c;
    }
    const len = ask.prefixlen ?? pool.body.default_prefixlen;
    inRange(len);
    const bits = pool.body.ip_version === 4 ? 32 : 128;
    for (const p of prefixes) {
      if (p.prefixLen > len) continue;
      const step = 1n << BigInt(bits - len);
      const end = p.network + (1n << BigInt(bits - p.prefixLen));
      // Bounded: a taken block lets the search jump past it; at most one probe per existing subnet plus one.
      for (let at = p.network; at < end;) {
        const c: Cidr = { version: p.version, network: at, prefixLen: len };
        const hit = taken.find((t) => cidrsOverlap(t, c));
        if (!hit) return c;
        const hitEnd = hit.network + (1n << BigInt(bits - hit.prefixLen));
        at = hitEnd > at + step ? ((hitEnd + step - 1n) / step) * step : at + step;
      }
    }
    throw inUse('subnet_allocation_error', `Insufficient prefix space to allocate a /${len} from subnet pool ${pool.id}.`);
  }

  async #oneDefault(version: IpVersion, except: string | null): Promise<void> {
    const other = (await this.ctx.store.list<SubnetPoolBody>('subnetpool')).find(
      (x) => x.id !== except && x.body.is_default && x.body.ip_version === version,
    );
    if (other)
      throw invalidInput(`Invalid input for operation: A default subnetpool for this IP family has already been set. (${other.id})`);
  }
}

function parsePrefixes(raw: string[] | undefined): Cidr[] {
  if (!raw || raw.length === 0) throw invalidInput("Failed to parse request. Required attribute 'prefixes' not specified");
  const out: Cidr[] = [];
  for (const text of raw) {
    const c = parseCidr(text);
    if (!c) throw invalidInput(`'${text}' is not a valid IP subnet.`);
    // Neutron keeps the network address of each prefix.
    const bits = c.version === 4 ? 32 : 128;
    const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - c.prefixLen)) - 1n);
    out.push({ ...c, network: c.network & mask });
  }
  if (new Set(out.map((c) => c.version)).size > 1) throw invalidInput('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
  // Prefixes inside another one are merged into it.
  return out
    .filter((c, i) => !out.some((o, j) => j !== i && o.prefixLen < c.prefixLen && cidrsOverlap(o, c)))
    .filter((c, i, all) => all.findIndex((o) => o.network === c.network && o.prefixLen === c.prefixLen) === i);
}

function checkLengths(b: SubnetPoolBody): void {
  const min = 0;
  const max = b.ip_version === 4 ? 32 : 128;
  for (const [k, v] of [
    ['min_prefixlen', b.min_prefixlen],
    ['max_prefixlen', b.max_prefixlen],
    ['default_prefixlen', b.default_prefixlen],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > max)
      throw invalidInput(`Invalid input for ${k}. Reason: '${v}' is not in range ${min} through ${max}.`);
  }
  if (b.min_prefixlen > b.max_prefixlen)
    throw invalidInput(`Illegal prefix bounds: min_prefixlen=${b.min_prefixlen}, max_prefixlen=${b.max_prefixlen}.`);
  if (b.default_prefixlen < b.min_prefixlen || b.default_prefixlen > b.max_prefixlen)
    throw invalidInput(
      `Illegal prefix bounds: default_prefixlen=${b.default_prefixlen} must lie within min_prefixlen=${b.min_prefixlen} and max_prefixlen=${b.max_prefixlen}.`,
    );
}
