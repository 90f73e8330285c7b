/**
 * Program kinds: for each program declaration of tsbpf/kernel (`xdp`, `tc`, `kprobe`, …) its
 * context type, what its first argument names (an attach target, a direction), the ELF section
 * libbpf's conventions give it (src/object/section-types.ts reads them back), and what it returns.
 * Kind names are aya-template's (`classifier` is declared as `tc`) so `tsbpf new` can match them.
 */
import type { CtxName } from './types.js';

export type ProgKind =
  | 'xdp' | 'classifier' | 'socket_filter' | 'cgroup_skb' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe'
  | 'tracepoint' | 'raw_tracepoint' | 'perf_event' | 'fentry' | 'fexit' | 'tp_btf' | 'lsm'
  | 'cgroup_sysctl' | 'cgroup_sockopt' | 'sock_ops' | 'sk_msg';

/**
 * What a program returns:
 * - `verdict`: a u32 the kernel acts on (XdpAction, TcAction, bytes to keep, 1 allow / 0 deny), checked against `range`;
 * - `any`: ignored by the kernel (tracing): the body may return nothing (0 is returned) or an integer;
 * - `zero`: the verifier wants 0 (fentry/fexit): nothing, or 0;
 * - `errno`: 0 or a negative errno (LSM hooks), an i32.
 */
export type ReturnRule = 'verdict' | 'any' | 'zero' | 'errno';

export interface TargetRule {
  /** Without it the section has no target (attached by name at run time). */
  required: boolean;
  /** What the string names, for messages. */
  what: string;
  /** Allowed values (directions). */
  choices?: string[];
  pattern?: RegExp;
  example: string;
}

export interface ProgKindDesc {
  kind: ProgKind;
  /** The declaration in tsbpf/kernel. */
  fn: string;
  ctx: CtxName;
  target?: TargetRule;
  /** The ELF section for a target (or none). */
  section: (target?: string) => string;
  ret: ReturnRule;
  /** Return values the verifier accepts (verdicts), by target when they differ. */
  range?: (target?: string) => [bigint, bigint] | undefined;
  /** Negative constants are returned as their 32-bit pattern (TC_ACT_UNSPEC = -1). */
  negativeOk?: boolean;
  /** What a value outside `range` leads to, when not a verifier rejection. */
  outOfRange?: string;
}

const FUNC = /^[A-Za-z_][A-Za-z0-9_.]*(\+(0x[0-9a-fA-F]+|\d+))?$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const fn = (required: boolean, what: string, example: string, pattern = FUNC): TargetRule => ({ required, what, example, pattern });
const withTarget = (base: string) => (t?: string): string => (t ? `${base}/${t}` : base);

