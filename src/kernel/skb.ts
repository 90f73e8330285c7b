/**
 * Programs over socket buffers (`struct __sk_buff`): tc classifiers, socket filters and cgroup
 * skb programs. Each has its own context type with the fields the kernel lets that type read and
 * write (writable ones are not `readonly`):
 *
 *   export const mark_web = tc((skb) => {
 *     const eth = skb.header<EthHdr>(0);
 *     if (!eth) return TcAction.OK;
 *     skb.mark = 42;
 *     return TcAction.OK;
 *   });
 */
import type { u16, u32, u64, i32, i64, be16, be32, FixedArray } from './types.js';
import type { Program } from './programs.js';

/** What a tc classifier returns (TC_ACT_*): OK passes the packet on, SHOT drops it. */
export const TcAction = {
  UNSPEC: -1,
  OK: 0,
  RECLASSIFY: 1,
  SHOT: 2,
  PIPE: 3,
  STOLEN: 4,
  QUEUED: 5,
  REPEAT: 6,
  REDIRECT: 7,
  TRAP: 8,
} as const;
export type TcAction = (typeof TcAction)[keyof typeof TcAction];

/** What sk_msg/sk_skb verdicts and some cgroup hooks return: SK_DROP, SK_PASS. */
export const SkAction = { DROP: 0, PASS: 1 } as const;
export type SkAction = (typeof SkAction)[keyof typeof SkAction];

/** The fields every sk_buff program reads (and a function taking any of the three contexts accepts). */
export interface SkBuffContext {
  /** Bytes in the packet (all of it, not only what header<T>() can reach). */
  readonly len: u32;
  readonly pktType: u32;
  readonly mark: u32;
  readonly queueMapping: u32;
  /** The L3 protocol (ETH_P_*), network byte order: `ntohs(skb.protocol) === EtherType.IPV4`. */
  readonly protocol: be16;
  readonly vlanPresent: u32;
  readonly vlanTci: u32;
  readonly vlanProto: be16;
  readonly priority: u32;
  readonly ingressIfindex: u32;
  readonly ifindex: u32;
  readonly tcIndex: u32;
  /** Scratch space shared by the programs a packet passes through (writable everywhere). */
  readonly cb: FixedArray<u32, 5>;
  readonly hash: u32;
  readonly napiId: u32;
  readonly gsoSegs: u32;
  readonly gsoSize: u32;
  /**
   * A copy of the struct `T` at byte `offset` (bpf_skb_load_bytes), or null if the packet is
   * shorter. With `from`, the offset counts from the MAC or network header (the same in every
   * socket type; a UDP socket's filter otherwise starts at the UDP header).
   */
  load<T extends object>(offset: u32, from?: HeaderStart): T | null;
}

/** A tc classifier's context (direct-action mode): packet reads and writes, mark/priority/… writable. */
export interface TcContext extends SkBuffContext {
  mark: u32;
  priority: u32;
  tcIndex: u32;
  queueMapping: u32;
  tcClassid: u32;
  /** Delivery time (ns, CLOCK_MONOTONIC by default). */
  tstamp: u64;
  readonly wireLen: u32;
  /** A view of struct `T` at byte `offset` of the packet (from the Ethernet header), or null if the packet is shorter. */
  header<T extends object>(offset: u32): T | null;
}

/** A socket filter's context: no packet pointers (use `load<T>()`), only `cb` writable. */
export interface SocketFilterContext extends SkBuffContext {}

/** A cgroup skb program's context: the packet from the IP header on, read-only; the socket's addresses. */
export interface CgroupSkbContext extends SkBuffContext {
  mark: u32;
  priority: u32;
  tstamp: u64;
  /** The socket's address family (AF_INET = 2, AF_INET6 = 10). */
  readonly family: u32;
  readonly remoteIp4: be32;
  readonly localIp4: be32;
  readonly remoteIp6: Readonly<FixedArray<be32, 4>>;
  readonly localIp6: Readonly<FixedArray<be32, 4>>;
  /** Host byte order. */
  readonly localPort: u32;
  /** A read-only view of struct `T` at byte `offset` (the IP header is at 0), or null if the packet is shorter. */
  header<T extends object>(offset: u32): Readonly<T> | null;
}

