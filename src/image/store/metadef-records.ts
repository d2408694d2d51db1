/**
 * The metadefs catalog's records as the stores return them. They live in the
 * store layer (the domain re-exports them) because a store may import types
 * only from `domain/models.ts`, which the image service proper owns.
 */

/** A property definition: JSON-schema keywords (title, type, enum, minimum, ...) without the property's name. */
export type PropertyDefinition = Record<string, unknown>;

export type NamespaceVisibility = 'public' | 'private';

export interface MetadefNamespace {
  id: string;
  namespace: string;
  displayName: string | null;
  description: string | null;
  visibility: NamespaceVisibility;
  protected: boolean;
  owner: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MetadefObject {
  id: string;
  namespaceId: string;
  name: string;
  description: string | null;
  required: string[] | null;
  properties: Record<string, PropertyDefinition> | null;
  createdAt: string;
  updatedAt: string;
}

export interface MetadefProperty {
  id: string;
  namespaceId: string;
  name: string;
  definition: PropertyDefinition;
  createdAt: string;
  updatedAt: string;
}

export interface MetadefTag {
  id: string;
  namespaceId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface MetadefResourceType {
  name: string;
  protected: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A namespace's link to a resource type, with the prefix its properties take there. */
export interface ResourceTypeAssociation {
  namespaceId: string;
  name: string;
  prefix: string | null;
  propertiesTarget: string | null;
  createdAt: string;
  updatedAt: string;
}
