/**
 * 64-bit positions shared with the kernel (BPF ring buffer consumer/producer positions, perf
 * ring data_head/data_tail), handled as 32-bit numbers.
 *
 * Why not BigInt: a BigUint64Array read allocates a BigInt and every comparison or mask after it
 * is BigInt arithmetic; in the ring-buffer reader that was most of the cost per record.
 *
 * Why not a plain `number` for the whole position: a double is exact up to 2^53 bytes. At
 * 10 M records/s of 8 bytes (16 bytes each in the ring with the header) that is 2^53 / 1.6e8 B/s
 * = 5.6e7 s ≈ 1.8 years of continuous streaming; but positions count bytes, not records, and at
 * a memory-bandwidth rate (~10 GB/s of large records) the same bound is ~10 days, and a ring
 * opened by a later reader starts wherever earlier readers left it. So we never hold the full
 * position as a number: the readers keep the low 32 bits and do modular arithmetic on them,
 * which is exact forever because two positions we compare are never more than the ring size
 * apart (ring sizes are powers of two ≤ 2^31 for BPF ring buffers and far smaller for perf
 * rings), exactly as the kernel compares its unsigned long positions. The high word is only
 * needed to write our own position back, and it is tracked by counting wraps of the low word.
 */

/** Index of the low 32-bit half of a u64 in host byte order (the kernel's positions are host-endian). */
export const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
/** Index of the high 32-bit half. */
export const HI = 1 - LO;

/**
 * Reads a u64 that the kernel may be updating, from two 32-bit reads: high, low, high again,
 * retried until both high reads agree (a store between them moved the value across a 2^32
 * boundary). Returns it as a bigint: used once at open and in messages, never per record.
 */
export function readU64(words: Uint32Array, index = 0): bigint {
  for (;;) {
    const hi = Atomics.load(words, index + HI);
    const lo = Atomics.load(words, index + LO);
    if (Atomics.load(words, index + HI) === hi) return (BigInt(hi) << 32n) | BigInt(lo);
  }
}

/** `hi:lo` as a bigint (for messages). */
export function joinU64(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * A position only we write (ring buffer consumer_pos, perf data_tail), kept as low/high words.
 * `store(lo)` publishes a new low word; the high word is advanced when the low word wrapped since
 * the previous store, which is unambiguous because consecutive stores are less than 2^32 apart
 * (we never move by more than the ring size between two stores). While the high word stays the
 * same, a 32-bit store of the low half is all that changes, and it is single-copy atomic for the
 * kernel's 64-bit load; the rare store that moves the high word is one 64-bit store.
 */
export class OwnPos {
  /** Low word of the last stored position. */
  lo: number;
  /** High word of the last stored position. */
  hi: number;
  private readonly words: Uint32Array;
  private readonly whole: BigUint64Array;

  /** `buffer` at `byteOffset` (8-aligned) holds the u64. */
  constructor(buffer: ArrayBuffer, byteOffset: number) {
    this.words = new Uint32Array(buffer, byteOffset, 2);
    this.whole = new BigUint64Array(buffer, byteOffset, 1);
    const v = readU64(this.words);
    this.lo = Number(v & 0xffffffffn);
    this.hi = Number(v >> 32n);
  }

  /** Publishes `lo` (a low word reached by moving forward less than 2^32 since the last store). */
  store(lo: number): void {
    if (lo === this.lo) return;
    if (lo < this.lo) {
      this.hi = (this.hi + 1) >>> 0;
      Atomics.store(this.whole, 0, joinU64(this.hi, lo));
    } else {
      Atomics.store(this.words, LO, lo);
    }
    this.lo = lo;
  }

  /** The full position whose low word is `lo` (at or after the last store, less than 2^32 ahead). */
  full(lo: number): bigint {
    return joinU64(lo < this.lo ? this.hi + 1 : this.hi, lo);
  }
}
