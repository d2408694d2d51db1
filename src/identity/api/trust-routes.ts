import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../lib/errors.js';
import type { IdentityServices } from '../domain/identity-services.js';
import type { Trust, TrustInput, Trustor } from '../domain/trust-service.js';
import { allowed, authOf, collectionLinks, enforce, selfLinks, v3Url } from './route-helpers.js';
import { roleView } from './views.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const NullableId = Type.Union([Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' }), Type.Null()]);
// Keystone's trust_create schema.
const RoleRef = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '[\\S]+' })),
    domain_id: Type.Optional(NullableId),
  },
  { additionalProperties: false, minProperties: 1 },
);
const Create = Type.Object(
  {
    trust: Type.Object(
      {
        trustor_user_id: Type.String({ minLength: 1, maxLength: 64 }),
        trustee_user_id: Type.String({ minLength: 1, maxLength: 64 }),
        impersonation: Type.Boolean(),
        project_id: Type.Optional(NullableId),
        roles: Type.Optional(Type.Array(RoleRef)),
        expires_at: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
        remaining_uses: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
        allow_redelegation: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
        redelegation_count: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);
const TrustParam = Type.Object({ trust_id: Id });
const RoleParam = Type.Object({ trust_id: Id, role_id: Id });
const ListQuery = Type.Object({ trustor_user_id: Type.Optional(Type.String()), trustee_user_id: Type.Optional(Type.String()) });

const BASE = '/v3/OS-TRUST/trusts';

/** Keystone's trust body; listings leave the roles out. */
function trustView(req: FastifyRequest, t: Trust, withRoles: boolean): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...t.extra,
    id: t.id,
    trustor_user_id: t.trustorUserId,
    trustee_user_id: t.trusteeUserId,
    project_id: t.projectId,
    impersonation: t.impersonation,
    expires_at: t.expiresAt,
    remaining_uses: t.remainingUses,
    allow_redelegation: t.allowRedelegation,
    redelegation_count: t.redelegationCount,
    redelegated_trust_id: null,
    links: selfLinks(req, `OS-TRUST/trusts/${t.id}`),
  };
  if (withRoles) {
    v.roles = t.roles.map((r) => roleView(req, r));
    v.roles_links = { self: `${v3Url(req)}/OS-TRUST/trusts/${t.id}/roles`, previous: null, next: null };
  }
  return v;
}

const target = (t: { trustorUserId: string; trusteeUserId: string; id?: string }) => ({
  target: { trust: { id: t.id, trustor_user_id: t.trustorUserId, trustee_user_id: t.trusteeUserId } },
});

/** /v3/OS-TRUST/trusts: delegation of a trustor's project roles to a trustee. */
export function registerTrustRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, trusts, tokens, appCreds } = svc;

  /** The caller as a trustor: how its token was obtained matters for delegation. */
  async function trustor(req: FastifyRequest): Promise<Trustor> {
    const auth = authOf(req);
    const data = await tokens.validate(auth.token);
    const ac = data.payload.appCredId ? await appCreds.find(data.payload.appCredId) : undefined;
    return {
      userId: auth.userId,
      viaTrust: data.payload.trustId !== undefined,
      viaRestrictedAppCred: ac !== undefined && !ac.unrestricted,
    };
  }

  /** A live trust the caller may see (404 before 403, as Keystone looks the trust up first). */
  async function readable(req: FastifyRequest, action: string): Promise<Trust> {
    const { trust_id } = req.params as { trust_id: string };
    const t = await trusts.get(trust_id);
    enforce(policy, req, action, target(t));
    return t;
  }

  app.post(BASE, { schema: { body: Create } }, async (req, reply) => {
    const { trust: input } = req.body as { trust: TrustInput };
    enforce(policy, req, 'identity:create_trust', target({ trustorUserId: input.trustor_user_id, trusteeUserId: input.trustee_user_id }));
    if (input.roles?.some((r) => !r.id && !r.name)) {
      throw badRequest("Invalid input for field 'roles': each role needs an id or a name.", 'validation_error');
    }
    const created = await trusts.create(await trustor(req), input);
    return reply.code(201).send({ trust: trustView(req, created, true) });
  });

  app.get(BASE, { schema: { querystring: ListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_trusts');
    const q = req.query as { trustor_user_id?: string; trustee_user_id?: string };
    // Like Keystone: listing all trusts is for admins; others only list trusts they are party to.
    if (!allowed(policy, req, 'admin_required')) {
      const me = authOf(req).userId;
      if (q.trustor_user_id === undefined && q.trustee_user_id === undefined) enforce(policy, req, 'admin_required');
      if (q.trustor_user_id !== undefined && q.trustor_user_id !== me) enforce(policy, req, 'admin_required');
      if (q.trustee_user_id !== undefined && q.trustee_user_id !== me) enforce(policy, req, 'admin_required');
    }
    const list = await trusts.list({ trustorUserId: q.trustor_user_id, trusteeUserId: q.trustee_user_id });
    return { trusts: list.map((t) => trustView(req, t, false)), links: collectionLinks(req) };
  });

  app.get(`${BASE}/:trust_id`, { schema: { params: TrustParam } }, async (req) => {
    return { trust: trustView(req, await readable(req, 'identity:get_trust'), true) };
  });

  app.delete(`${BASE}/:trust_id`, { schema: { params: TrustParam } }, async (req, reply) => {
    const { trust_id } = req.params as { trust_id: string };
    // An expired or used-up trust can still be deleted.
    const t = await trusts.find(trust_id);
    if (!t) throw notFound(`Could not find trust: ${trust_id}.`, 'trust_not_found');
    enforce(policy, req, 'identity:delete_trust', target(t));
    await trusts.delete(trust_id);
    return reply.code(204).send();
  });

  app.get(`${BASE}/:trust_id/roles`, { schema: { params: TrustParam } }, async (req) => {
    const t = await readable(req, 'identity:list_roles_for_trust');
    return { roles: t.roles.map((r) => roleView(req, r)), links: collectionLinks(req) };
  });

  // GET answers the role, HEAD (derived from GET) 200 without a body; 404 for a role the trust does not delegate.
  app.get(`${BASE}/:trust_id/roles/:role_id`, { schema: { params: RoleParam } }, async (req) => {
    const { role_id } = req.params as { role_id: string };
    const t = await readable(req, 'identity:get_role_for_trust');
    const role = t.roles.find((r) => r.id === role_id);
    if (!role) throw notFound(`Could not find role: ${role_id}.`, 'role_not_found');
    return { role: roleView(req, role) };
  });
}
