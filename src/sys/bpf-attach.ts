/**
 * bpf(2) attach commands the link wrappers of bpf-link.ts do not cover: BPF_RAW_TRACEPOINT_OPEN
 * (raw tracepoints, and tracing/LSM programs on kernels without LINK_CREATE for them) and a
 * decoder of bpf_link_info for every link type this uapi knows (for `tsbpf status`).
 */
import { attr as A, structs as S } from '../abi/attr.gen.js';
import { bpf_attach_type, bpf_link_type } from '../abi/index.js';
import { attrFor, bpf } from './bpf-attr.js';
import { Fd, fdNum, type FdLike } from './bpf-fd.js';
import { objGetInfo } from './bpf-obj.js';
import { addressOf, pinnedBytes } from './libc.js';

/**
 * BPF_RAW_TRACEPOINT_OPEN → a link fd. `name` is the raw tracepoint (`sys_enter`); omit it for
 * tracing/LSM programs, whose target was fixed at load by their attach BTF id.
 */
export function rawTracepointOpen(progFd: FdLike, name?: string): Fd {
  const what = name !== undefined ? `raw tracepoint '${name}'` : 'tracing link';
  let buf: Uint8Array | undefined;
  const a = attrFor(A.raw_tracepoint).set('prog_fd', fdNum(progFd));
  if (name !== undefined) {
    buf = pinnedBytes(Buffer.byteLength(name) + 1);
    buf.set(Buffer.from(name, 'utf8'));
    a.set('name', addressOf(buf));
  }
  const fd = bpf('BPF_RAW_TRACEPOINT_OPEN', a, what);
  buf = undefined;
  return new Fd(fd, what);
}

export interface LinkDetails {
  id: number;
  progId: number;
  /** `raw_tracepoint`, `tracing`, `cgroup`, `xdp`, `perf_event`, … */
  type: string;
  /** What the link is attached to, as far as this uapi's bpf_link_info says. */
  target: string;
  attachType?: string;
  cgroupId?: bigint;
  ifindex?: number;
}

const linkTypeNames = new Map<number, string>(Object.entries(bpf_link_type).map(([k, v]) => [v, k.replace(/^BPF_LINK_TYPE_/, '').toLowerCase()]));
const attachTypeNames = new Map<number, string>(Object.entries(bpf_attach_type).map(([k, v]) => [v, k.replace(/^BPF_/, '').toLowerCase()]));

/** A link's kind and target (BPF_OBJ_GET_INFO_BY_FD). */
export function linkDetails(fd: FdLike): LinkDetails {
  // A first call learns the type; only raw tracepoint links get a name buffer (other types read
  // these bytes as their own fields, some as pointers).
  let i = objGetInfo(fd, S.bpf_link_info);
  const typeNum = i.u32('type');
  const name = pinnedBytes(256);
  if (typeNum === bpf_link_type.BPF_LINK_TYPE_RAW_TRACEPOINT) {
    i = objGetInfo(fd, S.bpf_link_info, (v) => {
      v.set('raw_tracepoint.tp_name', addressOf(name));
      v.set('raw_tracepoint.tp_name_len', name.length);
    });
  }
  const type = linkTypeNames.get(typeNum) ?? `type ${typeNum}`;
  const d: LinkDetails = { id: i.u32('id'), progId: i.u32('prog_id'), type, target: '' };
  switch (typeNum) {
    case bpf_link_type.BPF_LINK_TYPE_RAW_TRACEPOINT: {
      const end = name.indexOf(0);
      d.target = Buffer.from(name.subarray(0, end < 0 ? name.length : end)).toString('utf8');
      break;
    }
    case bpf_link_type.BPF_LINK_TYPE_TRACING:
      d.attachType = attachTypeNames.get(i.u32('tracing.attach_type'));
      d.target = `btf id ${i.u32('tracing.target_btf_id')}${i.u32('tracing.target_obj_id') ? ` in btf obj ${i.u32('tracing.target_obj_id')}` : ''}`;
      break;
    case bpf_link_type.BPF_LINK_TYPE_CGROUP:
      d.attachType = attachTypeNames.get(i.u32('cgroup.attach_type'));
      d.cgroupId = i.u64('cgroup.cgroup_id');
      d.target = `cgroup id ${d.cgroupId}`;
      break;
    case bpf_link_type.BPF_LINK_TYPE_XDP:
      d.ifindex = i.u32('xdp.ifindex');
      d.target = `ifindex ${d.ifindex}`;
      break;
    case bpf_link_type.BPF_LINK_TYPE_TCX:
      d.ifindex = i.u32('tcx.ifindex'); // 0 once the interface is gone
      d.attachType = attachTypeNames.get(i.u32('tcx.attach_type'));
      d.target = `ifindex ${d.ifindex}`;
      break;
    case bpf_link_type.BPF_LINK_TYPE_NETNS:
      d.attachType = attachTypeNames.get(i.u32('netns.attach_type'));
      d.target = `netns inode ${i.u32('netns.netns_ino')}`;
      break;
    default:
      break; // perf_event links carry no details in this uapi's bpf_link_info
  }
  return d;
}
