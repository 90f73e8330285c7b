/**
 * tcx (Linux 6.6+): BPF classifiers on an interface's ingress/egress hooks managed through bpf(2)
 * by the kernel's multi-program layer (bpf_mprog) instead of a tc qdisc. Programs attach as
 * bpf_links (BPF_LINK_CREATE with attach type BPF_TCX_INGRESS/EGRESS and target_ifindex:
 * `linkCreate` in bpf-link.ts, its `tcx` option for ordering) that detach when their last fd
 * closes. BPF_PROG_QUERY by ifindex lists a hook's programs in run order with their link ids and
 * the hook's revision, which every change bumps.
 */
import { attr as A } from '../abi/attr.gen.js';
import { bpf_attach_type } from '../abi/index.js';
import { attrFor, bpfError, bpfRaw } from './bpf-attr.js';
import { E } from './errors.js';
import { addressOf, pinnedBytes } from './libc.js';

/** The attach types of the two tcx hooks. */
export const TCX_ATTACH_TYPE = { ingress: bpf_attach_type.BPF_TCX_INGRESS, egress: bpf_attach_type.BPF_TCX_EGRESS } as const;

export interface MprogEntry {
  progId: number;
  /** The link holding the program; undefined when it was attached with BPF_PROG_ATTACH. */
  linkId?: number;
  attachFlags: number;
  linkAttachFlags: number;
}

export interface MprogQueryResult {
  /** Bumped by every attach and detach on the hook (pass it as expected_revision to insist on no change). */
  revision: bigint;
  /** The hook's programs in the order they run. */
  progs: MprogEntry[];
}

/**
 * BPF_PROG_QUERY of a multi-program hook by interface (tcx: attach type BPF_TCX_INGRESS/EGRESS).
 * Kernels without tcx answer EINVAL.
 */
export function mprogQuery(o: { ifindex: number; attachType: number }): MprogQueryResult {
  // tcx holds at most 64 programs per hook; grow anyway if a kernel reports more.
  for (let cap = 64; ; cap *= 4) {
    const buf = pinnedBytes(cap * 4 * 4);
    const at = (i: number): bigint => addressOf(buf) + BigInt(i * cap * 4);
    const a = attrFor(A.query)
      .set('target_ifindex', o.ifindex)
      .set('attach_type', o.attachType)
      .set('prog_ids', at(0))
      .set('link_ids', at(1))
      .set('prog_attach_flags', at(2))
      .set('link_attach_flags', at(3))
      .set('count', cap);
    const r = bpfRaw('BPF_PROG_QUERY', a);
    const count = a.get('count');
    if (r === -E.ENOSPC && count > cap) continue;
    if (r < 0) throw bpfError('BPF_PROG_QUERY', -r, `ifindex ${o.ifindex}`);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const u32 = (array: number, i: number): number => v.getUint32((array * cap + i) * 4, true);
    const progs: MprogEntry[] = [];
    for (let i = 0; i < Math.min(count, cap); i++) {
      const linkId = u32(1, i);
      progs.push({ progId: u32(0, i), ...(linkId ? { linkId } : {}), attachFlags: u32(2, i), linkAttachFlags: u32(3, i) });
    }
    return { revision: a.get64('revision'), progs };
  }
}
