/**
 * The compiler's types: integers with exact width and signedness, big-endian field types, bool,
 * structs and fixed arrays laid out as C lays them out, views of memory (packet, map value,
 * ring-buffer record, stack), and the kernel objects (context, maps).
 */

export type IntName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'be16' | 'be32' | 'be64' | 'char';

/** The context types of tsbpf/kernel (the `ctx` parameter of each program kind; contexts.ts). */
export type CtxName =
  | 'XdpContext' | 'SkBuffContext' | 'TcContext' | 'SocketFilterContext' | 'CgroupSkbContext'
  | 'KprobeContext' | 'KretprobeContext' | 'TracepointContext' | 'RawTracepointContext' | 'PerfEventContext'
  | 'TracingContext' | 'FexitContext' | 'SysctlContext' | 'SockoptContext' | 'SockOpsContext' | 'SkMsgContext';

export interface IntTy {
  k: 'int';
  name: IntName;
  bits: 8 | 16 | 32 | 64;
  signed: boolean;
  /** Network byte order: only comparisons, copies, ntoh*() and `as` are allowed. */
  be: boolean;
}

export interface Field {
  name: string;
  ty: Ty;
  offset: number;
  readonly: boolean;
  /** A virtual field made of bits of the integer at `offset` (e.g. IPv4 ihl: low 4 bits of byte 0). */
  bits?: { shift: number; width: number; of: IntTy };
}

export interface StructDef {
  name: string;
  fields: Field[];
  size: number;
  align: number;
  /** Declared in tsbpf/kernel (layout fixed by the kernel) rather than by the program. */
  builtin: boolean;
  pos: number;
}

export type MapKind =
  | 'array' | 'percpu_array' | 'hash' | 'percpu_hash' | 'lru_hash' | 'lpm_trie' | 'ringbuf' | 'prog_array' | 'devmap' | 'cpumap'
  | 'sockhash' | 'sockmap';

export interface MapDef {
  name: string;
  kind: MapKind;
  key?: Ty;
  value?: Ty;
  maxEntries: number;
  flags: number;
  pinning: boolean;
  pos: number;
}

/** Where a view points: decides null checks (packet: bounds check; others: pointer test). */
export type Space = 'packet' | 'map' | 'ringbuf' | 'stack' | 'global' | 'ctx';

export type Ty =
  | IntTy
  | { k: 'lit' } // untyped integer constant: takes the type its context wants
  | { k: 'bool' }
  | { k: 'void' }
  | { k: 'struct'; def: StructDef }
  | { k: 'array'; elem: Ty; len: number }
  /** `Ref<V>`: the view of an integer map value; its one field is `value`. */
  | { k: 'ref'; inner: Ty }
  /** `T | null` from header/lookup/reserve: must be tested before use. */
  | { k: 'nullable'; inner: Ty; space: Space; readonly?: boolean }
  /** A program's context (`ctx`): which one (contexts.ts), and a tracepoint's record struct. */
  | { k: 'ctx'; ctx: CtxName; rec?: StructDef }
  | { k: 'map'; def: MapDef }
  | { k: 'str' }
  | { k: 'null' }
  /** After an error: compatible with everything, so one mistake gives one diagnostic. */
  | { k: 'err' };

function int(name: IntName, bits: 8 | 16 | 32 | 64, signed: boolean, be = false): IntTy {
  return { k: 'int', name, bits, signed, be };
}

export const INT: Record<IntName, IntTy> = {
  u8: int('u8', 8, false), u16: int('u16', 16, false), u32: int('u32', 32, false), u64: int('u64', 64, false),
  i8: int('i8', 8, true), i16: int('i16', 16, true), i32: int('i32', 32, true), i64: int('i64', 64, true),
  be16: int('be16', 16, false, true), be32: int('be32', 32, false, true), be64: int('be64', 64, false, true),
  /** A byte of text (C's char): an unsigned 8-bit integer whose arrays log as strings. */
  char: int('char', 8, false),
};

export const LIT: Ty = { k: 'lit' };
export const BOOL: Ty = { k: 'bool' };
export const VOID: Ty = { k: 'void' };
export const ERR: Ty = { k: 'err' };
export const NULL: Ty = { k: 'null' };
export const STR: Ty = { k: 'str' };

