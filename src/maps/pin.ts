/** Where pins may go: a bpffs mount. /sys/fs/bpf is mounted on first use when it is not one yet. */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BPFFS_PATH, ensureBpffs, isBpffs } from '../sys/mount.js';
import { TsbpfError } from '../errors.js';

/**
 * Makes sure `path`'s directory exists on a bpffs (creating subdirectories there); mounts bpffs at
 * /sys/fs/bpf for paths below it. Nothing is created outside a bpffs.
 */
export function ensurePinDir(path: string): void {
  const abs = resolve(path);
  if (abs === BPFFS_PATH || abs.startsWith(`${BPFFS_PATH}/`)) ensureBpffs(BPFFS_PATH);
  const dir = dirname(abs);
  let existing = dir;
  while (!existsSync(existing)) existing = dirname(existing);
  if (!isBpffs(existing)) {
    throw new TsbpfError('PIN', `cannot pin at '${path}': ${existing} is not on a bpffs mount`, `pin under ${BPFFS_PATH}, or mount one: mount -t bpf bpf DIR`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
