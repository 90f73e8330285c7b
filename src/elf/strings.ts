/**
 * NUL-terminated string tables (.strtab, .BTF strings): bounded lookups that never scan past the
 * table, with a one-pass index so that many lookups into a large table stay linear overall.
 */
const utf8 = new TextDecoder('utf-8');

export class StringTable {
  private nextNul: Int32Array | undefined;
  private readonly cache = new Map<number, string>();

  /** `fail(offset, why)` must throw; `bytes` is the whole table. */
  constructor(readonly bytes: Uint8Array, private readonly fail: (offset: number, why: string) => never) {}

  get size(): number {
    return this.bytes.length;
  }

  /** The string starting at `offset`; throws through `fail` when out of range or unterminated. */
  get(offset: number): string {
    const hit = this.cache.get(offset);
    if (hit !== undefined) return hit;
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      this.fail(offset, `string offset ${offset} is outside the string table (size ${this.bytes.length})`);
    }
    const end = this.terminator(offset);
    if (end < 0) this.fail(offset, `string at offset ${offset} is not NUL-terminated before the end of the table`);
    const s = utf8.decode(this.bytes.subarray(offset, end));
    this.cache.set(offset, s);
    return s;
  }

  private terminator(offset: number): number {
    // Small tables: a native scan is bounded and cheap. Large ones: index every NUL once.
    if (this.bytes.length <= 4096) return this.bytes.indexOf(0, offset);
    if (!this.nextNul) {
      const b = this.bytes;
      const next = new Int32Array(b.length);
      let nul = -1;
      for (let i = b.length - 1; i >= 0; i--) {
        if (b[i] === 0) nul = i;
        next[i] = nul;
      }
      this.nextNul = next;
    }
    return this.nextNul[offset]!;
  }
}
