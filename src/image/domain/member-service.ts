import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { MemberStore } from '../store/member-store.js';
import type { ImageService } from './image-service.js';
import type { ImageQuotas } from './image-quotas.js';
import { MEMBER_STATUSES, type Caller, type ImageMember, type MemberStatus } from './models.js';

/**
 * Image sharing: the owner adds projects as members of a `shared` image;
 * each member accepts or rejects it (only accepted images are listed).
 */
export class MemberService {
  constructor(
    private readonly images: ImageService,
    private readonly members: MemberStore,
    private readonly quotas: ImageQuotas,
  ) {}

  async list(caller: Caller, imageId: string): Promise<ImageMember[]> {
    const image = await this.images.get(caller, imageId);
    if (this.images.owns(caller, image)) return this.members.list(imageId);
    // A member sees only its own membership.
    const own = caller.projectId === null ? undefined : await this.members.get(imageId, caller.projectId);
    return own ? [own] : [];
  }

  async get(caller: Caller, imageId: string, memberId: string): Promise<ImageMember> {
    const image = await this.images.get(caller, imageId);
    if (!this.images.owns(caller, image) && memberId !== caller.projectId) throw this.#notFound(memberId, imageId);
    const m = await this.members.get(imageId, memberId);
    if (!m) throw this.#notFound(memberId, imageId);
    return m;
  }

  async add(caller: Caller, imageId: string, memberId: string): Promise<ImageMember> {
    const image = await this.images.get(caller, imageId);
    if (!this.images.owns(caller, image)) throw forbidden('You are not permitted to add members to this image.', 'not_owner');
    if (image.visibility !== 'shared') throw forbidden(`Only shared images have members.`, 'not_shared');
    if (memberId.length === 0 || memberId.length > 255) throw badRequest('member: must be 1 to 255 characters.');
    const exists = (): Error => conflict(`Member ${memberId} already exists for image ${imageId}.`, 'member_exists');
    if (await this.members.get(imageId, memberId)) throw exists();
    this.quotas.checkMemberCount(await this.members.count(imageId));
    const now = dbTime();
    const m: ImageMember = { imageId, memberId, status: 'pending', createdAt: now, updatedAt: now };
    await failOnDuplicate(this.members.insert(m), exists);
    return m;
  }

  async setStatus(caller: Caller, imageId: string, memberId: string, status: string): Promise<ImageMember> {
    if (!(MEMBER_STATUSES as readonly string[]).includes(status)) {
      throw badRequest(`Invalid status '${status}': must be one of ${MEMBER_STATUSES.join(', ')}.`, 'invalid_member_status');
    }
    await this.images.get(caller, imageId);
    const m = await this.members.get(imageId, memberId);
    if (!m) throw this.#notFound(memberId, imageId);
    // Only the member decides whether it wants the image.
    if (caller.projectId !== memberId) throw forbidden('Only the member can change its membership status.', 'not_member');
    m.status = status as MemberStatus;
    m.updatedAt = dbTime();
    await this.members.update(m);
    return m;
  }

  async remove(caller: Caller, imageId: string, memberId: string): Promise<void> {
    const image = await this.images.get(caller, imageId);
    if (!this.images.owns(caller, image)) throw forbidden('You are not permitted to remove members of this image.', 'not_owner');
    if (!(await this.members.get(imageId, memberId))) throw this.#notFound(memberId, imageId);
    await this.members.delete(imageId, memberId);
  }

  #notFound(memberId: string, imageId: string): Error {
    return notFound(`${memberId} is not a member of image ${imageId}`, 'member_not_found');
  }
}
