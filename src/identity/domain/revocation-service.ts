import { newId } from '../../lib/ids.js';
import type { RevocationEventRow } from '../store/schema.js';
import { RevocationStore } from '../store/revocation-store.js';
import type { IdentityContext } from './identity-context.js';
import type { RoleRef } from './models.js';

export interface RevocationInput {
  userId?: string;
  projectId?: string;
  domainId?: string;
  roleId?: string;
  auditId?: string;
  auditChainId?: string;
}

/** The token attributes revocation events are matched against. */
export interface RevocableToken {
  userId: string;
  projectId?: string;
  /** Domain of the scope, and of the user. */
  domainIds: string[];
  roles: RoleRef[];
  auditIds: string[];
  issuedAt: number;
}

/** How often to look for events written by other processes. */
const REFRESH_MS = 1000;

/**
 * Revocation events, as Keystone keeps them: a token is revoked when every
 * attribute an event sets matches the token and the token was issued before
 * the event. Events live as long as the tokens they can revoke.
 */
export class RevocationService {
  readonly #store: RevocationStore;
  readonly #ctx: IdentityContext;
  #events: RevocationEventRow[] = [];
  #loadedAt = 0;
  #fingerprint: string | undefined;

  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
    this.#store = new RevocationStore(ctx.db);
  }

  async revoke(input: RevocationInput): Promise<void> {
    // Tokens carry millisecond issue times; an event covers everything issued up to and including now.
    const now = new Date();
    const lifetime = (this.#ctx.config.tokenExpiration + this.#ctx.config.allowExpiredWindow) * 1000;
    const row: RevocationEventRow = {
      id: newId(),
      user_id: input.userId ?? null,
      project_id: input.projectId ?? null,
      domain_id: input.domainId ?? null,
      role_id: input.roleId ?? null,
      audit_id: input.auditId ?? null,
      audit_chain_id: input.auditChainId ?? null,
      issued_before: now.toISOString(),
      revoked_at: now.toISOString(),
      expires_at: new Date(now.getTime() + lifetime).toISOString(),
    };
    await this.#store.add(row);
    this.#events.push(row);
    this.#ctx.revision.bump();
  }

  async isRevoked(t: RevocableToken): Promise<boolean> {
    await this.#refresh();
    for (const e of this.#events) {
      if (t.issuedAt > Date.parse(e.issued_before)) continue;
      if (e.user_id !== null && e.user_id !== t.userId) continue;
      if (e.project_id !== null && e.project_id !== t.projectId) continue;
      if (e.domain_id !== null && !t.domainIds.includes(e.domain_id)) continue;
      if (e.role_id !== null && !t.roles.some((r) => r.id === e.role_id)) continue;
      if (e.audit_id !== null && e.audit_id !== t.auditIds[0]) continue;
      if (e.audit_chain_id !== null && e.audit_chain_id !== t.auditIds[t.auditIds.length - 1]) continue;
      return true;
    }
    return false;
  }

  /**
   * Notices events other processes wrote (at most one query a second); new
   * events bump the revision, which drops every cached validation.
   */
  sync(): Promise<void> {
    return this.#refresh();
  }

  /** True when `sync` would query the database; lets the hot path skip an await otherwise. */
  get syncDue(): boolean {
    return Date.now() - this.#loadedAt >= REFRESH_MS;
  }

  async list(): Promise<RevocationEventRow[]> {
    await this.#refresh(true);
    return [...this.#events];
  }

  async #refresh(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.#loadedAt < REFRESH_MS) return;
    this.#loadedAt = now;
    const fingerprint = await this.#store.fingerprint();
    if (!force && fingerprint === this.#fingerprint) return;
    const lifetime = (this.#ctx.config.tokenExpiration + this.#ctx.config.allowExpiredWindow) * 1000;
    await this.#store.pruneBefore(new Date(now - lifetime).toISOString());
    this.#events = await this.#store.list();
    if (fingerprint !== this.#fingerprint) this.#ctx.revision.bump();
    // The fingerprint of exactly the rows just read (pruning changed the count; an insert may race the read).
    const newest = this.#events.reduce((m, e) => (e.revoked_at > m ? e.revoked_at : m), '');
    this.#fingerprint = `${newest}|${this.#events.length}`;
  }
}
