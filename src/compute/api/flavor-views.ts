import type { FastifyRequest } from 'fastify';
import type { Flavor } from '../domain/resource-services.js';
import { links } from './resource-route-helpers.js';

/** `GET /flavors` entry. */
export function flavorIndexView(req: FastifyRequest, f: Flavor): Record<string, unknown> {
  const out: Record<string, unknown> = { id: f.id, links: links(req, 'flavors', f.id), name: f.name };
  if (req.microversion.atLeast('2.55')) out.description = f.description;
  return out;
}

/** A full flavor as each microversion shows it; extra specs (2.61) only when the caller may read them. */
export function flavorView(req: FastifyRequest, f: Flavor, showExtraSpecs: boolean): Record<string, unknown> {
  const mv = req.microversion;
  const out: Record<string, unknown> = {
    id: f.id,
    name: f.name,
    ram: f.memoryMb,
    disk: f.rootGb,
    vcpus: f.vcpus,
    // Nova shows a zero swap as "" until 2.75.
    swap: f.swapMb === 0 && !mv.atLeast('2.75') ? '' : f.swapMb,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeralGb,
    'OS-FLV-DISABLED:disabled': f.disabled,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: f.rxtxFactor,
    links: links(req, 'flavors', f.id),
  };
  if (mv.atLeast('2.55')) out.description = f.description;
  if (mv.atLeast('2.61') && showExtraSpecs) out.extra_specs = f.extraSpecs;
  return out;
}
