/**
 * sk_msg programs: they run on every message (sendmsg, write, sendfile) a TCP socket sends once
 * that socket is in a SockHash or SockMap the program is attached to, and decide its fate —
 * pass it, drop it (the sender's call fails with EACCES), or redirect it to another socket of
 * the map (msg_redirect_hash / msg_redirect_map):
 *
 *   export const sockets = new SockHash<u32>({ maxEntries: 1024 });
 *   export const sk_msg_hello = skMsg((ctx) => {
 *     log.info(ctx, "received a message on the socket");
 *     return SkAction.PASS;
 *   });
 *
 * User space puts sockets into the map (`map.set(key, socketFd)`, the value written is the
 * socket's file descriptor) or a sock_ops program does; `attachProgram` attaches the program to
 * the object's one sockhash/sockmap (BPF_PROG_ATTACH, BPF_SK_MSG_VERDICT).
 */
import type { u32, u64, i32, i64, be16, be32, FixedArray } from './types.js';
import type { Program } from './programs.js';
import type { SkAction } from './skb.js';
import type { MapOptions } from './maps.js';

/** The socket a message belongs to (struct bpf_sock), read-only. Addresses and ports as the kernel stores them. */
export interface BpfSock {
  readonly bound_dev_if: u32;
  /** AF_INET = 2, AF_INET6 = 10. */
  readonly family: u32;
  /** SOCK_STREAM = 1, … */
  readonly type: u32;
  /** IPPROTO_TCP = 6, … */
  readonly protocol: u32;
  readonly mark: u32;
  readonly priority: u32;
  readonly src_ip4: be32;
  readonly src_ip6: FixedArray<be32, 4>;
  /** Host byte order. */
  readonly src_port: u32;
  /** Network byte order: `ntohs(ctx.sk.dst_port)`. */
  readonly dst_port: be16;
  readonly dst_ip4: be32;
  readonly dst_ip6: FixedArray<be32, 4>;
  /** TCP state (TCP_ESTABLISHED = 1, …). */
  readonly state: u32;
  readonly rx_queue_mapping: i32;
}

/**
 * An sk_msg program's context (struct sk_msg_md): read-only. `header<T>(offset)` views the
 * message's first bytes (those in its first scatterlist element: all of a small message; after
 * `msg_pull_data(ctx, start, end, 0)`, bytes start…end at offset 0) and may write them.
 */
export interface SkMsgContext {
  /** The socket's address family (AF_INET = 2, AF_INET6 = 10). */
  readonly family: u32;
  readonly remoteIp4: be32;
  readonly localIp4: be32;
  readonly remoteIp6: Readonly<FixedArray<be32, 4>>;
  readonly localIp6: Readonly<FixedArray<be32, 4>>;
  /**
   * The peer's port as the kernel stores it (network order in the high half of the 32 bits):
   * `ntohl(ctx.remotePort)` is the port number.
   */
  readonly remotePort: be32;
  /** Host byte order. */
  readonly localPort: u32;
  /** Bytes in the whole message (not only what header<T>() reaches). */
  readonly size: u32;
  /** The socket sending the message. */
  readonly sk: BpfSock;
  /** A view of struct `T` at byte `offset` of the message's data, or null when fewer bytes are there. */
  header<T extends object>(offset: u32): T | null;
}

/** Declares an sk_msg program (section `sk_msg`): SkAction.PASS lets the message go, DROP refuses it (EACCES). */
export declare function skMsg(body: (ctx: SkMsgContext) => SkAction | boolean): Program<'sk_msg'>;

/**
 * Sockets by key K (BPF_MAP_TYPE_SOCKHASH; values are u32: user space writes a socket's file
 * descriptor). Programs use it only through msg_redirect_hash; attach sk_msg programs to it.
 */
export declare class SockHash<K> {
  constructor(options: MapOptions);
  // brands (private members make classes nominal), so editors refuse a SockMap or HashMap here
  private readonly __sockhash: K;
}
/** Sockets by u32 index (BPF_MAP_TYPE_SOCKMAP); programs use it through msg_redirect_map. */
export declare class SockMap {
  constructor(options: MapOptions);
  private readonly __sockmap: u32;
}

/** Flags of msg_redirect_hash/msg_redirect_map: INGRESS queues the message on the target socket's receive side (BPF_F_INGRESS). */
export const RedirectFlags = { EGRESS: 0, INGRESS: 1 } as const;

/**
 * Sends the message to the socket stored under `key` instead (its send side, or with
 * RedirectFlags.INGRESS its receive queue). Returns SkAction.PASS when the socket was found —
 * return it from the program — or SkAction.DROP.
 */
export declare function msg_redirect_hash<K>(ctx: SkMsgContext, map: SockHash<K>, key: K, flags: u64): SkAction;
/** msg_redirect_hash for a SockMap slot. */
export declare function msg_redirect_map(ctx: SkMsgContext, map: SockMap, key: u32, flags: u64): SkAction;
/** Applies this program's verdict to the next `bytes` bytes without running it again (0: just this message). */
export declare function msg_apply_bytes(ctx: SkMsgContext, bytes: u32): i64;
/** Holds the data back until `bytes` bytes have gathered, then runs the program once on all of them. */
export declare function msg_cork_bytes(ctx: SkMsgContext, bytes: u32): i64;
/**
 * Makes bytes `start`…`end` of the message readable with header<T>() (at offset 0); flags 0.
 * Returns 0 or a negative errno; views read before it are stale afterwards.
 */
export declare function msg_pull_data(ctx: SkMsgContext, start: u32, end: u32, flags: u64): i64;
/** Inserts `len` bytes at `start` (their contents are not set: write them); 0 or a negative errno. Views read before it are stale. */
export declare function msg_push_data(ctx: SkMsgContext, start: u32, len: u32, flags: u64): i64;
/** Removes `len` bytes at `start`; 0 or a negative errno. Views read before it are stale. */
export declare function msg_pop_data(ctx: SkMsgContext, start: u32, len: u32, flags: u64): i64;