export function isInt(t: Ty): t is IntTy {
  return t.k === 'int';
}
/** Integer-valued (typed or untyped). */
export function isNumeric(t: Ty): boolean {
  return t.k === 'int' || t.k === 'lit' || t.k === 'err';
}

export function intRange(t: IntTy): [bigint, bigint] {
  if (t.signed) return [-(1n << BigInt(t.bits - 1)), (1n << BigInt(t.bits - 1)) - 1n];
  return [0n, (1n << BigInt(t.bits)) - 1n];
}

export function fits(v: bigint, t: IntTy): boolean {
  const [lo, hi] = intRange(t);
  return v >= lo && v <= hi;
}

/** Wraps an exact value to the type's width and signedness (two's complement). */
export function wrap(v: bigint, t: IntTy): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

/** Lossless conversion from `a` to `b` (every value of a is a value of b). */
export function widens(a: IntTy, b: IntTy): boolean {
  if (a.be || b.be) return a.name === b.name;
  if (a.signed === b.signed) return a.bits <= b.bits;
  if (!a.signed && b.signed) return a.bits < b.bits;
  return false;
}

/** The smallest type of a and b both widen to, or undefined (mixed signedness, byte orders). */
export function commonInt(a: IntTy, b: IntTy): IntTy | undefined {
  if (widens(a, b)) return b;
  if (widens(b, a)) return a;
  return undefined;
}

/** Size and alignment of a type stored in memory. */
export function sizeOf(t: Ty): number {
  switch (t.k) {
    case 'int':
      return t.bits / 8;
    case 'bool':
      return 1;
    case 'struct':
      return t.def.size;
    case 'array':
      return t.len * sizeOf(t.elem);
    case 'ref':
      return sizeOf(t.inner);
    default:
      return 0;
  }
}
export function alignOf(t: Ty): number {
  switch (t.k) {
    case 'int':
      return t.bits / 8;
    case 'bool':
      return 1;
    case 'struct':
      return t.def.align;
    case 'array':
      return alignOf(t.elem);
    case 'ref':
      return alignOf(t.inner);
    default:
      return 1;
  }
}

/** Lays out fields in order with natural alignment, as C does (no packing). */
export function layoutStruct(name: string, members: { name: string; ty: Ty; readonly: boolean }[], builtin: boolean, pos: number): StructDef {
  let off = 0;
  let align = 1;
  const fields: Field[] = [];
  for (const m of members) {
    const a = alignOf(m.ty);
    off = Math.ceil(off / a) * a;
    fields.push({ name: m.name, ty: m.ty, offset: off, readonly: m.readonly });
    off += sizeOf(m.ty);
    align = Math.max(align, a);
  }
  return { name, fields, size: Math.ceil(off / align) * align, align, builtin, pos };
}

/** Memory-resident aggregate (accessed through a pointer, never held in a register). */
export function isAggregate(t: Ty): boolean {
  return t.k === 'struct' || t.k === 'array' || t.k === 'ref';
}

export function tyName(t: Ty): string {
  switch (t.k) {
    case 'int':
      return t.name;
    case 'lit':
      return 'integer constant';
    case 'bool':
      return 'bool';
    case 'void':
      return 'void';
    case 'struct':
      return t.def.name;
    case 'array':
      return `FixedArray<${tyName(t.elem)}, ${t.len}>`;
    case 'ref':
      return `Ref<${tyName(t.inner)}>`;
    case 'nullable':
      return `${tyName(t.inner)} | null`;
    case 'ctx':
      return t.rec ? `${t.ctx}<${t.rec.name}>` : t.ctx;
    case 'map':
      return `map ${t.def.name}`;
    case 'str':
      return 'string';
    case 'null':
      return 'null';
    case 'err':
      return '<error>';
  }
}

export function sameTy(a: Ty, b: Ty): boolean {
  if (a.k === 'err' || b.k === 'err') return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'int':
      return a.name === (b as IntTy).name;
    case 'struct':
      return a.def === (b as { def: StructDef }).def;
    case 'array':
      return a.len === (b as typeof a).len && sameTy(a.elem, (b as typeof a).elem);
    case 'ref':
    case 'nullable':
      return sameTy(a.inner, (b as typeof a).inner);
    case 'ctx':
      return a.ctx === (b as typeof a).ctx && a.rec === (b as typeof a).rec;
    default:
      return true;
  }
}
