import type { ImageServices } from '../domain/image-services.js';
import type { Image } from '../domain/models.js';
import { imageView } from './image-views.js';

/**
 * Image views; with several stores each image with data also gets Glance's
 * `stores`, the sorted, comma-joined ids of the stores holding it.
 */
export async function imageViews(svc: ImageServices, images: Image[]): Promise<Record<string, unknown>[]> {
  const views = images.map((i) => imageView(i));
  if (!svc.stores || images.length === 0) return views;
  const held = await svc.stores.storeIdsOf(images.map((i) => i.id));
  return views.map((v, n) => {
    const ids = held.get(images[n]?.id ?? '');
    return ids?.length ? { ...v, stores: ids.join(',') } : v;
  });
}

export async function imageViewOf(svc: ImageServices, image: Image): Promise<Record<string, unknown>> {
  return (await imageViews(svc, [image]))[0] ?? imageView(image);
}
