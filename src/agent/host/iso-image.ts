import { runCommand } from './host-process.js';

/**
 * An ISO 9660 image (Rock Ridge and Joliet names) of `sourceDir`, labelled
 * `label`: the config drive Nova writes with genisoimage, which guests find
 * by its label (config-2).
 */
export async function makeIso(sourceDir: string, outPath: string, label: string): Promise<void> {
  await runCommand(
    ['genisoimage', '-o', outPath, '-ldots', '-allow-lowercase', '-allow-multidot', '-l', '-quiet', '-J', '-r', '-V', label, sourceDir],
    { timeoutMs: 60_000 },
  );
}
