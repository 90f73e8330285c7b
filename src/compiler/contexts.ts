/**
 * Program contexts: what each program kind's `ctx` is in the kernel (the C struct the verifier
 * checks accesses against), which of its fields a program may read and write, where the packet
 * pointers are, and how `ctx.arg(n)` / `ctx.ret()` map onto it. Offsets and rules are the
 * kernel's (uapi linux/bpf.h, asm/ptrace.h for x86-64; the `*_is_valid_access` functions of
 * net/core/filter.c and kernel/trace/bpf_trace.c): an access the table allows is one the
 * verifier accepts.
 */
import { INT, type CtxName, type StructDef, type Ty, layoutStruct } from './types.js';

export interface CtxField {
  /** The TypeScript name (camelCase, as XdpContext's). */
  name: string;
  offset: number;
  ty: Ty;
  /** Bytes the load reads when it differs from the type's size (`protocol`: a be16 in a u32 slot). */
  load?: 4 | 8;
  writable?: boolean;
  /** The context holds a pointer to the struct `ty` here (a u64 load), not the struct itself (sk_msg_md.sk). */
  deref?: boolean;
}

export interface CtxDesc {
  name: CtxName;
  /** The C struct the kernel passes (BTF of the program's parameter). */
  cStruct: string;
  cSize: number;
  fields: CtxField[];
  /** `ctx.header<T>(offset)`: where data/data_end are, their load width, whether packet writes are allowed. */
  packet?: { data: number; end: number; width: 4 | 8; write: boolean };
  /** `len` is data_end - data (XDP) rather than a field. */
  lenFromPacket?: boolean;
  /** `ctx.load<T>(offset)` through bpf_skb_load_bytes. */
  skbLoad?: boolean;
  /** `ctx.arg(n)`: the offset of argument n (a u64), and how many there are. */
  args?: number[];
  /** `ctx.ret()`: the offset of the return value; 'btf' = after the target's arguments (fexit). */
  ret?: number | 'btf';
  /** Contexts a value of this one may be passed as (TcContext → SkBuffContext). */
  base?: CtxName;
  /** A tracepoint's record fields start after the 8-byte common header (the verifier refuses reads below 8). */
  recordAt?: number;
  /**
   * Any aligned load inside the context is allowed (tracepoint records, pt_regs, argument slots).
   * Otherwise the kernel checks each field's load width (`__sk_buff`, `bpf_sock_ops`, `sk_msg_md`…:
   * at most 4 bytes of a u32 field), so copies of array fields load one element at a time.
   */
  wideLoads?: boolean;
}

const u32 = INT.u32, u64 = INT.u64, i32 = INT.i32, be16 = INT.be16, be32 = INT.be32;
const arr = (elem: Ty, len: number): Ty => ({ k: 'array', elem, len });

/** struct pt_regs on x86-64 (uapi asm/ptrace.h), the registers kprobes, uprobes and perf events see. */
export const PT_REGS: StructDef = layoutStruct('PtRegs', [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss',
].map((name) => ({ name, ty: u64, readonly: true })), true, 0);

/** struct bpf_sock (uapi linux/bpf.h), what sk_msg_md.sk points at: any field, loads of ≤ 4 bytes (bpf_sock_is_valid_access). */
export const BPF_SOCK: StructDef = layoutStruct('BpfSock', [
  ['bound_dev_if', u32], ['family', u32], ['type', u32], ['protocol', u32], ['mark', u32], ['priority', u32],
  ['src_ip4', be32], ['src_ip6', arr(be32, 4)], ['src_port', u32], ['dst_port', be16], ['dst_ip4', be32],
  ['dst_ip6', arr(be32, 4)], ['state', u32], ['rx_queue_mapping', i32],
].map(([name, ty]) => ({ name: name as string, ty: ty as Ty, readonly: true })), true, 0);

const reg = (name: string): number => PT_REGS.fields.find((f) => f.name === name)!.offset;
/** x86-64 calling convention: arguments 1-6 in rdi, rsi, rdx, rcx, r8, r9; the result in rax. */
const X86_ARGS = ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'].map(reg);
const X86_RET = reg('rax');
/** Eight-byte slots, as raw tracepoints and BTF-typed tracing programs (fentry, tp_btf, lsm) see their arguments. */
const SLOTS = Array.from({ length: 12 }, (_, i) => i * 8);

const f = (name: string, offset: number, ty: Ty, more: Partial<CtxField> = {}): CtxField => ({ name, offset, ty, ...more });
const W = { writable: true };

/** struct __sk_buff fields every skb program may read (socket filters, cgroup_skb, tc). */
const SKB_COMMON: CtxField[] = [
  f('len', 0, u32), f('pktType', 4, u32), f('mark', 8, u32), f('queueMapping', 12, u32), f('protocol', 16, be16, { load: 4 }),
  f('vlanPresent', 20, u32), f('vlanTci', 24, u32), f('vlanProto', 28, be16, { load: 4 }), f('priority', 32, u32),
  f('ingressIfindex', 36, u32), f('ifindex', 40, u32), f('tcIndex', 44, u32), f('cb', 48, arr(u32, 5), W), f('hash', 68, u32),
  f('napiId', 84, u32), f('gsoSegs', 164, u32), f('gsoSize', 176, u32),
];

/** `fields` with some made writable, plus extra ones. */
function skb(writable: string[], extra: CtxField[]): CtxField[] {
  return [...SKB_COMMON.map((x) => (writable.includes(x.name) ? { ...x, writable: true } : x)), ...extra];
}

const SKB_PACKET = { data: 76, end: 80, width: 4 as const };

