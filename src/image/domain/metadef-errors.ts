import { conflict, forbidden, notFound, type KumoError } from '../../lib/errors.js';

/** Glance's metadef fault messages, in one place so every route words them alike. */
export const namespaceNotFound = (name: string): KumoError =>
  notFound(`Metadata definition namespace=${name} was not found.`, 'metadef_namespace_not_found');

export const duplicateNamespace = (name: string): KumoError =>
  conflict(`The metadata definition namespace=${name} already exists.`, 'metadef_duplicate_namespace');

/** Deleting a protected namespace, or anything inside one, is refused until `protected` is cleared. */
export const protectedNamespace = (name: string): KumoError =>
  forbidden(`Metadata definition namespace ${name} is protected and cannot be deleted.`, 'metadef_namespace_protected');

export const protectedContent = (kind: 'object' | 'property' | 'tag' | 'resource-type-association', name: string): KumoError =>
  forbidden(`Metadata definition ${kind} ${name} is protected and cannot be deleted.`, 'metadef_namespace_protected');

export const contentNotFound = (kind: 'object' | 'property' | 'tag', name: string, namespace: string): KumoError =>
  notFound(`The metadata definition ${kind} with name=${name} was not found in namespace=${namespace}.`, `metadef_${kind}_not_found`);

export const duplicateContent = (kind: 'object' | 'property' | 'tag', name: string, namespace: string): KumoError =>
  conflict(`A metadata definition ${kind} with name=${name} already exists in namespace=${namespace}.`, `metadef_duplicate_${kind}`);

export const associationNotFound = (resourceType: string, namespace: string): KumoError =>
  notFound(
    `The metadata definition resource-type association of resource-type=${resourceType} to namespace=${namespace}, was not found.`,
    'metadef_association_not_found',
  );

export const duplicateAssociation = (resourceType: string, namespace: string): KumoError =>
  conflict(
    `The metadata definition resource-type association of resource-type=${resourceType} to namespace=${namespace}, already exists.`,
    'metadef_duplicate_association',
  );
