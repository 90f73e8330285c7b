/**
 * Builds a .BTF section: add types (ids are handed out in order, starting at 1), then encode.
 * The compiler uses it for program, map and global-variable types; `BtfBuilder.from` copies a
 * parsed table so the loader can patch types (e.g. DATASEC sizes) and re-encode.
 */
import { Btf } from './btf.js';
import { BtfError } from './error.js';
import {
  BTF_HEADER_SIZE, BTF_MAGIC, INT_BOOL, INT_CHAR, INT_SIGNED, KIND, LINKAGE_GLOBAL, LINKAGE_STATIC,
  type BtfEnum64Value, type BtfEnumValue, type BtfMember, type BtfParam, type BtfTypeBody, type BtfVarSecinfo,
} from './types.js';

export interface IntOptions { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; bitOffset?: number }
export interface MemberInput { name: string; type: number; /** Bit offset; default: laid out after the previous member by the caller. */ bitOffset: number; bitSize?: number }

const enc = new TextEncoder();

export class BtfBuilder {
  /** types[i] has id i + 1; `null` marks an id reserved with `reserve()` and not yet set. */
  private readonly types: (BtfTypeBody | null)[] = [];
  private readonly strParts: Uint8Array[] = [new Uint8Array(1)];
  private readonly strIndex = new Map<string, number>([['', 0]]);
  private strSize = 1;
  private readonly interned = new Map<string, number>();
  private arraySizeType = 0;

  /** A builder holding a copy of every type of `btf` (same ids). */
  static from(btf: Btf): BtfBuilder {
    const b = new BtfBuilder();
    for (const t of btf.types) {
      const { id: _id, offset: _off, ...body } = t;
      b.add(structuredClone(body) as BtfTypeBody);
    }
    return b;
  }

  /** Number of ids handed out so far, including void (the next id is `count`). */
  get count(): number {
    return this.types.length + 1;
  }

  /** Adds a string to the string section (deduplicated) and returns its offset. */
  addString(s: string): number {
    const hit = this.strIndex.get(s);
    if (hit !== undefined) return hit;
    const b = enc.encode(s);
    if (b.includes(0)) throw new BtfError(`BTF string ${JSON.stringify(s)} contains a NUL byte`);
    const off = this.strSize;
    this.strParts.push(b, new Uint8Array(1));
    this.strSize += b.length + 1;
    this.strIndex.set(s, off);
    return off;
  }

  /** Adds a type record and returns its id. */
  add(t: BtfTypeBody): number {
    this.types.push(t);
    return this.types.length;
  }

  /** Adds `t` unless an identical record was added through `intern` before; returns its id. */
  intern(t: BtfTypeBody): number {
    const key = JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const hit = this.interned.get(key);
    if (hit !== undefined) return hit;
    const id = this.add(t);
    this.interned.set(key, id);
    return id;
  }

  /** Reserves an id for a type defined later with `set` (for self-referencing structs). */
  reserve(): number {
    this.types.push(null);
    return this.types.length;
  }

  /** Replaces the record of an id (reserved or not). */
  set(id: number, t: BtfTypeBody): void {
    if (!Number.isInteger(id) || id < 1 || id > this.types.length) throw new BtfError(`BTF builder: type id ${id} does not exist`);
    this.types[id - 1] = t;
  }

  /** The record of an id added so far. */
  get(id: number): BtfTypeBody {
    const t = this.types[id - 1];
    if (!t) throw new BtfError(`BTF builder: type id ${id} is ${t === null ? 'reserved but not set' : 'unknown'}`);
    return t;
  }

  addInt(name: string, size: number, o: IntOptions = {}): number {
    const encoding = (o.signed ? INT_SIGNED : 0) | (o.char ? INT_CHAR : 0) | (o.bool ? INT_BOOL : 0);
    return this.intern({ kind: 'INT', name, size, bits: o.bits ?? size * 8, bitOffset: o.bitOffset ?? 0, encoding });
  }
  addPtr(type: number): number { return this.intern({ kind: 'PTR', name: '', type }); }
  /** An array; the index type defaults to clang's `__ARRAY_SIZE_TYPE__` (a 4-byte int). */
  addArray(type: number, nelems: number, indexType?: number): number {
    if (indexType === undefined) {
      this.arraySizeType ||= this.addInt('__ARRAY_SIZE_TYPE__', 4);
      indexType = this.arraySizeType;
    }
    return this.intern({ kind: 'ARRAY', name: '', type, indexType, nelems });
  }
  addStruct(name: string, size: number, members: MemberInput[]): number {
    return this.add({ kind: 'STRUCT', name, size, members: members.map(toMember), bitfields: members.some((m) => (m.bitSize ?? 0) > 0) });
  }
  addUnion(name: string, size: number, members: MemberInput[]): number {
    return this.add({ kind: 'UNION', name, size, members: members.map(toMember), bitfields: members.some((m) => (m.bitSize ?? 0) > 0) });
  }
  addEnum(name: string, values: BtfEnumValue[], size = 4, signed = false): number {
    return this.add({ kind: 'ENUM', name, size, signed, values });
  }
  addEnum64(name: string, values: BtfEnum64Value[], size = 8, signed = false): number {
    return this.add({ kind: 'ENUM64', name, size, signed, values });
  }
  addFwd(name: string, union = false): number { return this.intern({ kind: 'FWD', name, union }); }
  addTypedef(name: string, type: number): number { return this.intern({ kind: 'TYPEDEF', name, type }); }
  addConst(type: number): number { return this.intern({ kind: 'CONST', name: '', type }); }
  addVolatile(type: number): number { return this.intern({ kind: 'VOLATILE', name: '', type }); }
  addRestrict(type: number): number { return this.intern({ kind: 'RESTRICT', name: '', type }); }
  addTypeTag(name: string, type: number): number { return this.intern({ kind: 'TYPE_TAG', name, type }); }
  addFuncProto(returnType: number, params: BtfParam[]): number {
    return this.add({ kind: 'FUNC_PROTO', name: '', returnType, params: params.map((p) => ({ ...p })) });
  }
  addFunc(name: string, proto: number, linkage = LINKAGE_GLOBAL): number {
    return this.add({ kind: 'FUNC', name, type: proto, linkage });
  }
  addVar(name: string, type: number, linkage = LINKAGE_GLOBAL): number {
    return this.add({ kind: 'VAR', name, type, linkage });
  }
  addDatasec(name: string, size: number, vars: BtfVarSecinfo[]): number {
    return this.add({ kind: 'DATASEC', name, size, vars: vars.map((v) => ({ ...v })) });
  }
  addFloat(name: string, size: number): number { return this.intern({ kind: 'FLOAT', name, size }); }
  addDeclTag(name: string, type: number, componentIdx = -1): number {
    return this.add({ kind: 'DECL_TAG', name, type, componentIdx });
  }

