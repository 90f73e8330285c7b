/**
 * The fuzzer shared by the fuzz test and scripts/soak-fuzz.ts: mutations of valid BPF objects
 * aimed at the structures the readers trust least (headers, section and symbol tables, string
 * tables, relocations, BTF, BTF.ext), and the check that every reader either succeeds or throws
 * a TsbpfError.
 */
import { TsbpfError } from '../../src/errors.js';
import { parseBtf, parseBtfExt } from '../../src/btf/index.js';
import { readElf, type ElfFile } from '../../src/elf/index.js';
import { renderReadelf } from '../../src/inspect/readelf.js';
import { parseObject } from '../../src/object/index.js';

/** xorshift32: small, seedable, reproducible. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number { return n <= 0 ? 0 : this.u32() % n; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
}

export interface Region { name: string; start: number; end: number }
export interface Seed { name: string; bytes: Uint8Array; regions: Region[] }

/** The interesting byte ranges of a valid object. */
export function seedOf(name: string, bytes: Uint8Array): Seed {
  const elf: ElfFile = readElf(bytes);
  const regions: Region[] = [{ name: 'ehdr', start: 0, end: 64 }, { name: 'shdrs', start: elf.header.shoff, end: elf.header.shoff + elf.sections.length * 64 }];
  for (const s of elf.sections) {
    if (s.data.length === 0) continue;
    const kind = s.type === 2 ? 'symtab' : s.type === 3 ? 'strtab' : s.type === 9 || s.type === 4 ? 'relocs' : s.name === '.BTF' ? 'btf' : s.name === '.BTF.ext' ? 'btfext' : s.name === '.maps' ? 'maps' : s.flags & 4 ? 'code' : 'data';
    regions.push({ name: `${kind}:${s.name}`, start: s.offset, end: s.offset + s.size });
  }
  return { name, bytes, regions };
}

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** One random mutation of a seed; `how` describes it for reproduction. */
export function mutate(seed: Seed, rng: Rng): { bytes: Uint8Array; how: string } {
  const src = seed.bytes;
  const b = new Uint8Array(src);
  const v = new DataView(b.buffer);
  const region = rng.pick(seed.regions);
  const at = (align: number, size: number): number => {
    const span = Math.max(0, region.end - region.start - size);
    const p = region.start + rng.int(span + 1);
    return Math.min(p - (p % align), b.length - size);
  };
  switch (rng.int(9)) {
    case 0: { // bit flips anywhere
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      return { bytes: b, how: `${n} bit flips` };
    }
    case 1: { // truncation, often inside a structure
      const len = rng.int(2) ? rng.int(b.length) : Math.min(b.length, region.start + rng.int(Math.max(1, region.end - region.start)));
      return { bytes: b.subarray(0, len), how: `truncate to ${len} (${region.name})` };
    }
    case 2: { // random bytes inside a region
      const n = 1 + rng.int(16);
      const p = at(1, Math.min(n, b.length));
      for (let i = 0; i < n && p + i < b.length; i++) b[p + i] = rng.int(256);
      return { bytes: b, how: `${n} random bytes at ${p} (${region.name})` };
    }
    case 3: { // a 32-bit field set to an interesting value
      if (b.length < 4) return { bytes: b, how: 'noop' };
      const p = at(4, 4);
      const val = rng.pick(INTERESTING32);
      v.setUint32(p, val, true);
      return { bytes: b, how: `u32 ${val} at ${p} (${region.name})` };
    }
    case 4: { // a 64-bit field set huge
      if (b.length < 8) return { bytes: b, how: 'noop' };
      const p = at(8, 8);
      const val = rng.pick([0xffffffffffffffffn, 0x7fffffffffffffffn, 0x100000000n, BigInt(src.length), BigInt(src.length + 1), BigInt(rng.u32()) << BigInt(rng.int(32))]);
      v.setBigUint64(p, val, true);
      return { bytes: b, how: `u64 ${val} at ${p} (${region.name})` };
    }
    case 5: { // small arithmetic on a 16/32-bit field
      if (b.length < 4) return { bytes: b, how: 'noop' };
      const p = at(2, 4);
      const delta = rng.pick([-16, -8, -1, 1, 8, 16, 24, 64]);
      v.setUint32(p, (v.getUint32(p, true) + delta) >>> 0, true);
      return { bytes: b, how: `u32 += ${delta} at ${p} (${region.name})` };
    }
    case 6: { // copy a chunk of the file over a region
      const n = 1 + rng.int(64);
      const from = rng.int(Math.max(1, b.length - n));
      const to = at(1, Math.min(n, b.length));
      b.copyWithin(to, from, from + n);
      return { bytes: b, how: `copy ${n} bytes ${from} → ${to} (${region.name})` };
    }
    case 7: { // append junk
      const n = 1 + rng.int(128);
      const out = new Uint8Array(b.length + n);
      out.set(b);
      for (let i = b.length; i < out.length; i++) out[i] = rng.int(256);
      return { bytes: out, how: `append ${n} bytes` };
    }
    default: { // several field edits at once in one region
      const n = 2 + rng.int(4);
      for (let i = 0; i < n && b.length >= 4; i++) v.setUint32(at(4, 4), rng.int(2) ? rng.pick(INTERESTING32) : rng.u32(), true);
      return { bytes: b, how: `${n} u32 edits (${region.name})` };
    }
  }
}

export interface Failure { stage: string; error: unknown }

/**
 * Runs every reader over `bytes`: the ELF reader, BTF/BTF.ext parsing of whatever sections it
 * finds, the object model and all readelf tables. Returns the first exception that is not a
 * TsbpfError, and how many stages succeeded.
 */
export function exercise(bytes: Uint8Array): { failure?: Failure; ok: number } {
  let ok = 0;
  const stage = (name: string, fn: () => void): Failure | undefined => {
    try {
      fn();
      ok++;
      return undefined;
    } catch (error) {
      return error instanceof TsbpfError ? undefined : { stage: name, error };
    }
  };
  let elf: ElfFile | undefined;
  const f1 = stage('readElf', () => { elf = readElf(bytes); });
  if (f1) return { failure: f1, ok };
  if (elf) {
    const btfSec = elf.sections.find((s) => s.name === '.BTF');
    const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
    if (btfSec) {
      let btf: ReturnType<typeof parseBtf> | undefined;
      const f2 = stage('parseBtf', () => { btf = parseBtf(btfSec.data, { fileOffset: btfSec.offset }); });
      if (f2) return { failure: f2, ok };
      if (btf && extSec) {
        const f3 = stage('parseBtfExt', () => { parseBtfExt(extSec.data, btf!, { fileOffset: extSec.offset }); });
        if (f3) return { failure: f3, ok };
      }
      if (btf) {
        const f4 = stage('btf queries', () => {
          for (const t of btf!.types.slice(0, 200)) {
            btf!.typeName(t.id);
            try { btf!.sizeof(t.id); } catch (e) { if (!(e instanceof TsbpfError)) throw e; }
            if (t.kind === 'STRUCT' || t.kind === 'UNION') btf!.members(t.id);
          }
        });
        if (f4) return { failure: f4, ok };
      }
    }
  }
  const f5 = stage('parseObject', () => { parseObject(bytes); });
  if (f5) return { failure: f5, ok };
  const f6 = stage('renderReadelf', () => { renderReadelf(bytes, { sections: true, relocations: true, symbols: true }); });
  if (f6) return { failure: f6, ok };
  const f7 = stage('renderReadelf --btf', () => { renderReadelf(bytes, { btf: true }); });
  if (f7) return { failure: f7, ok };
  return { ok };
}
