import { KumoError } from '../../lib/errors.js';
import type { ImageStore } from '../store/image-store.js';
import type { Image } from './models.js';

export interface ImageQuotaLimits {
  /** -1 means unlimited for every limit. */
  imageCount: number;
  imageSizeTotal: number;
  stageTotal: number;
  properties: number;
  tags: number;
  members: number;
  /** Largest single image in bytes. */
  sizeCap: number;
}

export interface QuotaUsage {
  image_count_total: { limit: number; usage: number };
  image_size_total: { limit: number; usage: number };
  image_stage_total: { limit: number; usage: number };
}

/** Glance answers every exceeded limit with 413. */
const overLimit = (message: string, code = 'over_limit'): KumoError => new KumoError(code, 413, message);

/** Per-project image quotas and per-image limits. */
export class ImageQuotas {
  constructor(
    private readonly images: ImageStore,
    readonly limits: Readonly<ImageQuotaLimits>,
  ) {}

  checkImageLimits(image: Image): void {
    const { properties, tags } = this.limits;
    if (properties >= 0 && Object.keys(image.properties).length > properties) {
      throw overLimit(`Attempted to add more properties than allowed: the maximum is ${properties}.`, 'property_limit');
    }
    if (tags >= 0 && image.tags.length > tags)
      throw overLimit(`Attempted to add more tags than allowed: the maximum is ${tags}.`, 'tag_limit');
  }

  checkMemberCount(current: number): void {
    const { members } = this.limits;
    if (members >= 0 && current + 1 > members) {
      throw overLimit(`Attempted to add more members than allowed: the maximum is ${members}.`, 'member_limit');
    }
  }

  async checkImageCount(owner: string): Promise<void> {
    if (this.limits.imageCount < 0) return;
    const { count } = await this.images.usage(owner);
    if (count + 1 > this.limits.imageCount) {
      throw overLimit(`Quota exceeded for image_count_total: the limit is ${this.limits.imageCount}.`, 'quota_exceeded');
    }
  }

  /**
   * The most bytes an upload into `owner`'s project may write: the image size
   * cap, and what is left of the project's storage (or staging) quota.
   */
  async maxUploadSize(owner: string | null, staging: boolean): Promise<number> {
    const total = staging ? this.limits.stageTotal : this.limits.imageSizeTotal;
    if (total < 0 || owner === null) return this.limits.sizeCap;
    const usage = await this.images.usage(owner);
    const left = total - (staging ? usage.staged : usage.bytes);
    if (left <= 0) {
      throw overLimit(
        `Quota exceeded for ${staging ? 'image_stage_total' : 'image_size_total'}: the limit is ${total} bytes.`,
        'quota_exceeded',
      );
    }
    return Math.min(this.limits.sizeCap, left);
  }

  async usage(owner: string): Promise<QuotaUsage> {
    const u = await this.images.usage(owner);
    return {
      image_count_total: { limit: this.limits.imageCount, usage: u.count },
      image_size_total: { limit: this.limits.imageSizeTotal, usage: u.bytes },
      image_stage_total: { limit: this.limits.stageTotal, usage: u.staged },
    };
  }
}
