import type {
  MetadefNamespace,
  MetadefObject,
  MetadefProperty,
  MetadefTag,
  PropertyDefinition,
  ResourceTypeAssociation,
} from '../store/metadef-records.js';

export type {
  MetadefNamespace,
  MetadefObject,
  MetadefProperty,
  MetadefResourceType,
  MetadefTag,
  NamespaceVisibility,
  PropertyDefinition,
  ResourceTypeAssociation,
} from '../store/metadef-records.js';

export interface AssociationInput {
  name: string;
  prefix?: string;
  propertiesTarget?: string;
}

export interface ObjectInput {
  name: string;
  description?: string;
  required?: string[];
  properties?: Record<string, PropertyDefinition>;
}

export interface PropertyInput {
  name: string;
  definition: PropertyDefinition;
}

/** A namespace's own attributes, as create and update (a full replacement) take them. */
export interface NamespaceInput {
  namespace: string;
  displayName?: string;
  description?: string;
  visibility?: MetadefNamespace['visibility'];
  protected?: boolean;
  owner?: string;
}

/** Create may bring the namespace's whole contents at once. */
export interface NamespaceCreateInput extends NamespaceInput {
  resourceTypeAssociations?: AssociationInput[];
  properties?: Record<string, PropertyDefinition>;
  objects?: ObjectInput[];
  tags?: string[];
}

/** A namespace with everything it holds, as GET /v2/metadefs/namespaces/{name} shows it. */
export interface NamespaceDetail {
  namespace: MetadefNamespace;
  associations: ResourceTypeAssociation[];
  objects: MetadefObject[];
  properties: MetadefProperty[];
  tags: MetadefTag[];
}

export type SortDir = 'asc' | 'desc';

export const NAMESPACE_SORT_KEYS = ['namespace', 'display_name', 'visibility', 'protected', 'owner', 'created_at', 'updated_at'] as const;
export type NamespaceSortKey = (typeof NAMESPACE_SORT_KEYS)[number];

export interface NamespaceListQuery {
  limit: number;
  /** Name of the last namespace of the previous page. */
  marker?: string;
  sortKey: NamespaceSortKey;
  sortDir: SortDir;
  visibility?: MetadefNamespace['visibility'];
  resourceTypes?: string[];
}

export const TAG_SORT_KEYS = ['name', 'created_at', 'updated_at'] as const;
export type TagSortKey = (typeof TAG_SORT_KEYS)[number];

export interface TagListQuery {
  limit?: number;
  marker?: string;
  sortKey: TagSortKey;
  sortDir: SortDir;
}
