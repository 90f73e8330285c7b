/**
 * The two pseudo filesystems tsbpf needs: tracefs (trace_pipe, for bpf_printk output) and bpffs
 * (pinning). Like bpftool, we check what is mounted with statfs(2)'s filesystem magic and mount
 * the filesystem with mount(2) when it is missing. Inside `ip netns exec` a fresh sysfs hides
 * both, so this is needed there even when the host has them mounted.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { errno, libcFunc, pinnedBytes } from './libc.js';
import { SysError } from './errors.js';

export const TRACEFS_MAGIC = 0x74726163n;
export const DEBUGFS_MAGIC = 0x64626720n;
export const BPF_FS_MAGIC = 0xcafe4a11n;

export const TRACEFS_PATH = '/sys/kernel/tracing';
const DEBUG_TRACING_PATH = '/sys/kernel/debug/tracing';
export const BPFFS_PATH = '/sys/fs/bpf';

/** statfs(2) f_type of the filesystem holding `path`, or undefined when `path` does not exist. */
export function fsMagic(path: string): bigint | undefined {
  const buf = pinnedBytes(256); // struct statfs is 120 bytes on 64-bit Linux; f_type comes first
  const r = libcFunc('int statfs(const char *path, void *buf)')(path, buf) as number;
  if (r < 0) {
    const e = errno();
    if (e === 2 /* ENOENT */ || e === 20 /* ENOTDIR */) return undefined;
    throw new SysError(`statfs(${path})`, e);
  }
  return new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
}

function mount(source: string, target: string, fstype: string, data: string | null): void {
  const r = libcFunc('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)')(source, target, fstype, 0, data) as number;
  if (r < 0) {
    const e = errno();
    const hint = e === 1 || e === 13 ? `mounting needs root (CAP_SYS_ADMIN); or have root mount it once: \`mount -t ${fstype} ${source} ${target}\`` : undefined;
    throw new SysError(`mount(${fstype} on ${target})`, e, undefined, hint);
  }
}

/**
 * The tracefs directory (where trace_pipe lives), mounting tracefs at /sys/kernel/tracing when no
 * tracefs is reachable. Returns the directory path.
 */
export function ensureTracefs(): string {
  if (fsMagic(TRACEFS_PATH) === TRACEFS_MAGIC) return TRACEFS_PATH;
  // Old layout: debugfs with tracefs automounted under it.
  if (fsMagic(DEBUG_TRACING_PATH) === TRACEFS_MAGIC) return DEBUG_TRACING_PATH;
  if (!existsSync(TRACEFS_PATH)) {
    throw new SysError(`mount(tracefs on ${TRACEFS_PATH})`, 2, `${TRACEFS_PATH} does not exist; is this kernel built with CONFIG_TRACING?`);
  }
  mount('nodev', TRACEFS_PATH, 'tracefs', null);
  return TRACEFS_PATH;
}

/** Makes sure a bpffs is mounted at `path` (default /sys/fs/bpf), mounting one (mode 0700) if not. */
export function ensureBpffs(path: string = BPFFS_PATH): string {
  const magic = fsMagic(path);
  if (magic === BPF_FS_MAGIC) return path;
  if (magic === undefined) mkdirSync(path, { recursive: true, mode: 0o700 });
  mount('bpf', path, 'bpf', 'mode=0700');
  return path;
}

/** True when `path` lies on a bpffs (pins can only be made there). */
export function isBpffs(path: string): boolean {
  return fsMagic(path) === BPF_FS_MAGIC;
}
