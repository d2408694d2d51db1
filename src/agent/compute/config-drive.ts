import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from '../../lib/rpc/compute-rpc.js';
import { makeIso } from '../host/iso-image.js';
import { instanceMetadata, renderMetadata } from '../network/metadata-content.js';

const FILES = ['meta_data.json', 'network_data.json', 'vendor_data.json', 'vendor_data2.json', 'user_data'];

/**
 * The config drive of a server (Nova's `--config-drive true`): the
 * metadata service's OpenStack answers for every version, as files on an
 * ISO labelled config-2 that the guest mounts instead of asking
 * 169.254.169.254.
 */
export async function buildConfigDrive(instance: InstanceSpec, outPath: string): Promise<void> {
  const tree = await mkdtemp(join(dirname(outPath), '.config-drive-'));
  try {
    const md = instanceMetadata(instance, instance.networks[0]?.fixedIps[0]?.ipAddress ?? '', null, '');
    const versions = String(renderMetadata('/openstack/', md)?.body ?? 'latest').split('\n');
    for (const version of versions) {
      const dir = join(tree, 'openstack', version);
      await mkdir(dir, { recursive: true });
      for (const file of FILES) {
        const answer = renderMetadata(`/openstack/${version}/${file}`, md);
        if (answer) await writeFile(join(dir, file), answer.body);
      }
    }
    await makeIso(tree, outPath, 'config-2');
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}
