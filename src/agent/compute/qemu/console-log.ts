/**
 * The serial console log QEMU appends to (chardev file, append=on). It is kept
 * bounded by trimming it to its tail; QEMU's O_APPEND writes land at the new
 * end, so trimming needs no cooperation from QEMU (a few bytes written during
 * the trim may be lost, which a console log tolerates).
 */
import { open, stat, truncate, appendFile } from 'node:fs/promises';

/** The last `max` bytes of `path` as text ('' when it does not exist). */
export async function readTail(path: string, max: number): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Once `path` passes `maxBytes`, keeps only its last quarter. */
export async function trimLog(path: string, maxBytes: number): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st || st.size <= maxBytes) return false;
  const tail = await readTail(path, Math.floor(maxBytes / 4));
  await truncate(path, 0);
  await appendFile(path, tail);
  return true;
}
