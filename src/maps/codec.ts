/**
 * Key/value codecs: JavaScript values ⇄ the bytes a map stores. From BTF when the object has it
 * (integers → number, or bigint when 8 bytes; bool → boolean; `char[N]` → string; other arrays →
 * arrays; structs/unions → objects keyed by member name, anonymous members flattened; enums →
 * number; pointers → bigint), raw Uint8Array otherwise, plus a few ready-made ones.
 */
import type { Btf } from '../btf/index.js';
import { INT_BOOL, INT_SIGNED } from '../btf/index.js';
import { TsbpfError } from '../errors.js';

export interface Codec<T> {
  /** Bytes one value takes. */
  readonly size: number;
  /** Writes `value` at `off` (the bytes there were zeroed by the caller). */
  encode(value: T, into: Uint8Array, off: number): void;
  decode(from: Uint8Array, off: number): T;
  /** A readable name of the type (`__u32`, `struct datarec`). */
  readonly typeName: string;
}

export class CodecError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('MAP', message, hint);
  }
}

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

function toBig(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw new CodecError(`${what}: expected an integer, got ${describe(v)}`);
}

function toNum(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new CodecError(`${what}: expected an integer, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** An integer codec: 1/2/4 bytes → number, 8 bytes → bigint (numbers accepted when encoding). */
export function intCodec(size: 1 | 2 | 4 | 8, signed: boolean, typeName = `${signed ? 's' : 'u'}${size * 8}`): Codec<number | bigint> {
  return {
    size,
    typeName,
    encode(v, b, o) {
      const d = dv(b);
      if (size === 8) {
        const x = toBig(v, typeName);
        if (x < -(1n << 63n) || x >= 1n << 64n) throw new CodecError(`${typeName}: ${x} does not fit in 8 bytes`);
        if (signed) d.setBigInt64(o, BigInt.asIntN(64, x), true);
        else d.setBigUint64(o, BigInt.asUintN(64, x), true);
        return;
      }
      const n = toNum(v, typeName);
      const bits = size * 8;
      if (n < -(2 ** (bits - 1)) || n > 2 ** bits - 1) throw new CodecError(`${typeName}: ${n} does not fit in ${size} byte${size > 1 ? 's' : ''}`);
      if (size === 1) d.setUint8(o, n & 0xff);
      else if (size === 2) d.setUint16(o, n & 0xffff, true);
      else d.setUint32(o, n >>> 0, true);
    },
    decode(b, o) {
      const d = dv(b);
      switch (size) {
        case 1: return signed ? d.getInt8(o) : d.getUint8(o);
        case 2: return signed ? d.getInt16(o, true) : d.getUint16(o, true);
        case 4: return signed ? d.getInt32(o, true) : d.getUint32(o, true);
        default: return signed ? d.getBigInt64(o, true) : d.getBigUint64(o, true);
      }
    },
  };
}

/** Raw bytes of a fixed size (a shorter array is zero-padded). */
export function bytesCodec(size: number): Codec<Uint8Array> {
  return {
    size,
    typeName: `u8[${size}]`,
    encode(v, b, o) {
      if (!(v instanceof Uint8Array)) throw new CodecError(`expected ${size} bytes (Uint8Array), got ${describe(v)}`);
      if (v.length > size) throw new CodecError(`expected at most ${size} bytes, got ${v.length}`);
      b.set(v, o);
    },
    decode: (b, o) => b.slice(o, o + size),
  };
}

/** A NUL-padded string of at most size-1 UTF-8 bytes (`char name[size]`). */
export function stringCodec(size: number): Codec<string> {
  return {
    size,
    typeName: `char[${size}]`,
    encode(v, b, o) {
      if (typeof v !== 'string') throw new CodecError(`char[${size}]: expected a string, got ${describe(v)}`);
      const e = Buffer.from(v, 'utf8');
      if (e.length > size) throw new CodecError(`char[${size}]: '${v}' is ${e.length} bytes`);
      b.set(e, o);
    },
    decode(b, o) {
      const s = b.subarray(o, o + size);
      const end = s.indexOf(0);
      return Buffer.from(s.subarray(0, end < 0 ? size : end)).toString('utf8');
    },
  };
}

/** The ready-made codecs for maps without BTF: `obj.map('x', { key: codecs.u32, value: codecs.u64 })`. */
export const codecs = {
  u8: intCodec(1, false) as Codec<number>,
  u16: intCodec(2, false) as Codec<number>,
  u32: intCodec(4, false) as Codec<number>,
  u64: intCodec(8, false) as Codec<bigint>,
  i8: intCodec(1, true) as Codec<number>,
  i16: intCodec(2, true) as Codec<number>,
  i32: intCodec(4, true) as Codec<number>,
  i64: intCodec(8, true) as Codec<bigint>,
  bytes: bytesCodec,
  string: stringCodec,
};

/** `count` values of `elem`, `stride` bytes apart (per-CPU values: stride = size rounded up to 8). */
export function arrayCodec<T>(elem: Codec<T>, count: number, stride = elem.size): Codec<T[]> {
  return {
    size: stride * count,
    typeName: `${elem.typeName}[${count}]`,
    encode(v, b, o) {
      // A single value for an array of them is replicated (e.g. the same value on every CPU).
      const list = Array.isArray(v) ? v : Array.from({ length: count }, () => v as unknown as T);
      if (list.length > count) throw new CodecError(`${elem.typeName}[${count}]: got ${list.length} elements`);
      list.forEach((x, i) => elem.encode(x, b, o + i * stride));
    },
    decode(b, o) {
      const out: T[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = elem.decode(b, o + i * stride);
      return out;
    },
  };
}

const MAX_DEPTH = 32;

/** A codec for BTF type `id`, or undefined when the type has no value form (void, functions). */
export function codecFromBtf(btf: Btf, id: number, depth = 0): Codec<unknown> | undefined {
  if (depth > MAX_DEPTH) throw new CodecError(`BTF type [${id}] nests more than ${MAX_DEPTH} levels`);
  const rid = btf.resolve(id);
  const t = btf.type(rid);
  const name = btf.typeName(id);
  switch (t.kind) {
    case 'INT': {
      if (t.bits !== t.size * 8 || t.bitOffset !== 0 || ![1, 2, 4, 8].includes(t.size)) return bytesCodec(t.size);
      if (t.encoding & INT_BOOL) {
        return {
          size: t.size, typeName: name,
          encode: (v, b, o) => { b[o] = v ? 1 : 0; },
          decode: (b, o) => b[o] !== 0,
        };
      }
      return intCodec(t.size as 1 | 2 | 4 | 8, (t.encoding & INT_SIGNED) !== 0, name);
    }
    case 'ENUM': case 'ENUM64':
      return [1, 2, 4, 8].includes(t.size) ? intCodec(t.size as 1 | 2 | 4 | 8, t.signed, name) : bytesCodec(t.size);
    case 'FLOAT':
      if (t.size === 4 || t.size === 8) {
        return {
          size: t.size, typeName: name,
          encode: (v, b, o) => { if (t.size === 4) dv(b).setFloat32(o, Number(v), true); else dv(b).setFloat64(o, Number(v), true); },
          decode: (b, o) => (t.size === 4 ? dv(b).getFloat32(o, true) : dv(b).getFloat64(o, true)),
        };
      }
      return bytesCodec(t.size);
    case 'PTR':
      return intCodec(8, false, name);
    case 'ARRAY': {
      const elemId = btf.resolve(t.type);
      const et = btf.type(elemId);
      if (et.kind === 'INT' && et.size === 1 && et.name === 'char') return stringCodec(t.nelems);
      const elem = codecFromBtf(btf, t.type, depth + 1);
      if (!elem) return undefined;
      return arrayCodec(elem, t.nelems, btf.sizeof(t.type));
    }
    case 'STRUCT': case 'UNION':
      return structCodec(btf, rid, name, depth);
    default:
      return undefined;
  }
}

interface Field { name: string; off: number; codec?: Codec<unknown>; bitOff?: number; bits?: number; flatten?: Codec<unknown> }

function structCodec(btf: Btf, id: number, name: string, depth: number): Codec<unknown> {
  const size = btf.sizeof(id);
  const fields: Field[] = [];
  for (const m of btf.members(id)) {
    if (m.bitSize) {
      if (m.name) fields.push({ name: m.name, off: 0, bitOff: m.bitOffset, bits: m.bitSize });
      continue;
    }
    const codec = codecFromBtf(btf, m.type, depth + 1);
    if (!codec) continue;
    // An anonymous struct/union member's fields read as the parent's own (as in C).
    if (!m.name) fields.push({ name: '', off: m.byteOffset, flatten: codec });
    else fields.push({ name: m.name, off: m.byteOffset, codec });
  }
  return {
    size,
    typeName: name,
    encode(v, b, o) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
        throw new CodecError(`${name}: expected an object with its fields, got ${describe(v)}`);
      }
      const obj = v as Record<string, unknown>;
      for (const f of fields) {
        if (f.flatten) { f.flatten.encode(obj, b, o + f.off); continue; }
        const x = obj[f.name];
        if (x === undefined) continue; // absent fields stay zero
        if (f.bits !== undefined) writeBits(b, o, f.bitOff!, f.bits, toNum(x, `${name}.${f.name}`));
        else f.codec!.encode(x, b, o + f.off);
      }
    },
    decode(b, o) {
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        if (f.flatten) Object.assign(out, f.flatten.decode(b, o + f.off));
        else if (f.bits !== undefined) out[f.name] = readBits(b, o, f.bitOff!, f.bits);
        else out[f.name] = f.codec!.decode(b, o + f.off);
      }
      return out;
    },
  };
}

function readBits(b: Uint8Array, base: number, bitOff: number, bits: number): number {
  let v = 0n;
  for (let i = 0; i < bits; i++) {
    const bit = bitOff + i;
    if (b[base + (bit >> 3)] & (1 << (bit & 7))) v |= 1n << BigInt(i);
  }
  return Number(v);
}

function writeBits(b: Uint8Array, base: number, bitOff: number, bits: number, value: number): void {
  const v = BigInt.asUintN(bits, BigInt(value));
  for (let i = 0; i < bits; i++) {
    const bit = bitOff + i;
    const at = base + (bit >> 3);
    if ((v >> BigInt(i)) & 1n) b[at] |= 1 << (bit & 7);
    else b[at] &= ~(1 << (bit & 7));
  }
}