/** Declares a tc classifier (section `tc`, attached with clsact in direct-action mode). */
export declare function tc(body: (skb: TcContext) => TcAction): Program<'classifier'>;
/** Declares a socket filter (section `socket`): returns how many bytes of the packet to keep (0 drops it). */
export declare function socketFilter(body: (skb: SocketFilterContext) => u32): Program<'socket_filter'>;
/** Declares a cgroup skb program (section `cgroup_skb/ingress|egress`): 1 lets the packet through, 0 drops it. */
export declare function cgroupSkb(direction: 'ingress' | 'egress', body: (skb: CgroupSkbContext) => u32 | boolean): Program<'cgroup_skb'>;

/** BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH: flags of skb_store_bytes. */
export const StoreFlags = { RECOMPUTE_CSUM: 1, INVALIDATE_HASH: 2 } as const;
/** Flags of l3/l4_csum_replace besides the field size (2 or 4) in the low bits. */
export const CsumFlags = { PSEUDO_HDR: 0x10, MARK_MANGLED_0: 0x20, MARK_ENFORCE: 0x40 } as const;
/** Where `load<T>(offset, from)` counts from: BPF_HDR_START_MAC, BPF_HDR_START_NET. */
export const HeaderStart = { MAC: 0, NET: 1 } as const;
export type HeaderStart = (typeof HeaderStart)[keyof typeof HeaderStart];

/** Modes of skb_adjust_room. */
export const AdjustRoomMode = { NET: 0, MAC: 1 } as const;

/** Copies the bytes of a view (a struct or array) into the packet at `offset`. Packet views read before it are invalid after it. */
export declare function skb_store_bytes(skb: TcContext, offset: u32, from: object, flags?: u64): i64;
/** Updates the IP checksum at `offset` for a field changed from `from` to `to`; `size` is 2 or 4 (| flags). */
export declare function l3_csum_replace(skb: TcContext, offset: u32, from: u64, to: u64, size: u64): i64;
/** Updates the L4 checksum at `offset` (flags: the field size 2 or 4, | CsumFlags.PSEUDO_HDR for address fields). */
export declare function l4_csum_replace(skb: TcContext, offset: u32, from: u64, to: u64, flags: u64): i64;
/** Sends a clone of the packet to interface `ifindex` (flags: 1 = ingress); the program goes on with the original. */
export declare function clone_redirect(skb: TcContext, ifindex: u32, flags: u64): i64;
/** Grows the headroom by `len` bytes (the new bytes are at the front). */
export declare function skb_change_head(skb: TcContext, len: u32, flags: u64): i64;
/** Resizes the packet to `len` bytes. */
export declare function skb_change_tail(skb: TcContext, len: u32, flags: u64): i64;
/** Makes the first `len` bytes readable through header<T>() (pulls non-linear data in). */
export declare function skb_pull_data(skb: TcContext, len: u32): i64;
export declare function skb_vlan_push(skb: TcContext, proto: be16, tci: u16): i64;
export declare function skb_vlan_pop(skb: TcContext): i64;
/** Grows (len_diff > 0) or shrinks room at the L3 (mode NET) or L2 (MAC) header. */
export declare function skb_adjust_room(skb: TcContext, len_diff: i32, mode: u32, flags: u64): i64;
/** The packet's flow hash, computed if needed. */
export declare function get_hash_recalc(skb: TcContext): u32;
/** The uid owning the packet's socket (overflowuid when there is none). */
export declare function get_socket_uid(skb: SkBuffContext): u32;
/** A unique 64-bit id of the packet's socket (0 when there is none). */
export declare function get_socket_cookie(skb: SkBuffContext): u64;