const DESCS: CtxDesc[] = [
  {
    name: 'XdpContext', cStruct: 'xdp_md', cSize: 24, lenFromPacket: true,
    fields: [f('ingressIfindex', 12, u32), f('rxQueueIndex', 16, u32), f('egressIfindex', 20, u32)],
    packet: { data: 0, end: 4, width: 4, write: true },
  },
  // the fields every skb program reads; a function taking it accepts any of the three below
  { name: 'SkBuffContext', cStruct: '__sk_buff', cSize: 192, fields: SKB_COMMON, skbLoad: true },
  {
    name: 'TcContext', cStruct: '__sk_buff', cSize: 192, base: 'SkBuffContext', skbLoad: true,
    fields: skb(['mark', 'priority', 'tcIndex', 'queueMapping'], [f('tcClassid', 72, u32, W), f('tstamp', 152, u64, W), f('wireLen', 160, u32)]),
    packet: { ...SKB_PACKET, write: true },
  },
  // socket filters see no packet pointers (bpf_skb_load_bytes only) and write only cb
  { name: 'SocketFilterContext', cStruct: '__sk_buff', cSize: 192, base: 'SkBuffContext', skbLoad: true, fields: SKB_COMMON },
  {
    name: 'CgroupSkbContext', cStruct: '__sk_buff', cSize: 192, base: 'SkBuffContext', skbLoad: true,
    fields: skb(['mark', 'priority'], [
      f('tstamp', 152, u64, W), f('family', 88, u32), f('remoteIp4', 92, be32), f('localIp4', 96, be32),
      f('remoteIp6', 100, arr(be32, 4)), f('localIp6', 116, arr(be32, 4)), f('localPort', 136, u32),
    ]),
    packet: { ...SKB_PACKET, write: false },
  },
  {
    name: 'KprobeContext', cStruct: 'pt_regs', cSize: 168, args: X86_ARGS, wideLoads: true,
    fields: [f('regs', 0, { k: 'struct', def: PT_REGS })],
  },
  {
    name: 'KretprobeContext', cStruct: 'pt_regs', cSize: 168, ret: X86_RET, wideLoads: true,
    fields: [f('regs', 0, { k: 'struct', def: PT_REGS })],
  },
  { name: 'TracepointContext', cStruct: 'trace_entry', cSize: 8, fields: [], recordAt: 8, wideLoads: true },
  { name: 'RawTracepointContext', cStruct: 'bpf_raw_tracepoint_args', cSize: 96, fields: [], args: SLOTS, wideLoads: true },
  {
    name: 'PerfEventContext', cStruct: 'bpf_perf_event_data', cSize: 184,
    fields: [f('regs', 0, { k: 'struct', def: PT_REGS }), f('samplePeriod', 168, u64), f('addr', 176, u64)],
  },
  { name: 'TracingContext', cStruct: 'u64', cSize: 96, fields: [], args: SLOTS, wideLoads: true },
  { name: 'FexitContext', cStruct: 'u64', cSize: 104, fields: [], args: SLOTS, ret: 'btf', wideLoads: true },
  { name: 'SysctlContext', cStruct: 'bpf_sysctl', cSize: 8, fields: [f('write', 0, u32), f('filePos', 4, u32, W)] },
  {
    name: 'SockoptContext', cStruct: 'bpf_sockopt', cSize: 40,
    fields: [f('level', 24, i32, W), f('optname', 28, i32, W), f('optlen', 32, i32, W), f('retval', 36, i32, W)],
    packet: { data: 8, end: 16, width: 8, write: true },
  },
  {
    name: 'SockOpsContext', cStruct: 'bpf_sock_ops', cSize: 216,
    fields: [
      f('op', 0, u32), f('args', 4, arr(u32, 4)), f('reply', 4, u32, W), f('family', 20, u32), f('remoteIp4', 24, be32),
      f('localIp4', 28, be32), f('remoteIp6', 32, arr(be32, 4)), f('localIp6', 48, arr(be32, 4)), f('localPort', 68, u32),
      f('isFullsock', 72, u32), f('sndCwnd', 76, u32), f('srttUs', 80, u32), f('cbFlags', 84, u32), f('state', 88, u32),
    ],
  },
  {
    // sk_msg_is_valid_access: reads only, 4-byte loads of the u32 fields, 8-byte data/data_end/sk;
    // remote_port holds the network-order port shifted into the high half (a be32 for ntohl)
    name: 'SkMsgContext', cStruct: 'sk_msg_md', cSize: 80,
    fields: [
      f('family', 16, u32), f('remoteIp4', 20, be32), f('localIp4', 24, be32), f('remoteIp6', 28, arr(be32, 4)),
      f('localIp6', 44, arr(be32, 4)), f('remotePort', 60, be32), f('localPort', 64, u32), f('size', 68, u32),
      f('sk', 72, { k: 'struct', def: BPF_SOCK }, { deref: true }),
    ],
    packet: { data: 0, end: 8, width: 8, write: true },
  },
];

export const CONTEXTS: ReadonlyMap<CtxName, CtxDesc> = new Map(DESCS.map((d) => [d.name, d]));

export function ctxDesc(name: CtxName): CtxDesc {
  return CONTEXTS.get(name)!;
}

/** Can a value of context `from` be passed where `to` is expected (the same, or a base)? */
export function ctxAssignable(from: CtxName, to: CtxName): boolean {
  return from === to || ctxDesc(from).base === to;
}

/** Members of a context for messages: fields, then methods. */
export function ctxMembers(d: CtxDesc): string {
  const m = d.fields.map((x) => x.name);
  if (d.lenFromPacket) m.unshift('len');
  if (d.packet) m.push('header<T>(offset)');
  if (d.skbLoad) m.push('load<T>(offset)');
  if (d.args) m.push('arg(n)');
  if (d.ret !== undefined) m.push('ret()');
  return m.join(', ');
}
