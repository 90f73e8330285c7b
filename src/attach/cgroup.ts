/**
 * Programs on a cgroup v2 directory — cgroup_skb (ingress/egress), cgroup/sysctl,
 * cgroup/getsockopt|setsockopt, sockops, cgroup/sock*, cgroup/connect4… (the attach type is the
 * one the program was loaded with): BPF_LINK_CREATE on the directory's fd, so the program runs
 * for every process in the cgroup and its descendants and detaches when the link's fds close.
 * Kernels before 5.7 (no cgroup links, EINVAL) get BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI and an
 * explicit BPF_PROG_DETACH.
 */
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { BPF_F_ALLOW_MULTI, bpf_attach_type } from '../abi/index.js';
import { E, SysError, linkCreate, progAttach, progDetach } from '../sys/bpf.js';
import { fsMagic } from '../sys/mount.js';
import { AttachError, LinkAttachment, attachFailure, closer, type ProgramRef } from './common.js';

export const CGROUP2_SUPER_MAGIC = 0x63677270n;
export const DEFAULT_CGROUP = '/sys/fs/cgroup';

/** Where cgroup v2 is mounted (from /proc/self/mounts), for hints. */
export function cgroup2Mounts(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'cgroup2').map((f) => f[1]!.replace(/\\040/g, ' '));
  } catch {
    return [];
  }
}

/** Checks that `path` is a cgroup v2 directory and opens it (O_RDONLY|O_DIRECTORY); the caller closes the fd. */
export function openCgroup(path: string): number {
  const magic = fsMagic(path);
  if (magic === undefined) {
    throw new AttachError(`no cgroup '${path}'`, `create it with \`mkdir ${path}\` under a cgroup v2 mount${cgroup2Mounts().length ? ` (${cgroup2Mounts().join(', ')})` : ''}`);
  }
  if (magic !== CGROUP2_SUPER_MAGIC) {
    const v2 = cgroup2Mounts();
    throw new AttachError(
      `'${path}' is not a cgroup v2 directory (filesystem magic 0x${magic.toString(16)}): BPF programs attach to cgroup v2 only`,
      v2.length ? `cgroup v2 is mounted at ${v2.join(', ')}: pass --cgroup ${v2[0]} (or a directory below it)` : 'mount cgroup v2 first: `mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified`',
    );
  }
  try {
    return openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AttachError(`cannot open cgroup '${path}': ${code ?? (e as Error).message}`);
  }
}

/** `inet_ingress`, `sysctl`, … for messages. */
export function attachTypeLabel(attachType: number): string {
  const e = Object.entries(bpf_attach_type).find(([, v]) => v === attachType);
  return e ? e[0].replace(/^BPF_(CGROUP_)?/, '').toLowerCase() : `attach type ${attachType}`;
}

/** Attaches `prog` to cgroup directory `path` with `attachType` (the program's expected attach type). */
export function attachCgroup(prog: ProgramRef, path: string, attachType: number): LinkAttachment {
  const label = `cgroup ${attachTypeLabel(attachType)} on ${path}`;
  const cg = openCgroup(path);
  try {
    try {
      const link = linkCreate({ progFd: prog.fd, targetFd: cg, attachType });
      closeSync(cg); // the link holds the cgroup
      return new LinkAttachment('cgroup', label, link);
    } catch (e) {
      if (!(e instanceof SysError && e.errno === E.EINVAL && attachType in ATTACHABLE_WITHOUT_LINK)) throw e;
    }
    // Kernels without cgroup links: the attachment outlives the process, so detach explicitly.
    progAttach({ targetFd: cg, progFd: prog.fd, attachType, flags: BPF_F_ALLOW_MULTI });
    const fd = cg;
    const cgClose = closer(fd);
    return new LinkAttachment('cgroup', `${label} (prog attach)`, undefined, [cgClose], {
      before: () => progDetach({ targetFd: fd, progFd: prog.fd, attachType }),
      diesWithProcess: false,
    });
  } catch (e) {
    try {
      closeSync(cg);
    } catch {
      // closed above after a successful link
    }
    throw attachFailure(e, `program '${prog.name}' to ${label}`, {
      [E.EINVAL]: `was '${prog.name}' loaded for this attach type (e.g. SEC("cgroup_skb/ingress"), SEC("cgroup/sysctl"))?`,
      [E.EBADF]: `'${path}' is not a cgroup v2 directory`,
    });
  }
}

const ATTACHABLE_WITHOUT_LINK: Record<number, true> = Object.fromEntries(
  Object.entries(bpf_attach_type).filter(([k]) => k.startsWith('BPF_CGROUP_')).map(([, v]) => [v, true]),
);
