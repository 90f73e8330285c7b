/**
 * cgroup hooks beyond packets: sysctl access, get/setsockopt, and socket operations (sock_ops).
 * Each returns 1 to allow and 0 to deny (the verifier refuses other values).
 *
 *   export const no_writes = cgroupSysctl((ctx) => (ctx.write ? 0 : 1));
 */
import type { u32, i32, i64, be32, char, FixedArray } from './types.js';
import type { Program } from './programs.js';

/** A sysctl read or write by a process of the cgroup (struct bpf_sysctl). */
export interface SysctlContext {
  /** 1 for a write, 0 for a read. */
  readonly write: u32;
  /** The file position of the access (writable). */
  filePos: u32;
}

/**
 * A getsockopt/setsockopt call (struct bpf_sockopt). The option's value is the packet-like buffer
 * `header<T>(offset)` reads. `level`/`optname` may be changed by setsockopt programs, `retval`
 * by getsockopt programs (the kernel checks which).
 */
export interface SockoptContext {
  level: i32;
  optname: i32;
  optlen: i32;
  retval: i32;
  /** A view of struct `T` at byte `offset` of the option value, or null if it is shorter. */
  header<T extends object>(offset: u32): T | null;
}

/** A TCP socket event (struct bpf_sock_ops): `op` says which (BPF_SOCK_OPS_*). */
export interface SockOpsContext {
  readonly op: u32;
  readonly args: Readonly<FixedArray<u32, 4>>;
  /** The answer for ops that ask for one (shares its bytes with args[0]). */
  reply: u32;
  readonly family: u32;
  readonly remoteIp4: be32;
  readonly localIp4: be32;
  readonly remoteIp6: Readonly<FixedArray<be32, 4>>;
  readonly localIp6: Readonly<FixedArray<be32, 4>>;
  /** Host byte order. */
  readonly localPort: u32;
  readonly isFullsock: u32;
  readonly sndCwnd: u32;
  readonly srttUs: u32;
  readonly cbFlags: u32;
  readonly state: u32;
}

/** Declares a cgroup sysctl program (section `cgroup/sysctl`): 1 allows the access, 0 denies it (EPERM). */
export declare function cgroupSysctl(body: (ctx: SysctlContext) => u32 | boolean): Program<'cgroup_sysctl'>;
/** Declares a cgroup sockopt program (section `cgroup/getsockopt|setsockopt`): 1 allows, 0 denies (EPERM). */
export declare function cgroupSockopt(direction: 'getsockopt' | 'setsockopt', body: (ctx: SockoptContext) => u32 | boolean): Program<'cgroup_sockopt'>;
/** Declares a sock_ops program (section `sockops`): returns 1. */
export declare function sockOps(body: (ctx: SockOpsContext) => u32 | boolean): Program<'sock_ops'>;

/** The sysctl's name (`kernel/hostname`), at most `size` bytes (≤ 256), or null when it does not fit. */
export declare function sysctl_get_name<N extends number>(ctx: SysctlContext, size: N): FixedArray<char, N> | null;
/** The sysctl's current value as text, or null when it does not fit. */
export declare function sysctl_get_current_value<N extends number>(ctx: SysctlContext, size: N): FixedArray<char, N> | null;
/** The value being written as text (writes only), or null when it does not fit or this is a read. */
export declare function sysctl_get_new_value<N extends number>(ctx: SysctlContext, size: N): FixedArray<char, N> | null;
/** Replaces the value being written with the text of `value` (a char array view). */
export declare function sysctl_set_new_value(ctx: SysctlContext, value: object): i64;
