/**
 * Kernel helpers callable from programs (the `bpf_*` helpers of C without the prefix). Argument
 * and result types are those of uapi linux/bpf.h.
 */
import type { u8, u16, u32, u64, i64, be16, be32, FixedArray } from './types.js';
import type { ProgramContext, PacketContext } from './programs.js';
import type { ProgArray, DevMap, CpuMap } from './maps.js';

/** Integer types printk and log accept as arguments. */
export type PrintArg = number | boolean;

/** bpf_printk: a string literal (at most 3 `%d %u %x %llu …` conversions) plus up to 3 integers, to the trace pipe. */
export declare function printk(fmt: string, a?: PrintArg, b?: PrintArg, c?: PrintArg): i64;

export declare function ktime_get_ns(): u64;
export declare function ktime_get_boot_ns(): u64;
export declare function get_smp_processor_id(): u32;
export declare function get_prandom_u32(): u32;

/** Redirects the packet to interface `ifindex` (return the result from the program; in tc it is TcAction.REDIRECT, or SHOT on error). */
export declare function redirect(ifindex: u32, flags: u64): 0 | 1 | 2 | 3 | 4;
/** Redirects through a DevMap/CpuMap entry; the low bits of `flags` are the action when `key` is missing. */
export declare function redirect_map(map: DevMap | CpuMap, key: u32, flags: u64): 0 | 1 | 2 | 3 | 4;
/** Jumps to program `index` of `map`; returns only if that slot is empty (or the tail-call limit is hit). */
export declare function tail_call(ctx: ProgramContext, map: ProgArray, index: u32): i64;

/** Checksum difference of two header views (either may be null): bpf_csum_diff. */
export declare function csum_diff(from: object | null, to: object | null, seed: u32): i64;
/** Folds a 32-bit checksum sum into 16 bits and complements it (computed inline, no helper). */
export declare function csum_fold(sum: u32): u16;

/** struct bpf_fib_lookup: inputs and outputs of fib_lookup. */
export interface FibLookup {
  family: u8;
  l4_protocol: u8;
  sport: be16;
  dport: be16;
  /** Input: L3 length; shares its bytes with mtu_result (output). */
  tot_len: u16;
  mtu_result: u16;
  ifindex: u32;
  /** Input tos (IPv4) / flowinfo (IPv6); output rt_metric: the same 4 bytes. */
  tos: u8;
  flowinfo: be32;
  rt_metric: u32;
  /** IPv4 and IPv6 addresses share their bytes (a C union). */
  ipv4_src: be32;
  ipv6_src: FixedArray<be32, 4>;
  ipv4_dst: be32;
  ipv6_dst: FixedArray<be32, 4>;
  h_vlan_proto: be16;
  h_vlan_TCI: be16;
  tbid: u32;
  smac: FixedArray<u8, 6>;
  dmac: FixedArray<u8, 6>;
}
export const FibLookupFlags = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 } as const;
export const FibResult = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4,
  FWD_DISABLED: 5, UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;
/** bpf_fib_lookup on a FibLookup struct variable; returns a FibResult code (< 0 on bad input). */
export declare function fib_lookup(ctx: PacketContext, params: FibLookup, flags: u32): i64;

/** Atomic read-modify-write of a global or a map-value field; each returns the previous value. */
export declare function atomic_add<T extends number>(place: T, value: T): T;
export declare function atomic_and<T extends number>(place: T, value: T): T;
export declare function atomic_or<T extends number>(place: T, value: T): T;
export declare function atomic_xor<T extends number>(place: T, value: T): T;
export declare function atomic_xchg<T extends number>(place: T, value: T): T;
/** Stores `value` if `place` equals `expected`; returns the previous value either way. */
export declare function atomic_cmpxchg<T extends number>(place: T, expected: T, value: T): T;
