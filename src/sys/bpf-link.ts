/** bpf(2) link commands: LINK_CREATE (XDP and tcx by ifindex, tracing, perf events, …), LINK_UPDATE, LINK_DETACH. */
import { attr as A } from '../abi/attr.gen.js';
import { attrFor, bpf } from './bpf-attr.js';
import { Fd, fdNum, type FdLike } from './bpf-fd.js';

export interface LinkCreateOptions {
  progFd: FdLike;
  /** The object to attach to (cgroup, netns, program for freplace, perf event fd). */
  targetFd?: FdLike;
  /** The interface to attach to (XDP); shares its slot with targetFd. */
  targetIfindex?: number;
  /** `bpf_attach_type` value (BPF_XDP, BPF_CGROUP_INET_INGRESS, BPF_PERF_EVENT, …). */
  attachType: number;
  /** For XDP: XDP_FLAGS_SKB_MODE / DRV_MODE / HW_MODE. */
  flags?: number;
  targetBtfId?: number;
  /** Perf-event links: value returned by bpf_get_attach_cookie(). */
  bpfCookie?: bigint;
  /**
   * tcx links (Linux 6.6+; attach type BPF_TCX_INGRESS/EGRESS, targetIfindex): the program or
   * link to go before/after (with BPF_F_BEFORE/BPF_F_AFTER in `flags`, plus BPF_F_ID for an id
   * and BPF_F_LINK for a link), and the hook revision the attach must find (else ESTALE).
   */
  tcx?: { relativeFd?: FdLike; relativeId?: number; expectedRevision?: bigint | number };
}

/** BPF_LINK_CREATE → a new link fd owned by the caller (closing the last fd detaches unless pinned). */
export function linkCreate(o: LinkCreateOptions): Fd {
  const a = attrFor(A.link_create)
    .set('prog_fd', fdNum(o.progFd))
    .set('attach_type', o.attachType)
    .set('flags', o.flags ?? 0);
  if (o.targetIfindex !== undefined) a.set('target_ifindex', o.targetIfindex);
  else if (o.targetFd !== undefined) a.set('target_fd', fdNum(o.targetFd));
  if (o.targetBtfId !== undefined) a.set('target_btf_id', o.targetBtfId);
  if (o.bpfCookie !== undefined) a.set('perf_event.bpf_cookie', o.bpfCookie);
  if (o.tcx?.relativeFd !== undefined) a.set('tcx.relative_fd', fdNum(o.tcx.relativeFd));
  else if (o.tcx?.relativeId !== undefined) a.set('tcx.relative_id', o.tcx.relativeId);
  if (o.tcx?.expectedRevision !== undefined) a.set('tcx.expected_revision', BigInt(o.tcx.expectedRevision));
  const what = o.targetIfindex !== undefined ? `link to ifindex ${o.targetIfindex}` : 'link';
  return new Fd(bpf('BPF_LINK_CREATE', a, what), what);
}

/** BPF_LINK_UPDATE: swaps the link's program (atomically; with oldProgFd only if it still runs that one). */
export function linkUpdate(link: FdLike, newProgFd: FdLike, o: { oldProgFd?: FdLike; flags?: number } = {}): void {
  const a = attrFor(A.link_update)
    .set('link_fd', fdNum(link))
    .set('new_prog_fd', fdNum(newProgFd))
    .set('flags', o.flags ?? 0)
    .set('old_prog_fd', o.oldProgFd !== undefined ? fdNum(o.oldProgFd) : 0);
  bpf('BPF_LINK_UPDATE', a);
}

/** BPF_LINK_DETACH: detaches the program now, even while other fds or pins keep the link alive. */
export function linkDetach(link: FdLike): void {
  bpf('BPF_LINK_DETACH', attrFor(A.link_detach).set('link_fd', fdNum(link)));
}
