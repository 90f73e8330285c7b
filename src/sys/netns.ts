/**
 * Which network namespace this process is in: its inode (as `ip netns identify` and `lsns` show)
 * and, when it was made by `ip netns add`, its name. Interfaces, XDP attachments and netlink
 * answers are all per network namespace, so status output names it. `inNetns` runs code in
 * another namespace (setns(2) on the calling thread, which is the one making our syscalls).
 */
import { closeSync, openSync, readdirSync, statSync } from 'node:fs';
import { errno, libcFunc } from './libc.js';
import { SysError } from './errors.js';

const NETNS_RUN_DIR = '/run/netns';

export interface NetnsId {
  /** Inode of /proc/self/ns/net. */
  inode: number;
  /** The `ip netns` name bound to it, if any. */
  name?: string;
}

export function currentNetns(): NetnsId {
  const inode = statSync('/proc/self/ns/net').ino;
  let names: string[] = [];
  try {
    names = readdirSync(NETNS_RUN_DIR);
  } catch {
    return { inode };
  }
  for (const n of names) {
    try {
      // A bound namespace file is an nsfs mount: stat gives the namespace's inode.
      if (statSync(`${NETNS_RUN_DIR}/${n}`).ino === inode) return { inode, name: n };
    } catch {
      // Being deleted concurrently; skip.
    }
  }
  return { inode };
}

const CLONE_NEWNET = 0x40000000;

function setns(fd: number, what: string): void {
  if ((libcFunc('int setns(int fd, int nstype)')(fd, CLONE_NEWNET) as number) < 0) throw new SysError(`setns(${what})`, errno());
}

/**
 * Runs `fn` with this thread in network namespace `name` (as made by `ip netns add`, or a path to
 * a namespace file such as /proc/PID/ns/net) and switches back afterwards, also when `fn` throws.
 * Synchronous only: an `await` inside would let unrelated code run in the other namespace.
 * Sockets and links created inside stay bound to that namespace.
 */
export function inNetns<T>(name: string, fn: () => T): T {
  const path = name.includes('/') ? name : `${NETNS_RUN_DIR}/${name}`;
  const self = openSync('/proc/thread-self/ns/net', 'r');
  try {
    let target: number;
    try {
      target = openSync(path, 'r');
    } catch (e) {
      throw new SysError(`open(${path})`, -((e as NodeJS.ErrnoException).errno ?? -2), `no network namespace '${name}'`, 'list them with `ip netns list`');
    }
    try {
      setns(target, path);
    } finally {
      closeSync(target);
    }
    try {
      const r = fn();
      if (r instanceof Promise) throw new TypeError('inNetns: fn must be synchronous');
      return r;
    } finally {
      setns(self, 'back to the original network namespace');
    }
  } finally {
    closeSync(self);
  }
}
