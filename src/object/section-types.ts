/**
 * ELF section name → program type, following libbpf's section-name conventions (documented in
 * the kernel tree, Documentation/bpf/libbpf/program_types.rst). Rules: `name` matches exactly;
 * `name+` matches `name` or `name/extras` (the extras say what to attach to). As a fallback for
 * older objects (Aya, iproute2 era) `name/anything` also matches exact entries.
 */
import { bpf_attach_type, bpf_prog_type } from '../abi/index.js';

interface Def {
  sec: string;
  prog: string;
  attach?: string;
  /** libbpf passes the attach type at load but drops it on kernels that reject it. */
  optional?: boolean;
  sleepable?: boolean;
  frags?: boolean;
  /** Needs an attach BTF id (fentry, lsm, tp_btf, iter, freplace): target named in the extras. */
  btf?: boolean;
}

// Order matters: more specific names first (xdp.frags/devmap before xdp.frags before xdp).
const DEFS: Def[] = [
  { sec: 'socket', prog: 'SOCKET_FILTER' },
  { sec: 'sk_reuseport/migrate', prog: 'SK_REUSEPORT', attach: 'SK_REUSEPORT_SELECT_OR_MIGRATE' },
  { sec: 'sk_reuseport', prog: 'SK_REUSEPORT', attach: 'SK_REUSEPORT_SELECT' },
  { sec: 'kprobe+', prog: 'KPROBE' },
  { sec: 'uprobe+', prog: 'KPROBE' },
  { sec: 'uprobe.s+', prog: 'KPROBE', sleepable: true },
  { sec: 'kretprobe+', prog: 'KPROBE' },
  { sec: 'uretprobe+', prog: 'KPROBE' },
  { sec: 'uretprobe.s+', prog: 'KPROBE', sleepable: true },
  { sec: 'kprobe.multi+', prog: 'KPROBE', attach: 'TRACE_KPROBE_MULTI' },
  { sec: 'kretprobe.multi+', prog: 'KPROBE', attach: 'TRACE_KPROBE_MULTI' },
  { sec: 'uprobe.multi+', prog: 'KPROBE', attach: 'TRACE_UPROBE_MULTI' },
  { sec: 'uretprobe.multi+', prog: 'KPROBE', attach: 'TRACE_UPROBE_MULTI' },
  { sec: 'ksyscall+', prog: 'KPROBE' },
  { sec: 'kretsyscall+', prog: 'KPROBE' },
  { sec: 'usdt+', prog: 'KPROBE' },
  { sec: 'tc/ingress', prog: 'SCHED_CLS', attach: 'TCX_INGRESS' },
  { sec: 'tc/egress', prog: 'SCHED_CLS', attach: 'TCX_EGRESS' },
  { sec: 'tcx/ingress', prog: 'SCHED_CLS', attach: 'TCX_INGRESS' },
  { sec: 'tcx/egress', prog: 'SCHED_CLS', attach: 'TCX_EGRESS' },
  { sec: 'netkit/primary', prog: 'SCHED_CLS', attach: 'NETKIT_PRIMARY' },
  { sec: 'netkit/peer', prog: 'SCHED_CLS', attach: 'NETKIT_PEER' },
  { sec: 'tc', prog: 'SCHED_CLS' },
  { sec: 'classifier', prog: 'SCHED_CLS' },
  { sec: 'action', prog: 'SCHED_ACT' },
  { sec: 'tracepoint+', prog: 'TRACEPOINT' },
  { sec: 'tp+', prog: 'TRACEPOINT' },
  { sec: 'raw_tracepoint+', prog: 'RAW_TRACEPOINT' },
  { sec: 'raw_tp+', prog: 'RAW_TRACEPOINT' },
  { sec: 'raw_tracepoint.w+', prog: 'RAW_TRACEPOINT_WRITABLE' },
  { sec: 'raw_tp.w+', prog: 'RAW_TRACEPOINT_WRITABLE' },
  { sec: 'tp_btf+', prog: 'TRACING', attach: 'TRACE_RAW_TP', btf: true },
  { sec: 'fentry+', prog: 'TRACING', attach: 'TRACE_FENTRY', btf: true },
  { sec: 'fmod_ret+', prog: 'TRACING', attach: 'MODIFY_RETURN', btf: true },
  { sec: 'fexit+', prog: 'TRACING', attach: 'TRACE_FEXIT', btf: true },
  { sec: 'fentry.s+', prog: 'TRACING', attach: 'TRACE_FENTRY', btf: true, sleepable: true },
  { sec: 'fmod_ret.s+', prog: 'TRACING', attach: 'MODIFY_RETURN', btf: true, sleepable: true },
  { sec: 'fexit.s+', prog: 'TRACING', attach: 'TRACE_FEXIT', btf: true, sleepable: true },
  { sec: 'freplace+', prog: 'EXT', btf: true },
  { sec: 'lsm+', prog: 'LSM', attach: 'LSM_MAC', btf: true },
  { sec: 'lsm.s+', prog: 'LSM', attach: 'LSM_MAC', btf: true, sleepable: true },
  { sec: 'lsm_cgroup+', prog: 'LSM', attach: 'LSM_CGROUP', btf: true },
  { sec: 'iter+', prog: 'TRACING', attach: 'TRACE_ITER', btf: true },
  { sec: 'iter.s+', prog: 'TRACING', attach: 'TRACE_ITER', btf: true, sleepable: true },
  { sec: 'syscall', prog: 'SYSCALL', sleepable: true },
  { sec: 'xdp.frags/devmap', prog: 'XDP', attach: 'XDP_DEVMAP', frags: true },
  { sec: 'xdp/devmap', prog: 'XDP', attach: 'XDP_DEVMAP' },
  { sec: 'xdp.frags/cpumap', prog: 'XDP', attach: 'XDP_CPUMAP', frags: true },
  { sec: 'xdp/cpumap', prog: 'XDP', attach: 'XDP_CPUMAP' },
  { sec: 'xdp.frags', prog: 'XDP', attach: 'XDP', frags: true },
  { sec: 'xdp', prog: 'XDP', attach: 'XDP', optional: true },
  { sec: 'perf_event', prog: 'PERF_EVENT' },
  { sec: 'lwt_in', prog: 'LWT_IN' },
  { sec: 'lwt_out', prog: 'LWT_OUT' },
  { sec: 'lwt_xmit', prog: 'LWT_XMIT' },
  { sec: 'lwt_seg6local', prog: 'LWT_SEG6LOCAL' },
  { sec: 'sockops', prog: 'SOCK_OPS', attach: 'CGROUP_SOCK_OPS', optional: true },
  { sec: 'sk_skb/stream_parser', prog: 'SK_SKB', attach: 'SK_SKB_STREAM_PARSER', optional: true },
  { sec: 'sk_skb/stream_verdict', prog: 'SK_SKB', attach: 'SK_SKB_STREAM_VERDICT', optional: true },
  { sec: 'sk_skb/verdict', prog: 'SK_SKB', attach: 'SK_SKB_VERDICT', optional: true },
  { sec: 'sk_skb', prog: 'SK_SKB' },
  { sec: 'sk_msg', prog: 'SK_MSG', attach: 'SK_MSG_VERDICT', optional: true },
  { sec: 'lirc_mode2', prog: 'LIRC_MODE2', attach: 'LIRC_MODE2', optional: true },
  { sec: 'flow_dissector', prog: 'FLOW_DISSECTOR', attach: 'FLOW_DISSECTOR', optional: true },
  { sec: 'cgroup_skb/ingress', prog: 'CGROUP_SKB', attach: 'CGROUP_INET_INGRESS', optional: true },
  { sec: 'cgroup_skb/egress', prog: 'CGROUP_SKB', attach: 'CGROUP_INET_EGRESS', optional: true },
  { sec: 'cgroup/skb', prog: 'CGROUP_SKB' },
  { sec: 'cgroup/sock_create', prog: 'CGROUP_SOCK', attach: 'CGROUP_INET_SOCK_CREATE' },
  { sec: 'cgroup/sock_release', prog: 'CGROUP_SOCK', attach: 'CGROUP_INET_SOCK_RELEASE' },
  { sec: 'cgroup/sock', prog: 'CGROUP_SOCK', attach: 'CGROUP_INET_SOCK_CREATE', optional: true },
  { sec: 'cgroup/post_bind4', prog: 'CGROUP_SOCK', attach: 'CGROUP_INET4_POST_BIND' },
  { sec: 'cgroup/post_bind6', prog: 'CGROUP_SOCK', attach: 'CGROUP_INET6_POST_BIND' },
  { sec: 'cgroup/bind4', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET4_BIND' },
  { sec: 'cgroup/bind6', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET6_BIND' },
  { sec: 'cgroup/connect4', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET4_CONNECT' },
  { sec: 'cgroup/connect6', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET6_CONNECT' },
  { sec: 'cgroup/connect_unix', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UNIX_CONNECT' },
  { sec: 'cgroup/sendmsg4', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UDP4_SENDMSG' },
  { sec: 'cgroup/sendmsg6', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UDP6_SENDMSG' },
  { sec: 'cgroup/sendmsg_unix', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UNIX_SENDMSG' },
  { sec: 'cgroup/recvmsg4', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UDP4_RECVMSG' },
  { sec: 'cgroup/recvmsg6', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UDP6_RECVMSG' },
  { sec: 'cgroup/recvmsg_unix', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UNIX_RECVMSG' },
  { sec: 'cgroup/getpeername4', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET4_GETPEERNAME' },
  { sec: 'cgroup/getpeername6', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET6_GETPEERNAME' },
  { sec: 'cgroup/getpeername_unix', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UNIX_GETPEERNAME' },
  { sec: 'cgroup/getsockname4', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET4_GETSOCKNAME' },
  { sec: 'cgroup/getsockname6', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_INET6_GETSOCKNAME' },
  { sec: 'cgroup/getsockname_unix', prog: 'CGROUP_SOCK_ADDR', attach: 'CGROUP_UNIX_GETSOCKNAME' },
  { sec: 'cgroup/sysctl', prog: 'CGROUP_SYSCTL', attach: 'CGROUP_SYSCTL' },
  { sec: 'cgroup/getsockopt', prog: 'CGROUP_SOCKOPT', attach: 'CGROUP_GETSOCKOPT' },
  { sec: 'cgroup/setsockopt', prog: 'CGROUP_SOCKOPT', attach: 'CGROUP_SETSOCKOPT' },
  { sec: 'cgroup/dev', prog: 'CGROUP_DEVICE', attach: 'CGROUP_DEVICE', optional: true },
  { sec: 'struct_ops+', prog: 'STRUCT_OPS' },
  { sec: 'struct_ops.s+', prog: 'STRUCT_OPS', sleepable: true },
  { sec: 'sk_lookup', prog: 'SK_LOOKUP', attach: 'SK_LOOKUP' },
  { sec: 'netfilter', prog: 'NETFILTER', attach: 'NETFILTER' },
];

export interface SectionProgramType {
  /** The matched convention, e.g. `xdp`, `kprobe+`. */
  convention: string;
  /** Kernel enum name, e.g. `BPF_PROG_TYPE_XDP`, and its value. */
  progTypeName: string;
  progType: number;
  /** Expected attach type passed at load (`BPF_XDP`), when the convention has one. */
  attachTypeName?: string;
  attachType?: number;
  /** True when libbpf retries without the attach type on kernels that reject it. */
  attachTypeOptional: boolean;
  /** What the section names as attach target (`kprobe/do_unlinkat` → `do_unlinkat`), if anything. */
  attachTarget?: string;
  /** The program needs an attach BTF id (resolved from `attachTarget` against kernel BTF). */
  needsAttachBtf: boolean;
  sleepable: boolean;
  /** BPF_F_XDP_HAS_FRAGS at load. */
  xdpFrags: boolean;
}

const progTypes = bpf_prog_type as Record<string, number>;
const attachTypes = bpf_attach_type as Record<string, number>;

function build(d: Def, target: string | undefined): SectionProgramType | undefined {
  const progTypeName = `BPF_PROG_TYPE_${d.prog}`;
  const progType = progTypes[progTypeName];
  if (progType === undefined) return undefined; // not in this build's uapi tables
  const attachTypeName = d.attach ? `BPF_${d.attach}` : undefined;
  const attachType = attachTypeName ? attachTypes[attachTypeName] : undefined;
  if (attachTypeName && attachType === undefined) return undefined;
  return {
    convention: d.sec, progTypeName, progType, attachTypeName, attachType, attachTypeOptional: d.optional ?? false,
    attachTarget: target, needsAttachBtf: d.btf ?? false, sleepable: d.sleepable ?? false, xdpFrags: d.frags ?? false,
  };
}

/** The program type for an ELF section name, or undefined when no convention matches. */
export function sectionProgramType(section: string): SectionProgramType | undefined {
  for (const d of DEFS) {
    if (d.sec.endsWith('+') || d.sec !== section) continue;
    // An exact name whose attach type our tables lack (none since the uapi supplement added the
    // tcx types; kept for the next kernel's names) falls through to the older conventions below.
    const exact = build(d, undefined);
    if (exact) return exact;
  }
  for (const d of DEFS) {
    if (!d.sec.endsWith('+')) continue;
    const base = d.sec.slice(0, -1);
    if (section === base) return build(d, undefined);
    if (section.startsWith(`${base}/`)) return build(d, section.slice(base.length + 1));
  }
  // Older conventions: `xdp/name`, `socket1`-style suffixes are not accepted; `name/extras` is.
  for (const d of DEFS) {
    if (d.sec.endsWith('+')) continue;
    if (section.startsWith(`${d.sec}/`)) return build(d, section.slice(d.sec.length + 1));
  }
  return undefined;
}

/** Every section-name convention this build knows (for messages and `tsbpf new`). */
export function knownSectionConventions(): string[] {
  return DEFS.filter((d) => build(d, undefined)).map((d) => d.sec);
}
