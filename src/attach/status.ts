/**
 * What is attached besides XDP, for `tsbpf status`: every bpf_link in the system (links are
 * global: tracing, cgroup, perf-event, raw tracepoint, XDP, tcx, netns links) with its program,
 * and per interface of this network namespace the tcx programs of its ingress/egress hooks (in
 * run order, with their links) and the tc `bpf` filters on its clsact hooks.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { progTypeName } from '../abi/index.js';
import { E, SysError, allIds, getFdById, progInfo } from '../sys/bpf.js';
import { linkDetails, type LinkDetails } from '../sys/bpf-attach.js';
import { listLinks } from '../sys/rtnetlink.js';
import { TC_PARENT, hasClsact, listFilters } from '../sys/rtnetlink-tc.js';
import { cgroup2Mounts } from './cgroup.js';
import { TC_DIRECTIONS } from './tc.js';
import { tcxQuery } from './tcx.js';

export interface LinkStatus extends LinkDetails {
  progName: string;
  progType: string;
}

export interface TcFilterStatus {
  ifname: string;
  ifindex: number;
  direction: 'ingress' | 'egress';
  prio: number;
  handle: number;
  kind: string;
  progId?: number;
  progName?: string;
  directAction?: boolean;
}

/** A program on a tcx hook. */
export interface TcxProgramStatus {
  ifname: string;
  ifindex: number;
  direction: 'ingress' | 'egress';
  /** 1 = runs first on the hook. */
  position: number;
  progId: number;
  progName: string;
  /** The link holding it; undefined for a program attached with BPF_PROG_ATTACH. */
  linkId?: number;
  /** The hook's revision (bumped by every change). */
  revision: number;
}

export interface AttachmentStatus {
  links: LinkStatus[];
  /** False on kernels without tcx (before 6.6). */
  tcxAvailable: boolean;
  tcx: TcxProgramStatus[];
  tc: TcFilterStatus[];
}

function progNameOf(id: number): { name: string; type: string } {
  try {
    const fd = getFdById('prog', id);
    try {
      const i = progInfo(fd);
      return { name: i.name, type: progTypeName(i.type) ?? String(i.type) };
    } finally {
      fd.close();
    }
  } catch {
    return { name: '?', type: '?' };
  }
}

/** cgroup id → path (cgroup ids are the directories' inode numbers on cgroup v2), walking at most `limit` directories. */
function cgroupPaths(ids: Set<bigint>, limit = 20000): Map<bigint, string> {
  const found = new Map<bigint, string>();
  let budget = limit;
  for (const root of cgroup2Mounts()) {
    const queue = [root];
    while (queue.length && budget-- > 0 && found.size < ids.size) {
      const dir = queue.shift()!;
      try {
        const ino = BigInt(statSync(dir).ino);
        if (ids.has(ino) && !found.has(ino)) found.set(ino, dir);
        for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) queue.push(join(dir, e.name));
      } catch {
        // removed while we walk
      }
    }
  }
  return found;
}

/** Every link of the system with its program. */
export function linkStatus(): LinkStatus[] {
  const out: LinkStatus[] = [];
  for (const id of allIds('link')) {
    let fd;
    try {
      fd = getFdById('link', id);
    } catch (e) {
      // ENOENT: released meanwhile. EAGAIN: not settled yet — another process has created the link
      // but is still attaching it (the kernel lists the id and refuses to open it until then).
      if (e instanceof SysError && (e.errno === E.ENOENT || e.errno === E.EAGAIN)) continue;
      throw e;
    }
    try {
      const d = linkDetails(fd);
      const p = progNameOf(d.progId);
      out.push({ ...d, progName: p.name, progType: p.type });
    } catch (e) {
      if (!(e instanceof SysError && e.errno === E.ENOENT)) throw e;
    } finally {
      fd.close();
    }
  }
  const cg = new Set(out.filter((l) => l.cgroupId !== undefined).map((l) => l.cgroupId!));
  if (cg.size) {
    const paths = cgroupPaths(cg);
    for (const l of out) if (l.cgroupId !== undefined && paths.has(l.cgroupId)) l.target = paths.get(l.cgroupId)!;
  }
  return out;
}

/** The tc filters on the clsact hooks of the current network namespace's interfaces. */
export function tcStatus(): TcFilterStatus[] {
  const out: TcFilterStatus[] = [];
  for (const l of listLinks()) {
    if (!hasClsact(l.index)) continue;
    for (const direction of TC_DIRECTIONS) {
      for (const f of listFilters(l.index, TC_PARENT[direction])) {
        const progName = f.bpf?.progId ? progNameOf(f.bpf.progId).name : undefined;
        out.push({ ifname: l.name, ifindex: l.index, direction, prio: f.prio, handle: f.handle, kind: f.kind, progId: f.bpf?.progId, progName, directAction: f.bpf?.directAction });
      }
    }
  }
  return out;
}

/** The tcx programs on this network namespace's interfaces, per hook in run order; undefined without tcx. */
export function tcxStatus(): TcxProgramStatus[] | undefined {
  const out: TcxProgramStatus[] = [];
  for (const l of listLinks()) {
    for (const direction of TC_DIRECTIONS) {
      let q;
      try {
        q = tcxQuery(l.index, direction);
      } catch (e) {
        if (e instanceof SysError && e.errno === E.ENODEV) continue; // removed meanwhile
        throw e;
      }
      if (!q) return undefined;
      q.progs.forEach((p, i) => {
        out.push({ ifname: l.name, ifindex: l.index, direction, position: i + 1, progId: p.progId, progName: progNameOf(p.progId).name, linkId: p.linkId, revision: Number(q.revision) });
      });
    }
  }
  return out;
}

export function attachmentStatus(): AttachmentStatus {
  const tcx = tcxStatus();
  return { links: linkStatus(), tcxAvailable: tcx !== undefined, tcx: tcx ?? [], tc: tcStatus() };
}