  /** Encodes header, types and strings as a .BTF section. */
  encode(): Uint8Array {
    const records: Uint8Array[] = [];
    let typeLen = 0;
    this.types.forEach((t, i) => {
      if (!t) throw new BtfError(`BTF builder: type id ${i + 1} was reserved but never set`);
      const r = this.encodeType(t);
      records.push(r);
      typeLen += r.length;
    });
    const strLen = this.strSize;
    const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strLen);
    const v = new DataView(out.buffer);
    v.setUint16(0, BTF_MAGIC, true);
    out[2] = 1;
    v.setUint32(4, BTF_HEADER_SIZE, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, strLen, true);
    let p = BTF_HEADER_SIZE;
    for (const r of records) { out.set(r, p); p += r.length; }
    for (const s of this.strParts) { out.set(s, p); p += s.length; }
    return out;
  }

  private encodeType(t: BtfTypeBody): Uint8Array {
    const kind = KIND[t.kind];
    let vlen = 0, kflag = false, sizeOrType = 0;
    const extra: number[] = []; // u32 words after the common record
    const u32 = (n: number): void => { extra.push(n >>> 0); };
    const name = this.addString(t.name);
    switch (t.kind) {
      case 'INT':
        sizeOrType = t.size;
        u32(((t.encoding & 0xf) << 24) | ((t.bitOffset & 0xff) << 16) | (t.bits & 0xff));
        break;
      case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
        sizeOrType = t.type;
        kflag = t.kind === 'TYPE_TAG' && t.attribute === true;
        break;
      case 'ARRAY':
        u32(t.type); u32(t.indexType); u32(t.nelems);
        break;
      case 'STRUCT': case 'UNION':
        sizeOrType = t.size; vlen = t.members.length; kflag = t.bitfields;
        for (const m of t.members) {
          u32(this.addString(m.name)); u32(m.type);
          if (kflag && (m.bitSize > 0xff || m.bitOffset > 0xffffff)) throw new BtfError(`BTF builder: member '${m.name}' of '${t.name}' has a bitfield offset/size out of range`);
          u32(kflag ? (m.bitSize << 24) | m.bitOffset : m.bitOffset);
        }
        break;
      case 'ENUM':
        sizeOrType = t.size; vlen = t.values.length; kflag = t.signed;
        for (const e of t.values) { u32(this.addString(e.name)); u32(e.value); }
        break;
      case 'ENUM64':
        sizeOrType = t.size; vlen = t.values.length; kflag = t.signed;
        for (const e of t.values) {
          const raw = BigInt.asUintN(64, e.value);
          u32(this.addString(e.name)); u32(Number(raw & 0xffffffffn)); u32(Number(raw >> 32n));
        }
        break;
      case 'FWD':
        kflag = t.union;
        break;
      case 'FUNC':
        sizeOrType = t.type; vlen = t.linkage;
        break;
      case 'FUNC_PROTO':
        sizeOrType = t.returnType; vlen = t.params.length;
        for (const p of t.params) { u32(this.addString(p.name)); u32(p.type); }
        break;
      case 'VAR':
        sizeOrType = t.type; u32(t.linkage);
        break;
      case 'DATASEC':
        sizeOrType = t.size; vlen = t.vars.length;
        for (const x of t.vars) { u32(x.type); u32(x.offset); u32(x.size); }
        break;
      case 'FLOAT':
        sizeOrType = t.size;
        break;
      case 'DECL_TAG':
        sizeOrType = t.type; u32(t.componentIdx); kflag = t.attribute === true;
        break;
    }
    if (vlen > 0xffff) throw new BtfError(`BTF builder: ${t.kind} '${t.name}' has ${vlen} entries (max 65535)`);
    const out = new Uint8Array(12 + extra.length * 4);
    const v = new DataView(out.buffer);
    v.setUint32(0, name, true);
    v.setUint32(4, ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, true);
    v.setUint32(8, sizeOrType >>> 0, true);
    extra.forEach((w, i) => v.setUint32(12 + i * 4, w, true));
    return out;
  }
}

function toMember(m: MemberInput): BtfMember {
  return { name: m.name, type: m.type, bitOffset: m.bitOffset, bitSize: m.bitSize ?? 0 };
}

export { LINKAGE_GLOBAL, LINKAGE_STATIC };
