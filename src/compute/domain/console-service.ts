import { createHash, randomBytes } from 'node:crypto';
import type { Bus } from '../../lib/bus/bus.js';
import { badRequest, conflict, internalError, isKumoError } from '../../lib/errors.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { COMPUTE_TOPIC, type VncConsoleReply, type VncConsoleRequest } from '../../lib/rpc/compute-rpc.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { ConsoleTokenStore } from '../store/console-token-store.js';
import type { ComputeCaller } from './caller.js';
import type { ConsoleTarget, ConsoleTargets } from './console-targets.js';

/** Nova's [consoleauth] token_ttl default. */
export const DEFAULT_CONSOLE_TOKEN_TTL_SECONDS = 600;

/** Protocols and types Nova's remote-consoles API knows (2.8 added mks/webmks). */
export const CONSOLE_PROTOCOLS = ['vnc', 'spice', 'rdp', 'serial', 'mks'] as const;
export const CONSOLE_TYPES = ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks'] as const;

/** Server states in which the guest's QEMU, hence its VNC server, is running. */
const CONSOLE_READY_STATUSES = new Set(['ACTIVE', 'PAUSED']);

/** What a valid token lets the proxy connect to. */
export interface ConsoleConnectInfo {
  instanceUuid: string;
  consoleType: string;
  host: string;
  port: number;
  internalAccessPath: string | null;
  accessUrlBase: string;
  expiresAt: string;
}

export interface ConsoleAuthorization {
  instanceUuid: string;
  consoleType: string;
  host: string;
  port: number;
  internalAccessPath?: string | null;
}

export interface ConsoleServiceDeps {
  db: ComputeKysely;
  bus: Bus;
  targets: ConsoleTargets;
  policy: PolicyEngine;
  /**
   * Base of console URLs, e.g. `http://cloud.example:6080/vnc_lite.html`.
   * A function: the proxy's port is known only once it listens.
   */
  novncBaseUrl: () => string;
  tokenTtlSeconds?: number;
  /** Timeout of the get_vnc_console call to the agent. */
  rpcTimeoutMs?: number;
  now?: () => Date;
}

/** The longest token the proxy looks up; anything longer is not one of ours. */
const MAX_TOKEN_LENGTH = 128;

export const hashConsoleToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Remote consoles: asks the agent where a guest's VNC server listens, and
 * issues short-lived tokens that the console proxy exchanges for exactly that
 * host and port. Tokens are bearer secrets in a URL, so only their hash is
 * stored. Like Nova, a token stays usable until it expires (a page reload
 * reconnects); deleting a server revokes its tokens.
 */
export class ConsoleService {
  readonly policy: PolicyEngine;
  readonly #store: ConsoleTokenStore;
  readonly #deps: ConsoleServiceDeps;
  readonly #ttlMs: number;
  readonly #now: () => Date;

  constructor(deps: ConsoleServiceDeps) {
    this.#deps = deps;
    this.policy = deps.policy;
    this.#store = new ConsoleTokenStore(deps.db);
    this.#ttlMs = (deps.tokenTtlSeconds ?? DEFAULT_CONSOLE_TOKEN_TTL_SECONDS) * 1000;
    this.#now = deps.now ?? (() => new Date());
  }

  /** The server as the caller sees it (404 when missing or another project's). */
  target(caller: ComputeCaller, serverId: string): Promise<ConsoleTarget> {
    return this.#deps.targets.resolve(caller, serverId);
  }

  /**
   * A console URL for `target`, as Nova's compute API get_*_console: the
   * server must be running on a host (409 otherwise), only noVNC over VNC is
   * served, other console kinds are "unavailable" (400) as on a Nova whose
   * spice/rdp/serial/mks consoles are disabled.
   */
  async createConsole(caller: ComputeCaller, target: ConsoleTarget, protocol: string, consoleType: string): Promise<{ url: string }> {
    if (!target.host || !CONSOLE_READY_STATUSES.has(target.status)) throw notReady(target.uuid);
    if (protocol !== 'vnc') throw badRequest(`Unavailable console type ${consoleType}.`, 'console_type_unavailable');
    if (consoleType !== 'novnc') throw badRequest(`Invalid console type ${consoleType}`, 'console_type_invalid');
    const endpoint = await this.#vncEndpoint(caller, target, target.host);
    const base = this.#deps.novncBaseUrl();
    const token = await this.authorize({ instanceUuid: target.uuid, consoleType, host: endpoint.host, port: endpoint.port }, base);
    return { url: novncUrl(base, token) };
  }