const KINDS: ProgKindDesc[] = [
  { kind: 'xdp', fn: 'xdp', ctx: 'XdpContext', section: () => 'xdp', ret: 'verdict' },
  { kind: 'classifier', fn: 'tc', ctx: 'TcContext', section: () => 'tc', ret: 'verdict', negativeOk: true },
  { kind: 'socket_filter', fn: 'socketFilter', ctx: 'SocketFilterContext', section: () => 'socket', ret: 'verdict' },
  {
    kind: 'cgroup_skb', fn: 'cgroupSkb', ctx: 'CgroupSkbContext', ret: 'verdict',
    target: { required: true, what: 'direction', choices: ['ingress', 'egress'], example: 'cgroupSkb("egress", (skb) => 1)' },
    section: (t) => `cgroup_skb/${t}`,
    // egress may also return 2/3 (congestion notification: drop/allow with cwr)
    range: (t) => (t === 'egress' ? [0n, 3n] : [0n, 1n]),
  },
  { kind: 'kprobe', fn: 'kprobe', ctx: 'KprobeContext', target: fn(false, 'kernel function', 'kprobe("do_sys_openat2", (ctx) => …)'), section: withTarget('kprobe'), ret: 'any' },
  { kind: 'kretprobe', fn: 'kretprobe', ctx: 'KretprobeContext', target: fn(false, 'kernel function', 'kretprobe("do_sys_openat2", (ctx) => …)', NAME), section: withTarget('kretprobe'), ret: 'any' },
  {
    kind: 'uprobe', fn: 'uprobe', ctx: 'KprobeContext', section: withTarget('uprobe'), ret: 'any',
    target: { required: false, what: 'BINARY:FUNCTION', example: 'uprobe("libc.so.6:getpid", (ctx) => …)', pattern: /^[^\s:]+:[^\s:]+$/ },
  },
  {
    kind: 'uretprobe', fn: 'uretprobe', ctx: 'KretprobeContext', section: withTarget('uretprobe'), ret: 'any',
    target: { required: false, what: 'BINARY:FUNCTION', example: 'uretprobe("libc.so.6:getpid", (ctx) => …)', pattern: /^[^\s:]+:[^\s:]+$/ },
  },
  {
    kind: 'tracepoint', fn: 'tracepoint', ctx: 'TracepointContext', section: (t) => `tracepoint/${t}`, ret: 'any',
    target: { required: true, what: 'CATEGORY/NAME', example: 'tracepoint("syscalls/sys_enter_openat", (ctx: TracepointContext<SysEnterOpenat>) => …)', pattern: /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/ },
  },
  { kind: 'raw_tracepoint', fn: 'rawTracepoint', ctx: 'RawTracepointContext', target: fn(false, 'tracepoint', 'rawTracepoint("sys_enter", (ctx) => …)', NAME), section: withTarget('raw_tracepoint'), ret: 'any' },
  { kind: 'perf_event', fn: 'perfEvent', ctx: 'PerfEventContext', section: () => 'perf_event', ret: 'any' },
  { kind: 'fentry', fn: 'fentry', ctx: 'TracingContext', target: fn(true, 'kernel function', 'fentry("do_unlinkat", (ctx) => …)', NAME), section: withTarget('fentry'), ret: 'zero' },
  { kind: 'fexit', fn: 'fexit', ctx: 'FexitContext', target: fn(true, 'kernel function', 'fexit("do_unlinkat", (ctx) => …)', NAME), section: withTarget('fexit'), ret: 'zero' },
  { kind: 'tp_btf', fn: 'tpBtf', ctx: 'TracingContext', target: fn(true, 'tracepoint', 'tpBtf("sched_switch", (ctx) => …)', NAME), section: withTarget('tp_btf'), ret: 'any' },
  { kind: 'lsm', fn: 'lsm', ctx: 'TracingContext', target: fn(true, 'LSM hook', 'lsm("file_open", (ctx) => 0)', NAME), section: withTarget('lsm'), ret: 'errno', range: () => [-4095n, 0n] },
  { kind: 'cgroup_sysctl', fn: 'cgroupSysctl', ctx: 'SysctlContext', section: () => 'cgroup/sysctl', ret: 'verdict', range: () => [0n, 1n] },
  {
    kind: 'cgroup_sockopt', fn: 'cgroupSockopt', ctx: 'SockoptContext', ret: 'verdict', range: () => [0n, 1n],
    target: { required: true, what: 'direction', choices: ['getsockopt', 'setsockopt'], example: 'cgroupSockopt("getsockopt", (ctx) => 1)' },
    section: (t) => `cgroup/${t}`,
  },
  { kind: 'sock_ops', fn: 'sockOps', ctx: 'SockOpsContext', section: () => 'sockops', ret: 'verdict', range: () => [0n, 1n] },
  // SK_DROP 0 / SK_PASS 1: the kernel drops on anything but SK_PASS (the verifier does not check the range)
  {
    kind: 'sk_msg', fn: 'skMsg', ctx: 'SkMsgContext', section: () => 'sk_msg', ret: 'verdict', range: () => [0n, 1n],
    outOfRange: 'the kernel would drop the message (it passes only SK_PASS = 1)',
  },
];

export const PROGRAM_KINDS: ReadonlyMap<ProgKind, ProgKindDesc> = new Map(KINDS.map((k) => [k.kind, k]));

export function progKind(kind: ProgKind): ProgKindDesc {
  return PROGRAM_KINDS.get(kind)!;
}
