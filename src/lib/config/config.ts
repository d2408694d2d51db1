import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OPTIONS, type OptionDef } from './options.js';

/** Typed configuration of a Kumo process, validated at start-up. */
export interface KumoConfig {
  dataDir: string;
  host: string;
  publicHost: string;
  logLevel: string;
  databaseUrl: string;
  busUrl: string;
  busExchange: string;
  region: string;
  identity: IdentityConfig;
  image: ImageConfig;
  placement: PlacementConfig;
  compute: ComputeConfig;
  network: NetworkConfig;
  dashboard: DashboardConfig;
  agent: AgentConfig;
  serviceAuth: ServiceAuthConfig;
}

export interface DashboardConfig {
  port: number;
  enabled: boolean;
  identityUrl: string;
}

export interface PlacementConfig {
  port: number;
  databaseUrl: string;
  policyFile: string;
}

export interface ComputeConfig {
  port: number;
  databaseUrl: string;
  bodyLimit: number;
  policyFile: string;
  defaultAvailabilityZone: string;
  schedulerMaxAttempts: number;
  serviceDownTime: number;
  buildTimeout: number;
  quotaInstances: number;
  quotaCores: number;
  quotaRam: number;
  quotaKeyPairs: number;
  quotaMetadataItems: number;
  quotaServerGroups: number;
  quotaServerGroupMembers: number;
  consoleProxyPort: number;
}

export interface NetworkConfig {
  port: number;
  databaseUrl: string;
  policyFile: string;
  physicalNetworks: string;
  providerGateway: string;
  vniRanges: string;
  vlanRanges: string;
  globalMtu: number;
  baseMac: string;
  quotaNetwork: number;
  quotaSubnet: number;
  quotaPort: number;
  quotaRouter: number;
  quotaFloatingip: number;
  quotaSecurityGroup: number;
  quotaSecurityGroupRule: number;
  quotaSubnetpool: number;
  netnsPrefix: string;
}

export interface AgentConfig {
  host: string;
  driver: 'qemu' | 'fake';
  enabled: boolean;
  instancesDir: string;
  imageCacheDir: string;
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  reservedHostMemoryMb: number;
  reservedHostDiskMb: number;
  fakeVcpus: number;
  fakeMemoryMb: number;
  fakeDiskGb: number;
  fakeDelayMs: number;
  heartbeatInterval: number;
  vncListen: string;
  networkDataplane: boolean;
  tunnelIp: string;
  networkDhcp: boolean;
  networkL3: boolean;
  netns: string;
}

export interface ServiceAuthConfig {
  url: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  cacheTime: number;
}

export interface ImageConfig {
  port: number;
  databaseUrl: string;
  bodyLimit: number;
  storeDir: string;
  stagingDir: string;
  sizeCap: number;
  quotaImageCount: number;
  quotaImageSizeTotal: number;
  quotaImageStageTotal: number;
  propertyQuota: number;
  tagQuota: number;
  memberQuota: number;
  limitParamDefault: number;
  apiLimitMax: number;
  policyFile: string;
  webDownloadAllowedPorts: string;
  webDownloadDisallowedHosts: string;
  showMultipleLocations: boolean;
  stores: string;
  defaultStore: string;
  cacheEnabled: boolean;
  cachePrefetcherInterval: number;
}

export interface IdentityConfig {
  port: number;
  databaseUrl: string;
  bodyLimit: number;
  tokenExpiration: number;
  allowExpiredWindow: number;
  maxActiveKeys: number;
  cacheTime: number;
  keyDir: string;
  policyFile: string;
  passwordHashMemoryKib: number;
  passwordHashTimeCost: number;
  lockoutFailureAttempts: number;
  lockoutDuration: number;
  uniqueLastPasswordCount: number;
  passwordExpiresDays: number;
  minimumPasswordAge: number;
  passwordRegex: string;
  passwordRegexDescription: string;
  changePasswordUponFirstUse: boolean;
  listLimit: number;
  adminPassword: string;
}

export class ConfigError extends Error {}

export interface ConfigSources {
  /** Path of a YAML/JSON config file (also `KUMO_CONFIG`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values keyed by option key (`data_dir`, `host`, ...). */
  flags?: Record<string, unknown>;
}