  /** Stores a new token for a console endpoint and returns the token itself (never stored). */
  async authorize(auth: ConsoleAuthorization, accessUrlBase = this.#deps.novncBaseUrl()): Promise<string> {
    const now = this.#now();
    // Expired rows are useless; dropping them here keeps the table small without a timer.
    await this.#store.deleteExpired(dbTime(now));
    const token = randomBytes(32).toString('base64url');
    await this.#store.insert({
      token_hash: hashConsoleToken(token),
      instance_uuid: auth.instanceUuid,
      console_type: auth.consoleType,
      host: auth.host,
      port: auth.port,
      internal_access_path: auth.internalAccessPath ?? null,
      access_url_base: accessUrlBase,
      expires_at: dbTime(new Date(now.getTime() + this.#ttlMs)),
      created_at: dbTime(now),
    });
    return token;
  }

  /** Connection details of an unexpired token; undefined for anything else (never throws on bad input). */
  async validate(token: unknown): Promise<ConsoleConnectInfo | undefined> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const row = await this.#store.getUnexpired(hashConsoleToken(token), dbTime(this.#now()));
    if (!row) return undefined;
    return {
      instanceUuid: row.instance_uuid,
      consoleType: row.console_type,
      host: row.host,
      port: Number(row.port),
      internalAccessPath: row.internal_access_path,
      accessUrlBase: row.access_url_base,
      expiresAt: row.expires_at,
    };
  }

  /** Revokes one token. */
  async revoke(token: string): Promise<void> {
    await this.#store.deleteByHash(hashConsoleToken(token));
  }

  /** Revokes every token of a server (call on delete, stop, rebuild, resize: its VNC port may change hands). */
  deleteForInstance(instanceUuid: string): Promise<number> {
    return this.#store.deleteForInstance(instanceUuid);
  }

  purgeExpired(): Promise<number> {
    return this.#store.deleteExpired(dbTime(this.#now()));
  }

  async #vncEndpoint(caller: ComputeCaller, target: ConsoleTarget, host: string): Promise<VncConsoleReply> {
    const request: VncConsoleRequest = { instance: target.instance, requestId: caller.requestId };
    let reply: VncConsoleReply;
    try {
      reply = await this.#deps.bus.call<VncConsoleReply>(
        { topic: COMPUTE_TOPIC, server: host },
        'get_vnc_console',
        { ...request },
        {
          timeoutMs: this.#deps.rpcTimeoutMs,
        },
      );
    } catch (e) {
      // The agent has no such guest (yet, or any more): Nova's InstanceNotReady.
      if (isKumoError(e) && e.status === 404) throw notReady(target.uuid);
      throw e;
    }
    const valid =
      typeof reply?.host === 'string' &&
      reply.host.length > 0 &&
      reply.host.length <= 255 &&
      Number.isInteger(reply.port) &&
      // A unix socket (an absolute path, port 0: vnc_listen = unix) or a TCP port.
      (reply.host.startsWith('/') ? reply.port === 0 : reply.port > 0 && reply.port < 65536);
    if (!valid) throw internalError(`Compute host ${host} returned no usable VNC endpoint for ${target.uuid}.`);
    return { host: reply.host, port: reply.port };
  }
}

const notReady = (uuid: string) => conflict(`Instance ${uuid} is not ready`, 'instance_not_ready');

/** Nova's noVNC access URL: the token travels inside noVNC's `path` parameter (noVNC ≥ 1.1 dropped `token`). */
export function novncUrl(base: string, token: string): string {
  return `${base}?path=${encodeURIComponent(`?token=${token}`)}`;
}
