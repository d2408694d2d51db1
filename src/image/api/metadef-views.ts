import { isoSeconds } from '../../lib/time.js';
import type { ListedNamespace } from '../domain/metadef-namespace-service.js';
import type {
  MetadefNamespace,
  MetadefObject,
  MetadefProperty,
  MetadefResourceType,
  MetadefTag,
  NamespaceDetail,
  ResourceTypeAssociation,
} from '../domain/metadef-models.js';

/**
 * Metadef bodies as Glance renders them: attributes without a value are
 * left out rather than sent as null, times are `2016-06-29T16:13:07Z`, and
 * links carry names as they are (Glance does not percent-encode them).
 */
const time = (t: string): string => isoSeconds(new Date(t));

/** Drops null attributes, as Glance's WSME models do. */
const present = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

export const namespaceHref = (name: string): string => `/v2/metadefs/namespaces/${name}`;

export function namespaceView(n: MetadefNamespace): Record<string, unknown> {
  return present({
    namespace: n.namespace,
    display_name: n.displayName,
    description: n.description,
    visibility: n.visibility,
    protected: n.protected,
    owner: n.owner,
    created_at: time(n.createdAt),
    updated_at: time(n.updatedAt),
    self: namespaceHref(n.namespace),
    schema: '/v2/schemas/metadefs/namespace',
  });
}

export function associationView(a: ResourceTypeAssociation): Record<string, unknown> {
  return present({
    name: a.name,
    prefix: a.prefix,
    properties_target: a.propertiesTarget,
    created_at: time(a.createdAt),
    updated_at: time(a.updatedAt),
  });
}

export function resourceTypeView(t: MetadefResourceType): Record<string, unknown> {
  return { name: t.name, created_at: time(t.createdAt), updated_at: time(t.updatedAt) };
}

/** A namespace in a list: its attributes and, when it has any, its resource-type associations. */
export function listedNamespaceView(l: ListedNamespace): Record<string, unknown> {
  const v = namespaceView(l.namespace);
  if (l.associations.length > 0) v.resource_type_associations = l.associations.map(associationView);
  return v;
}

export function objectView(namespace: string, o: MetadefObject): Record<string, unknown> {
  return present({
    name: o.name,
    description: o.description,
    required: o.required,
    properties: o.properties,
    created_at: time(o.createdAt),
    updated_at: time(o.updatedAt),
    self: `${namespaceHref(namespace)}/objects/${o.name}`,
    schema: '/v2/schemas/metadefs/object',
  });
}

/** One property: its definition with its name. */
export function propertyView(p: MetadefProperty): Record<string, unknown> {
  return { ...p.definition, name: p.name };
}

/** Properties keyed by name, each definition without its name. */
export function propertiesView(list: MetadefProperty[]): Record<string, unknown> {
  return Object.fromEntries(list.map((p) => [p.name, p.definition]));
}

export function tagView(t: MetadefTag): Record<string, unknown> {
  return { name: t.name, created_at: time(t.createdAt), updated_at: time(t.updatedAt) };
}

/** GET /v2/metadefs/namespaces/{name}: the namespace and, where not empty, what it holds. */
export function namespaceDetailView(d: NamespaceDetail): Record<string, unknown> {
  const v = namespaceView(d.namespace);
  const name = d.namespace.namespace;
  if (d.associations.length > 0) v.resource_type_associations = d.associations.map(associationView);
  if (d.properties.length > 0) v.properties = propertiesView(d.properties);
  if (d.objects.length > 0) v.objects = d.objects.map((o) => objectView(name, o));
  if (d.tags.length > 0) v.tags = d.tags.map((t) => ({ name: t.name }));
  return v;
}