const envName = (key: string): string => `KUMO_${key.replace('.', '_').toUpperCase()}`;
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function fromFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  const parsed: unknown = parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a mapping`);
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) flat[`${k}.${k2}`] = v2;
    } else flat[k] = v;
  }
  const known = new Set(OPTIONS.map((o) => o.key));
  const unknown = Object.keys(flat).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new ConfigError(`unknown option(s) in ${path}: ${unknown.join(', ')}`);
  return flat;
}

function coerce(opt: OptionDef, raw: unknown, origin: string): string | number | boolean {
  const where = `${opt.key} (from ${origin})`;
  switch (opt.type) {
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConfigError(`${where} must be a string`);
      const s = String(raw);
      if (opt.choices && !opt.choices.includes(s)) throw new ConfigError(`${where} must be one of ${opt.choices.join(', ')}, not '${s}'`);
      return s;
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw new ConfigError(`${where} must be an integer, not '${String(raw)}'`);
      if (opt.min !== undefined && n < opt.min) throw new ConfigError(`${where} must be at least ${opt.min}`);
      if (opt.max !== undefined && n > opt.max) throw new ConfigError(`${where} must be at most ${opt.max}`);
      return n;
    }
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw new ConfigError(`${where} must be a number, not '${String(raw)}'`);
      if (opt.min !== undefined && n < opt.min) throw new ConfigError(`${where} must be at least ${opt.min}`);
      if (opt.max !== undefined && n > opt.max) throw new ConfigError(`${where} must be at most ${opt.max}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new ConfigError(`${where} must be true or false, not '${String(raw)}'`);
    }
  }
}

/** Merges defaults < file < environment < flags, validating every value. */
export function loadConfig(sources: ConfigSources = {}): KumoConfig {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.KUMO_CONFIG;
  const fileValues = file ? fromFile(file) : {};
  const v: Record<string, string | number | boolean> = {};
  for (const opt of OPTIONS) {
    let value = opt.default;
    if (opt.key in fileValues) value = coerce(opt, fileValues[opt.key], file ?? 'file');
    const e = env[envName(opt.key)];
    if (e !== undefined && e !== '') value = coerce(opt, e, envName(opt.key));
    const f = sources.flags?.[opt.key];
    if (f !== undefined) value = coerce(opt, f, opt.flag ?? opt.key);
    v[opt.key] = value;
  }
  const dataDir = (v.data_dir as string) || defaultDataDir();
  const host = v.host as string;
  const id = section<IdentityConfig>(v, 'identity');
  id.keyDir ||= join(dataDir, 'fernet-keys');
  id.databaseUrl ||= (v.database_url as string) || `sqlite:${join(dataDir, 'identity.db')}`;
  if (id.passwordRegex) {
    try {
      new RegExp(id.passwordRegex);
    } catch (e) {
      throw new ConfigError(`identity.password_regex is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const image = section<ImageConfig>(v, 'image');
  image.storeDir ||= join(dataDir, 'images');
  image.stagingDir ||= join(image.storeDir, 'staging');
  image.databaseUrl ||= (v.database_url as string) || `sqlite:${join(dataDir, 'image.db')}`;
  const placement = section<PlacementConfig>(v, 'placement');
  placement.databaseUrl ||= (v.database_url as string) || `sqlite:${join(dataDir, 'placement.db')}`;
  const compute = section<ComputeConfig>(v, 'compute');
  compute.databaseUrl ||= (v.database_url as string) || `sqlite:${join(dataDir, 'compute.db')}`;
  const network = section<NetworkConfig>(v, 'network');
  network.databaseUrl ||= (v.database_url as string) || `sqlite:${join(dataDir, 'network.db')}`;
  const agent = section<AgentConfig>(v, 'agent');
  agent.host ||= hostname();
  agent.instancesDir ||= join(dataDir, 'instances');
  agent.imageCacheDir ||= join(agent.instancesDir, '_base');
  const busUrl = v.bus_url as string;
  if (!/^(memory|amqps?):\/\//.test(busUrl)) throw new ConfigError(`bus_url must start with memory:// or amqp://, not '${busUrl}'`);
  return {
    dataDir,
    host,
    publicHost: (v.public_host as string) || (host === '0.0.0.0' || host === '::' ? hostname() : host),
    logLevel: v.log_level as string,
    databaseUrl: v.database_url as string,
    busUrl,
    busExchange: v.bus_exchange as string,
    region: v.region as string,
    identity: id,
    image,
    placement,
    compute,
    network,
    dashboard: section<DashboardConfig>(v, 'dashboard'),
    agent,
    serviceAuth: section<ServiceAuthConfig>(v, 'service_auth'),
  };
}

/** The options of one section (`identity.*`) as a camel-cased object. */
function section<T>(values: Record<string, string | number | boolean>, name: string): T {
  const out: Record<string, unknown> = {};
  for (const opt of OPTIONS.filter((o) => o.key.startsWith(`${name}.`))) out[camel(opt.key.slice(name.length + 1))] = values[opt.key];
  return out as T;
}

function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/kumo' : join(homedir(), '.local', 'share', 'kumo');
}

/** The environment variable that sets an option. */
export function optionEnvName(key: string): string {
  return envName(key);
}

/** `network.physical_networks` ("provider:kumo-provider,physnet2:eth1") as name → device; the API and the agents read it alike. */
export function parsePhysicalNetworks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, dev] = item.split(':');
    if (!name || !dev) throw new ConfigError(`network.physical_networks: '${item}' is not name:device`);
    out.set(name, dev);
  }
  return out;
}
