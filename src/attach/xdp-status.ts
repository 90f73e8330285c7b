/**
 * What XDP programs are attached where in the current network namespace: rtnetlink's IFLA_XDP
 * (interface, mode, program id) joined with bpf(2) program info (name, tag) and XDP bpf_links
 * (link id; absent for programs attached through netlink, e.g. by `ip link set … xdp`).
 */
import { allIds, getFdById, linkInfo, progInfo } from '../sys/bpf.js';
import { listLinks, type InterfaceInfo, type XdpMode } from '../sys/rtnetlink.js';

export interface XdpProgramStatus {
  ifindex: number;
  ifname: string;
  mode: XdpMode;
  progId: number;
  /** Program name (up to 15 characters, as the kernel keeps it); '' when it could not be read. */
  progName: string;
  /** Program tag (hex), as bpftool shows it. */
  progTag: string;
  /** The bpf_link holding the attachment; undefined when it was attached through netlink. */
  linkId?: number;
}

export interface InterfaceStatus {
  ifindex: number;
  ifname: string;
  up: boolean;
  kind?: string;
  xdp: XdpProgramStatus[];
}

/** Name and tag of program `id`, or empty strings when it cannot be opened (e.g. no CAP_SYS_ADMIN). */
export function programLabel(id: number): { name: string; tag: string } {
  try {
    const fd = getFdById('prog', id);
    try {
      const info = progInfo(fd);
      return { name: info.name, tag: info.tag };
    } finally {
      fd.close();
    }
  } catch {
    return { name: '', tag: '' };
  }
}

/** XDP link id per (ifindex, prog id) for every XDP bpf_link in the system. */
export function xdpLinkIds(): Map<string, number> {
  const out = new Map<string, number>();
  let ids: number[] = [];
  try {
    ids = allIds('link');
  } catch {
    return out; // kernel without links, or no privileges: netlink still tells the rest
  }
  for (const id of ids) {
    try {
      const fd = getFdById('link', id);
      try {
        const info = linkInfo(fd);
        if (info.xdpIfindex) out.set(`${info.xdpIfindex}/${info.progId}`, id);
      } finally {
        fd.close();
      }
    } catch {
      // The link went away between listing and opening.
    }
  }
  return out;
}

function statusOf(links: InterfaceInfo[], linkIds: () => Map<string, number>): InterfaceStatus[] {
  let ids: Map<string, number> | undefined;
  return links.map((l) => ({
    ifindex: l.index,
    ifname: l.name,
    up: l.up,
    ...(l.kind ? { kind: l.kind } : {}),
    xdp: l.xdp.map((x) => {
      ids ??= linkIds();
      const label = programLabel(x.progId);
      const linkId = ids.get(`${l.index}/${x.progId}`);
      return { ifindex: l.index, ifname: l.name, mode: x.mode, progId: x.progId, progName: label.name, progTag: label.tag, ...(linkId !== undefined ? { linkId } : {}) };
    }),
  }));
}

/**
 * Every interface of this network namespace with its XDP programs. Link ids of the same ifindex in
 * other namespaces cannot be told apart from ours by bpf(2) alone, so a link only counts when its
 * program id also matches what netlink reports for our interface.
 */
export function xdpStatus(): InterfaceStatus[] {
  return statusOf(listLinks(), xdpLinkIds);
}

/** The XDP programs on one interface (empty when none). */
export function xdpOn(ifindex: number): XdpProgramStatus[] {
  const links = listLinks().filter((l) => l.index === ifindex);
  return statusOf(links, xdpLinkIds).flatMap((s) => s.xdp);
}
