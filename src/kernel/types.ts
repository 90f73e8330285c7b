/**
 * Integer types for kernel programs. They are branded `number` aliases: editors show the names
 * and autocomplete them, literals need no cast, and the tsbpf compiler gives them exact widths,
 * signedness and wrap-around (TypeScript itself cannot: all of these are `number` to it).
 *
 * u64/i64 are `number`-based too, not `bigint`: counters and timestamps are the common 64-bit
 * values and `rec.bytes += ctx.len` must type-check without `BigInt(...)` noise. The compiler
 * reads literals from the source text, so `0xffff_ffff_ffff_ffff` keeps all 64 bits.
 */
export type u8 = number & { readonly __u8?: never };
export type u16 = number & { readonly __u16?: never };
export type u32 = number & { readonly __u32?: never };
export type u64 = number & { readonly __u64?: never };
export type i8 = number & { readonly __i8?: never };
export type i16 = number & { readonly __i16?: never };
export type i32 = number & { readonly __i32?: never };
export type i64 = number & { readonly __i64?: never };
export type bool = boolean;
/** A byte of text (C's char): arrays of it (`FixedArray<char, 16>`) log as strings. */
export type char = number & { readonly __char?: never };

/** Network byte order (big-endian) values as they sit in packet headers. Convert with ntohs/ntohl. */
export type be16 = number & { readonly __be16?: never };
export type be32 = number & { readonly __be32?: never };
export type be64 = number & { readonly __be64?: never };

/** A fixed-size array inside a struct (MAC and IPv6 addresses, …): index it with constants. */
export interface FixedArray<T, N extends number> {
  readonly length: N;
  [index: number]: T;
}

/** Byte order: network (big-endian) ↔ host. Applied to constants, they cost nothing. */
export declare function ntohs(v: be16): u16;
export declare function htons(v: u16): be16;
export declare function ntohl(v: be32): u32;
export declare function htonl(v: u32): be32;
export declare function ntohll(v: be64): u64;
export declare function htonll(v: u64): be64;
