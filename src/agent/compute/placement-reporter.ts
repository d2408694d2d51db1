/**
 * Registers this host as a resource provider in placement (Zed API,
 * microversion 1.39) and keeps its inventory in line with the host.
 */
import type { ServiceClient } from '../../lib/clients/service-client.js';
import type { AgentConfig } from '../../lib/config/config.js';
import type { HostResources } from './driver.js';

interface ProviderBody {
  uuid: string;
  name: string;
  generation: number;
}

const TRAITS = ['COMPUTE_NET_ATTACH_INTERFACE', 'COMPUTE_IMAGE_TYPE_QCOW2', 'COMPUTE_IMAGE_TYPE_RAW', 'HW_ARCH_X86_64'];

/**
 * Creates the provider (or adopts the one placement already has under this
 * host name) and sets its inventory. Returns the provider UUID in use.
 */
export async function reportProvider(
  placement: ServiceClient,
  host: string,
  wantedUuid: string,
  res: HostResources,
  cfg: AgentConfig,
  warn: (obj: object, msg: string) => void,
): Promise<string> {
  let uuid = wantedUuid;
  const created = await placement.request('POST', '/resource_providers', { body: { name: host, uuid }, expect: [200, 201, 409] });
  if (created.status === 409) {
    // Either our UUID exists already (fine) or the name is taken by an older UUID of this host: adopt it.
    const byName = await placement.request<{ resource_providers: ProviderBody[] }>(
      'GET',
      `/resource_providers?name=${encodeURIComponent(host)}`,
    );
    const existing = byName.body.resource_providers[0];
    if (existing) uuid = existing.uuid;
  }
  const inventories = {
    VCPU: inv(res.vcpus, 0, cfg.cpuAllocationRatio),
    MEMORY_MB: inv(res.memoryMb, Math.min(cfg.reservedHostMemoryMb, res.memoryMb), cfg.ramAllocationRatio),
    DISK_GB: inv(res.diskGb, Math.min(Math.ceil(cfg.reservedHostDiskMb / 1024), res.diskGb), cfg.diskAllocationRatio),
  };
  for (let attempt = 0; ; attempt++) {
    const rp = await placement.request<ProviderBody>('GET', `/resource_providers/${uuid}`);
    const put = await placement.request('PUT', `/resource_providers/${uuid}/inventories`, {
      body: { resource_provider_generation: rp.body.generation, inventories },
      expect: [200, 409],
    });
    if (put.status === 200) break;
    // 409: generation moved under us (or inventory in use); re-read and retry a few times.
    if (attempt >= 3) throw new Error(`placement refused the inventory of ${uuid}: ${JSON.stringify(put.body).slice(0, 300)}`);
  }
  try {
    const rp = await placement.request<ProviderBody>('GET', `/resource_providers/${uuid}`);
    await placement.request('PUT', `/resource_providers/${uuid}/traits`, {
      body: { resource_provider_generation: rp.body.generation, traits: TRAITS },
    });
  } catch (e) {
    // Traits only refine scheduling; a placement without them still works.
    warn({ err: e }, 'setting provider traits failed');
  }
  return uuid;
}

function inv(total: number, reserved: number, ratio: number): Record<string, number> {
  return { total, reserved, min_unit: 1, max_unit: total, step_size: 1, allocation_ratio: ratio };
}
