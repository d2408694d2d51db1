import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { StoredKeypair } from '../domain/keypair-service.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { baseUrl, bodyValidator, intParam, param, queryOf } from './resource-route-helpers.js';
import { callerOf, enforce } from './route-helpers.js';

type NameParams = { Params: { name: string } };

/** Key pair names: Nova allows letters, digits, spaces, '_' and '-'; 2.92 adds '@' and '.'. */
function createSchema(mv: { atLeast(v: string): boolean }): object {
  const name = {
    type: 'string',
    minLength: 1,
    maxLength: 255,
    pattern: mv.atLeast('2.92') ? '^(?! )[a-zA-Z0-9 @._-]+(?<! )$' : '^(?! )[a-zA-Z0-9 _-]+(?<! )$',
  };
  const props: Record<string, unknown> = { name, public_key: { type: 'string' } };
  if (mv.atLeast('2.2')) props.type = { type: 'string', enum: ['ssh', 'x509'] };
  if (mv.atLeast('2.10')) props.user_id = { type: 'string', minLength: 1, maxLength: 255 };
  return {
    type: 'object',
    properties: {
      keypair: {
        type: 'object',
        properties: props,
        required: mv.atLeast('2.92') ? ['name', 'public_key'] : ['name'],
        additionalProperties: false,
      },
    },
    required: ['keypair'],
    additionalProperties: false,
  };
}

/** os-keypairs: per user; admins name another user with `user_id` (2.10). */
export function registerKeypairRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, keypairs } = s;
  const validate = bodyValidator();

  /** The user whose key pairs a request is about, checked against policy as Nova does. */
  const targetUser = (req: FastifyRequest, action: string, bodyUser?: string): string => {
    const caller = callerOf(policy, req);
    const asked = req.microversion.atLeast('2.10') ? (bodyUser ?? param(queryOf(req), 'user_id')) : undefined;
    const userId = asked ?? caller.userId;
    enforce(policy, req, `os_compute_api:os-keypairs:${action}`, { user_id: userId });
    return userId;
  };

  app.get('/v2.1/os-keypairs', async (req) => {
    const userId = targetUser(req, 'index');
    const mv = req.microversion;
    const q = queryOf(req);
    const paging = mv.atLeast('2.35');
    const limit = paging ? intParam(q, 'limit', 0) : undefined;
    const list = await keypairs.list(userId, limit, paging ? param(q, 'marker') : undefined);
    const view = (k: StoredKeypair) => ({
      keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...(mv.atLeast('2.2') ? { type: k.type } : {}) },
    });
    const body: Record<string, unknown> = { keypairs: list.map(view) };
    if (limit !== undefined && list.length > 0 && list.length === limit) {
      const next = new URLSearchParams({ limit: String(limit), marker: list[list.length - 1]!.name });
      if (param(q, 'user_id')) next.set('user_id', param(q, 'user_id')!);
      body.keypairs_links = [{ rel: 'next', href: `${baseUrl(req)}/v2.1/os-keypairs?${next.toString()}` }];
    }
    return body;
  });

  app.get<NameParams>('/v2.1/os-keypairs/:name', async (req) => {
    const userId = targetUser(req, 'show');
    const k = await keypairs.get(userId, req.params.name);
    return {
      keypair: {
        id: k.id,
        name: k.name,
        user_id: k.userId,
        public_key: k.publicKey,
        fingerprint: k.fingerprint,
        created_at: k.createdAt.replace(/\.(\d{3})Z$/, '.$1000'),
        updated_at: null,
        deleted_at: null,
        deleted: false,
        ...(req.microversion.atLeast('2.2') ? { type: k.type } : {}),
      },
    };
  });

  app.post('/v2.1/os-keypairs', async (req, reply) => {
    const mv = req.microversion;
    const { keypair: b } = validate<{ keypair: { name: string; public_key?: string; type?: 'ssh' | 'x509'; user_id?: string } }>(
      `create${mv.atLeast('2.92') ? 92 : mv.atLeast('2.10') ? 10 : mv.atLeast('2.2') ? 2 : 1}`,
      () => createSchema(mv),
      req.body,
    );
    const userId = targetUser(req, 'create', b.user_id);
    const caller = callerOf(policy, req);
    if (b.public_key !== undefined && b.public_key.trim() === '') throw badRequest('Keypair data is invalid: public_key is empty');
    const k = await keypairs.create({
      userId,
      projectId: caller.projectId ?? '',
      name: b.name,
      type: b.type ?? 'ssh',
      publicKey: b.public_key,
    });
    const body = {
      keypair: {
        name: k.name,
        user_id: k.userId,
        public_key: k.publicKey,
        fingerprint: k.fingerprint,
        ...(k.privateKey !== undefined ? { private_key: k.privateKey } : {}),
        ...(mv.atLeast('2.2') ? { type: k.type } : {}),
      },
    };
    return reply.code(mv.atLeast('2.2') ? 201 : 200).send(body);
  });

  app.delete<NameParams>('/v2.1/os-keypairs/:name', async (req, reply) => {
    const userId = targetUser(req, 'delete');
    await keypairs.delete(userId, req.params.name);
    return reply.code(req.microversion.atLeast('2.2') ? 204 : 202).send();
  });
}
