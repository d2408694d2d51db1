/**
 * A Fernet key directory laid out and rotated exactly like
 * `keystone-manage fernet_setup` / `fernet_rotate`, so a Keystone key
 * repository can be copied in (and out) unchanged:
 *
 *   0        staged key: the next primary, already accepted for decryption so
 *            that rotating one node before its peers does not break tokens
 *   max(n)   primary key: encrypts new tokens
 *   others   secondary keys: decrypt only, pruned beyond `maxActiveKeys`
 */
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FernetKey } from './fernet.js';

export interface FernetKeyRepositoryConfig {
  dir: string;
  /** Keys kept after a rotation, staged key included (Keystone's `max_active_keys`, default 3, minimum 1). */
  maxActiveKeys?: number;
}

export interface LoadedFernetKeys {
  primary: FernetKey;
  /** Primary first, then secondaries in descending order, staged key (0) last. */
  all: FernetKey[];
  /** Key numbers parallel to `all`, for logs and diagnostics. */
  ids: number[];
}

export class FernetKeyRepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FernetKeyRepositoryError';
  }
}

const KEY_NAME = /^(?:0|[1-9][0-9]*)$/;

export class FernetKeyRepository {
  readonly #config: Readonly<Required<FernetKeyRepositoryConfig>>;

  constructor(config: FernetKeyRepositoryConfig) {
    const maxActiveKeys = config.maxActiveKeys ?? 3;
    if (!Number.isInteger(maxActiveKeys) || maxActiveKeys < 1) {
      throw new RangeError(`maxActiveKeys must be an integer >= 1, got ${maxActiveKeys}`);
    }
    this.#config = Object.freeze({ dir: config.dir, maxActiveKeys });
  }

  get dir(): string {
    return this.#config.dir;
  }

  /**
   * Creates the directory and keys 0 and 1. Like Keystone, does nothing when
   * a staged key already exists. Returns whether anything was created.
   */
  setup(): boolean {
    const { dir } = this.#config;
    // mkdir's mode is filtered by the umask, hence the chmod; an existing directory is left alone.
    if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
    if (this.#keyIds().includes(0)) return false;
    this.#writeKey(0, FernetKey.generate());
    this.rotate();
    return true;
  }

  /** Promotes the staged key to primary, stages a new key and prunes the oldest secondaries. */
  rotate(): void {
    const { dir, maxActiveKeys } = this.#config;
    const ids = this.#keyIds();
    if (!ids.includes(0)) {
      throw new FernetKeyRepositoryError(`Fernet key repository ${dir} has no staged key 0; run setup first`);
    }
    const newPrimary = Math.max(...ids) + 1;
    renameSync(join(dir, '0'), join(dir, String(newPrimary)));
    this.#writeKey(0, FernetKey.generate());
    // As Keystone: the new staged key counts against the limit, so keep maxActiveKeys - 1 others.
    const active = ids
      .filter((id) => id !== 0)
      .concat(newPrimary)
      .sort((a, b) => b - a);
    for (const id of active.slice(Math.max(0, maxActiveKeys - 1))) {
      rmSync(join(dir, String(id)));
    }
    fsyncDir(dir);
  }

  load(): LoadedFernetKeys {
    const { dir } = this.#config;
    const ids = this.#keyIds().sort((a, b) => b - a);
    if (ids.length === 0) {
      throw new FernetKeyRepositoryError(`Fernet key repository ${dir} has no keys; run setup first`);
    }
    const all = ids.map((id) => {
      const file = join(dir, String(id));
      try {
        return new FernetKey(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new FernetKeyRepositoryError(`Invalid Fernet key file ${file}: ${(err as Error).message}`);
      }
    });
    return { primary: all[0] as FernetKey, all, ids };
  }

  /** Numbers of the key files present; other names (temp files, editor backups) are ignored as Keystone does. */
  #keyIds(): number[] {
    const { dir } = this.#config;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new FernetKeyRepositoryError(`Cannot read Fernet key repository ${dir}: ${code ?? (err as Error).message}`);
    }
    return names.filter((n) => KEY_NAME.test(n) && statSync(join(dir, n)).isFile()).map(Number);
  }

  /** Write-then-rename so a crash never leaves a truncated key under a key name. */
  #writeKey(id: number, key: string): void {
    const { dir } = this.#config;
    const tmp = join(dir, `.${id}.tmp-${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      try {
        writeSync(fd, key);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(tmp, 0o600); // open's mode is filtered by the umask
      renameSync(tmp, join(dir, String(id)));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
