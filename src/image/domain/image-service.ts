import { KumoError, badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { ImageStore } from '../store/image-store.js';
import type { MemberStore } from '../store/member-store.js';
import type { ImageDataStore } from '../store/image-data-store.js';
import {
  BASE_ATTRIBUTES,
  CONTAINER_FORMATS,
  DISK_FORMATS,
  READ_ONLY_ATTRIBUTES,
  RESERVED_ATTRIBUTES,
  VISIBILITIES,
  type Caller,
  type Image,
  type ImageListQuery,
} from './models.js';
import type { ImageLocationService } from './image-location-service.js';
import type { ImageQuotas } from './image-quotas.js';

/** One change of a JSON-patch update, with the path reduced to the attribute name. */
export interface ImageChange {
  op: 'add' | 'replace' | 'remove';
  attr: string;
  /** The position of a `/locations/<n>` or `/locations/-` path. */
  index?: string;
  value?: unknown;
}

export interface ImageServiceDeps {
  images: ImageStore;
  members: MemberStore;
  data: ImageDataStore;
  staging: ImageDataStore;
  quotas: ImageQuotas;
  /** The locations API; without it `locations` stays reserved. */
  locations?: ImageLocationService;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Images: what a caller may see and change, and the rules of each attribute. */
export class ImageService {
  constructor(private readonly deps: ImageServiceDeps) {}

  /** The image if the caller may see it; 404 otherwise, as for an image that does not exist. */
  async get(caller: Caller, id: string): Promise<Image> {
    const image = await this.deps.images.get(id);
    if (!image || image.status === 'deleted' || !(await this.canSee(caller, image))) {
      throw notFound(`No image found with ID ${id}`, 'image_not_found');
    }
    await this.deps.locations?.decorate([image]);
    return image;
  }

  /** Glance's visibility rule for one image. */
  async canSee(caller: Caller, image: Image): Promise<boolean> {
    if (caller.isAdmin || image.visibility === 'public' || image.visibility === 'community') return true;
    if (caller.projectId !== null && image.owner === caller.projectId) return true;
    if (image.visibility !== 'shared' || caller.projectId === null) return false;
    return (await this.deps.members.get(image.id, caller.projectId)) !== undefined;
  }

  /** The image if the caller may change it (owner or admin); others get 403, or 404 when they cannot even see it. */
  async getMutable(caller: Caller, id: string): Promise<Image> {
    const image = await this.get(caller, id);
    if (!this.owns(caller, image)) throw forbidden('You are not permitted to modify this image.', 'image_not_owner');
    return image;
  }

  owns(caller: Caller, image: Image): boolean {
    return caller.isAdmin || (caller.projectId !== null && image.owner === caller.projectId);
  }

  async list(caller: Caller, q: ImageListQuery): Promise<Image[]> {
    const { ids, markerFound } = await this.deps.images.listIds(q, { admin: caller.isAdmin, projectId: caller.projectId });
    if (!markerFound) throw badRequest(`Invalid marker. Image ${q.marker ?? ''} could not be found.`, 'invalid_marker');
    const images = await this.deps.images.getMany(ids);
    await this.deps.locations?.decorate(images);
    return images;
  }

  async create(caller: Caller, body: Record<string, unknown>): Promise<Image> {
    for (const key of Object.keys(body)) checkSettable(key);
    const now = dbTime();
    const image: Image = {
      id: newUuid(),
      name: null,
      status: 'queued',
      visibility: 'shared',
      protected: false,
      osHidden: false,
      owner: caller.projectId,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      size: null,
      virtualSize: null,
      minDisk: 0,
      minRam: 0,
      diskFormat: null,
      containerFormat: null,
      location: null,
      stagedSize: null,
      stagedLocation: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      tags: [],
      properties: {},
    };
    if (body.id !== undefined) {
      if (typeof body.id !== 'string' || !UUID.test(body.id)) throw badRequest('id: must be a valid UUID.');
      image.id = body.id;
      if (await this.deps.images.get(body.id)) throw imageExists(body.id);
    }
    for (const [key, value] of Object.entries(body)) {
      if (key !== 'id') this.#set(caller, image, key, value, true);
    }
    if (image.owner !== caller.projectId && !caller.isAdmin) {
      throw forbidden(`You are not permitted to create images owned by '${String(image.owner)}'.`);
    }
    this.deps.quotas.checkImageLimits(image);
    if (image.owner !== null) await this.deps.quotas.checkImageCount(image.owner);
    // The check above gives the 409 its precedence; this one closes the race with a concurrent create.
    await failOnDuplicate(this.deps.images.insert(image), () => imageExists(image.id));
    await this.deps.locations?.decorate([image]);
    return image;
  }

  async update(caller: Caller, id: string, changes: ImageChange[]): Promise<Image> {
    const image = await this.getMutable(caller, id);
    const before = image.status;
    const shown = this.deps.locations?.shown ? this.deps.locations : undefined;
    const locations = shown && changes.some((c) => c.attr === 'locations') ? await shown.edit(image) : undefined;
    for (const c of changes) {
      if (c.attr === 'locations' && locations) {
        await locations.apply(c);
        continue;
      }
      if (c.attr === 'tags' || BASE_ATTRIBUTES.has(c.attr) || RESERVED_ATTRIBUTES.has(c.attr)) {
        if (c.op === 'remove') {
          checkSettable(c.attr);
          throw forbidden(`Unable to remove property '${c.attr}'.`, 'attribute_not_removable');
        }
        checkSettable(c.attr);
        this.#set(caller, image, c.attr, c.value, false);
        continue;
      }
      checkPropertyName(c.attr);
      const exists = Object.hasOwn(image.properties, c.attr);
      if (c.op === 'remove') {
        if (!exists) throw conflict(`Property ${c.attr} does not exist.`, 'property_not_found');
        delete image.properties[c.attr];
      } else if (c.op === 'replace' && !exists) {
        throw conflict(`Property ${c.attr} does not exist.`, 'property_not_found');
      } else {
        image.properties[c.attr] = propertyValue(c.attr, c.value);
      }
    }
    this.deps.quotas.checkImageLimits(image);
    image.updatedAt = dbTime();
    if (!(await this.deps.images.save(image, [before]))) {
      throw conflict('The image changed while it was being updated; retry.', 'image_changed');
    }
    if (locations) await locations.commit();
    await this.deps.locations?.decorate([image]);
    return image;
  }

  /** Applies one base attribute (create or patch). */
  #set(caller: Caller, image: Image, key: string, value: unknown, creating: boolean): void {
    switch (key) {
      case 'name':
        if (value !== null && (typeof value !== 'string' || value.length > 255))
          throw badRequest('name: must be a string of at most 255 characters or null.');
        image.name = value;
        return;
      case 'visibility':
        if (typeof value !== 'string' || !(VISIBILITIES as readonly string[]).includes(value)) {
          throw badRequest(`visibility: '${String(value)}' is not one of ${VISIBILITIES.join(', ')}.`);
        }
        if (value === 'public' && !caller.isAdmin) throw forbidden('You are not permitted to publicize images.', 'publicize_forbidden');
        image.visibility = value as Image['visibility'];
        return;
      case 'protected':
      case 'os_hidden':
        if (typeof value !== 'boolean') throw badRequest(`${key}: must be a boolean.`);
        if (key === 'protected') image.protected = value;
        else image.osHidden = value;
        return;
      case 'min_disk':
      case 'min_ram':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
          throw badRequest(`${key}: must be a non-negative integer.`);
        }
        if (key === 'min_disk') image.minDisk = value;
        else image.minRam = value;
        return;
      case 'disk_format':
      case 'container_format': {
        const allowed: readonly string[] = key === 'disk_format' ? DISK_FORMATS : CONTAINER_FORMATS;
        if (value !== null && (typeof value !== 'string' || !allowed.includes(value))) {
          throw badRequest(`Invalid value '${String(value)}' for ${key}: must be one of ${allowed.join(', ')}.`, 'invalid_format');
        }
        if (!creating && image.status !== 'queued') {
          throw forbidden(`Attribute ${key} can be only replaced for a queued image.`, 'format_immutable');
        }
        if (key === 'disk_format') image.diskFormat = value as Image['diskFormat'];
        else image.containerFormat = value as Image['containerFormat'];
        return;
      }
      case 'owner':
        if (value !== null && (typeof value !== 'string' || value.length > 255))
          throw badRequest('owner: must be a string of at most 255 characters or null.');
        if (!caller.isAdmin && value !== caller.projectId) throw forbidden("You are not permitted to modify 'owner' on this image.");
        image.owner = value;
        return;
      case 'tags':
        if (!Array.isArray(value) || !value.every((t) => typeof t === 'string' && t.length <= 255)) {
          throw badRequest('tags: must be a list of strings of at most 255 characters.');
        }
        image.tags = [...new Set(value as string[])];
        return;
      default:
        checkPropertyName(key);
        image.properties[key] = propertyValue(key, value);
    }
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const image = await this.getMutable(caller, id);
    if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`, 'image_protected');
    const before = image.status;
    const location = image.location;
    const staged = image.stagedLocation;
    Object.assign(image, {
      status: 'deleted',
      deletedAt: dbTime(),
      updatedAt: dbTime(),
      location: null,
      stagedSize: null,
      stagedLocation: null,
    });
    if (!(await this.deps.images.save(image, [before])))
      throw conflict('The image changed while it was being deleted; retry.', 'image_changed');
    await this.deps.members.delete(id);
    await this.deps.locations?.forget(id);
    // Data goes after the row: a crash in between leaves an orphan file, never an active image without data.
    if (location) await this.deps.data.delete(location);
    if (staged) await this.deps.staging.delete(staged);
  }

  async deactivate(caller: Caller, id: string): Promise<void> {
    const image = await this.getMutable(caller, id);
    if (image.status === 'deactivated') return;
    if (image.status !== 'active') throw forbidden(`Not allowed to deactivate image in status '${image.status}'`, 'bad_status');
    await this.#setStatus(image, 'deactivated');
  }

  async reactivate(caller: Caller, id: string): Promise<void> {
    const image = await this.getMutable(caller, id);
    if (image.status === 'active') return;
    if (image.status !== 'deactivated') throw forbidden(`Not allowed to reactivate image in status '${image.status}'`, 'bad_status');
    await this.#setStatus(image, 'active');
  }

  async #setStatus(image: Image, status: Image['status']): Promise<void> {
    const before = image.status;
    image.status = status;
    image.updatedAt = dbTime();
    if (!(await this.deps.images.save(image, [before]))) throw conflict('The image changed concurrently; retry.', 'image_changed');
  }

  async addTag(caller: Caller, id: string, tag: string): Promise<void> {
    if (tag.length > 255) throw badRequest('Tags must be at most 255 characters.');
    const image = await this.getMutable(caller, id);
    if (image.tags.includes(tag)) return;
    image.tags.push(tag);
    this.deps.quotas.checkImageLimits(image);
    image.updatedAt = dbTime();
    await this.deps.images.save(image);
  }

  async deleteTag(caller: Caller, id: string, tag: string): Promise<void> {
    const image = await this.getMutable(caller, id);
    if (!image.tags.includes(tag)) throw notFound(`Tag ${tag} not found.`, 'tag_not_found');
    image.tags = image.tags.filter((t) => t !== tag);
    image.updatedAt = dbTime();
    await this.deps.images.save(image);
  }
}

const imageExists = (id: string): KumoError => conflict(`Image with identifier ${id} already exists!`, 'image_exists');

/** 403 for attributes no client may set, as Glance answers. */
function checkSettable(key: string): void {
  if (READ_ONLY_ATTRIBUTES.has(key)) throw forbidden(`Attribute '${key}' is read-only.`, 'attribute_read_only');
  if (RESERVED_ATTRIBUTES.has(key) || key.startsWith('os_glance')) throw forbidden(`Attribute '${key}' is reserved.`, 'attribute_reserved');
}

function checkPropertyName(key: string): void {
  if (key.length === 0 || key.length > 255) throw badRequest('Property names must be 1 to 255 characters.');
  checkSettable(key);
}

/** Glance's schema types every additional property as a string. */
function propertyValue(key: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new KumoError(
      'bad_request',
      400,
      `Provided object does not match schema '${key}': ${JSON.stringify(value)} is not of type 'string'`,
    );
  return value;
}
