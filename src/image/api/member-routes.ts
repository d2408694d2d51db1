import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ImageServices } from '../domain/image-services.js';
import { memberView } from './image-views.js';
import { callerOf, enforce } from './route-helpers.js';

const ImageParam = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }) });
const MemberParams = Type.Object({
  image_id: Type.String({ minLength: 1, maxLength: 255 }),
  member_id: Type.String({ minLength: 1, maxLength: 255 }),
});
const AddBody = Type.Object({ member: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });
const StatusBody = Type.Object({ status: Type.String() }, { additionalProperties: false });

/** /v2/images/{id}/members */
export function registerMemberRoutes(app: FastifyInstance, svc: ImageServices): void {
  const { policy, members } = svc;

  app.get('/v2/images/:image_id/members', { schema: { params: ImageParam } }, async (req) => {
    enforce(policy, req, 'get_members');
    const { image_id } = req.params as { image_id: string };
    const list = await members.list(callerOf(policy, req), image_id);
    return { members: list.map(memberView), schema: '/v2/schemas/members' };
  });

  app.post('/v2/images/:image_id/members', { schema: { params: ImageParam, body: AddBody } }, async (req) => {
    enforce(policy, req, 'add_member');
    const { image_id } = req.params as { image_id: string };
    const { member } = req.body as { member: string };
    return memberView(await members.add(callerOf(policy, req), image_id, member));
  });

  app.get('/v2/images/:image_id/members/:member_id', { schema: { params: MemberParams } }, async (req) => {
    enforce(policy, req, 'get_member');
    const { image_id, member_id } = req.params as { image_id: string; member_id: string };
    return memberView(await members.get(callerOf(policy, req), image_id, member_id));
  });

  app.put('/v2/images/:image_id/members/:member_id', { schema: { params: MemberParams, body: StatusBody } }, async (req) => {
    enforce(policy, req, 'modify_member');
    const { image_id, member_id } = req.params as { image_id: string; member_id: string };
    const { status } = req.body as { status: string };
    return memberView(await members.setStatus(callerOf(policy, req), image_id, member_id, status));
  });

  app.delete('/v2/images/:image_id/members/:member_id', { schema: { params: MemberParams } }, async (req, reply) => {
    enforce(policy, req, 'delete_member');
    const { image_id, member_id } = req.params as { image_id: string; member_id: string };
    await members.remove(callerOf(policy, req), image_id, member_id);
    return reply.code(204).send();
  });
}
