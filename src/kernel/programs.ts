/**
 * Program declarations. A program is a module-level constant initialised by a program-type
 * function: `export const hello_world = xdp((ctx) => { … return XdpAction.PASS; })`. The constant's
 * name becomes the ELF function symbol; the program-type function picks the ELF section (`xdp`)
 * and the context type, so editors check `ctx` and the return value. The other program types
 * have functions of the same shape: `tc`, `socketFilter`, `cgroupSkb` (skb.ts), `kprobe("fn", …)`,
 * `tracepoint("cat/name", …)` and the rest of the tracing family (tracing.ts), `cgroupSysctl`,
 * `cgroupSockopt`, `sockOps` (cgroup.ts), `skMsg` (sk-msg.ts).
 */
import type { u32, i32 } from './types.js';
import type { SkBuffContext, TcContext, SocketFilterContext, CgroupSkbContext } from './skb.js';
import type { KprobeContext, KretprobeContext, TracepointContext, RawTracepointContext, PerfEventContext, TracingContext, FexitContext } from './tracing.js';
import type { SysctlContext, SockoptContext, SockOpsContext } from './cgroup.js';
import type { SkMsgContext } from './sk-msg.js';

/** Any program's context (what log calls and tail_call take). */
export type ProgramContext =
  | XdpContext | SkBuffContext | TcContext | SocketFilterContext | CgroupSkbContext
  | KprobeContext | KretprobeContext | TracepointContext<any> | RawTracepointContext | PerfEventContext
  | TracingContext | FexitContext | SysctlContext | SockoptContext | SockOpsContext | SkMsgContext;

/** Contexts with a packet the kernel routes (fib_lookup). */
export type PacketContext = XdpContext | TcContext;

/** What an XDP program returns: the verdict for the packet. */
export const XdpAction = {
  ABORTED: 0,
  DROP: 1,
  PASS: 2,
  TX: 3,
  REDIRECT: 4,
} as const;
export type XdpAction = (typeof XdpAction)[keyof typeof XdpAction];

/**
 * The XDP context (`struct xdp_md`). Packet bytes are reached only through `header<T>(offset)`,
 * which checks the packet is long enough (the check the verifier demands) and gives a typed view,
 * or `null` when the packet is too short. Views are read and written like objects.
 */
export interface XdpContext {
  /** Packet length in bytes (data_end - data). */
  readonly len: u32;
  readonly ingressIfindex: u32;
  readonly rxQueueIndex: u32;
  readonly egressIfindex: u32;
  /** A view of struct `T` at byte `offset` from the packet start, or null if the packet is shorter. */
  header<T extends object>(offset: u32): T | null;
}

/** A compiled program declaration; the tsbpf compiler turns it into an ELF function. */
export interface Program<Kind extends string> {
  readonly __program?: Kind;
}

export interface XdpOptions {
  /** Accept multi-buffer (fragmented) packets: section `xdp.frags`. */
  frags?: boolean;
}

/** Declares an XDP program. `body` runs for every packet and returns an XdpAction. */
export declare function xdp(body: (ctx: XdpContext) => XdpAction): Program<'xdp'>;
export declare function xdp(options: XdpOptions, body: (ctx: XdpContext) => XdpAction): Program<'xdp'>;

/** Moves the packet start by `delta` bytes (negative grows the headroom); 0 on success. Views read before it are invalid after it. */
export declare function xdp_adjust_head(ctx: XdpContext, delta: i32): i32;
/** Moves the packet end by `delta` bytes; 0 on success. Views read before it are invalid after it. */
export declare function xdp_adjust_tail(ctx: XdpContext, delta: i32): i32;
