/**
 * A parsed BTF type table and the queries the loader, compiler and renderers need: resolving
 * typedefs and qualifiers, sizes, lookups by name, struct members with bit offsets.
 * Types are validated loop-free by the reader, and every walk here is also bounded.
 */
import type { StringTable } from '../elf/strings.js';
import { BtfError } from './error.js';
import type { BtfMember, BtfType, BtfVoid } from './types.js';

export interface BtfHeaderInfo { hdrLen: number; typeOff: number; typeLen: number; strOff: number; strLen: number; flags: number }

export interface MemberInfo extends BtfMember {
  /** Byte offset of the member (bitOffset / 8, rounded down for bitfields). */
  byteOffset: number;
  /** Index of the member in its struct/union. */
  index: number;
}

const QUALIFIERS = new Set(['TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'TYPE_TAG']);
const VOID: BtfVoid = { kind: 'VOID', id: 0, name: '' };

export class Btf {
  private byName: Map<string, BtfType[]> | undefined;
  private readonly aligns = new Map<number, number>();

  constructor(
    /** The section bytes as read (not copied). */
    readonly bytes: Uint8Array,
    /** types[i] has id i + 1. */
    readonly types: readonly BtfType[],
    readonly strings: StringTable,
    readonly header: BtfHeaderInfo,
  ) {}

  /** Number of type ids including void (ids run 0..count-1). */
  get count(): number {
    return this.types.length + 1;
  }

  /** The type with this id (0 is void). Throws BtfError for an unknown id. */
  type(id: number): BtfType | BtfVoid {
    if (id === 0) return VOID;
    const t = Number.isInteger(id) && id > 0 ? this.types[id - 1] : undefined;
    if (!t) throw new BtfError(`BTF type id ${id} does not exist (last id is ${this.types.length})`);
    return t;
  }

  /** The string at an offset of the BTF string section (BTF.ext refers to these too). */
  string(offset: number): string {
    return this.strings.get(offset);
  }

  /** Follows typedef/const/volatile/restrict/type_tag to the underlying type id. */
  resolve(id: number): number {
    for (let steps = 0; steps <= this.types.length; steps++) {
      const t = this.type(id);
      if (!QUALIFIERS.has(t.kind)) return id;
      id = (t as { type: number }).type;
    }
    throw new BtfError(`BTF type id ${id}: qualifier chain does not end`);
  }

  /** Size in bytes of a type (through typedefs, qualifiers, arrays and variables). */
  sizeof(id: number): number {
    let mult = 1;
    const start = id;
    for (let steps = 0; steps <= this.types.length; steps++) {
      const t = this.type(id);
      switch (t.kind) {
        case 'INT': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'FLOAT': case 'DATASEC': {
          const size = mult * t.size;
          if (!Number.isSafeInteger(size)) throw new BtfError(`BTF type [${start}] is too large (${mult} x ${t.size} bytes)`);
          return size;
        }
        case 'PTR': return mult * 8;
        case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': case 'VAR':
          id = t.type;
          break;
        case 'ARRAY':
          mult *= t.nelems;
          id = t.type;
          break;
        default:
          throw new BtfError(`BTF type [${id}] ${t.kind}${t.name ? ` '${t.name}'` : ''} has no size`);
      }
    }
    throw new BtfError(`BTF type [${start}]: reference chain does not end`);
  }

  /** Alignment of a type in bytes, as the C compiler would lay it out (max 8). */
  alignof(id: number, depth = 0): number {
    const hit = this.aligns.get(id);
    if (hit !== undefined) return hit;
    if (depth > 64) throw new BtfError(`BTF type [${id}] is nested too deeply`);
    let t = this.type(this.resolve(id));
    for (let steps = 0; t.kind === 'ARRAY' && steps <= this.types.length; steps++) t = this.type(this.resolve(t.type));
    let a: number;
    switch (t.kind) {
      case 'INT': case 'ENUM': case 'ENUM64': case 'FLOAT': a = Math.min(t.size, 8); break;
      case 'PTR': a = 8; break;
      case 'STRUCT': case 'UNION': a = t.members.reduce((x, m) => Math.max(x, m.bitSize ? 1 : this.alignof(m.type, depth + 1)), 1); break;
      default: a = 1;
    }
    this.aligns.set(id, a);
    return a;
  }

  /** All types with this name (optionally of one kind). */
  findAll(name: string, kind?: BtfType['kind']): BtfType[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const t of this.types) {
        if (!t.name) continue;
        const list = this.byName.get(t.name);
        if (list) list.push(t);
        else this.byName.set(t.name, [t]);
      }
    }
    const list = this.byName.get(name) ?? [];
    return kind ? list.filter((t) => t.kind === kind) : list;
  }

  /** The first type with this name (optionally of one kind), or undefined. */
  find(name: string, kind?: BtfType['kind']): BtfType | undefined {
    return this.findAll(name, kind)[0];
  }

  /** Members of a struct or union (through typedefs/qualifiers), with byte offsets. */
  members(id: number): MemberInfo[] {
    const t = this.type(this.resolve(id));
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') throw new BtfError(`BTF type [${id}] is a ${t.kind}, not a struct or union`);
    return t.members.map((m, index) => {
      let bitSize = m.bitSize;
      // Without kind_flag, a bitfield is an INT member whose own encoding carries bits and offset.
      if (!t.bitfields) {
        const mt = this.type(this.resolve(m.type));
        if (mt.kind === 'INT' && (mt.bits !== mt.size * 8 || mt.bitOffset !== 0)) bitSize = mt.bits;
      }
      const bitOffset = !t.bitfields && bitSize ? m.bitOffset + (this.intBitOffset(m.type)) : m.bitOffset;
      return { ...m, bitOffset, bitSize, byteOffset: Math.floor(bitOffset / 8), index };
    });
  }

  /** A member by name (`a.b.c` walks nested structs, adding offsets); undefined when absent. */
  member(id: number, path: string): MemberInfo | undefined {
    let cur = id;
    let base = 0;
    let found: MemberInfo | undefined;
    for (const part of path.split('.')) {
      const m = this.members(cur).find((x) => x.name === part);
      if (!m) return undefined;
      base += m.bitOffset;
      found = { ...m, bitOffset: base, byteOffset: Math.floor(base / 8) };
      cur = m.type;
    }
    return found;
  }

  /** A readable C-like name for a type id: `struct xdp_md *`, `const volatile __u16`, `char[4]`. */
  typeName(id: number): string {
    let quals: string[] = [];
    const ptrs: string[] = []; // outermost first
    let arrays = '';
    for (let steps = 0; steps <= this.types.length; steps++) {
      const t = this.type(id);
      switch (t.kind) {
        case 'CONST': case 'VOLATILE': case 'RESTRICT': quals.push(t.kind.toLowerCase()); id = t.type; continue;
        case 'TYPE_TAG': id = t.type; continue;
        case 'PTR': ptrs.push(`*${quals.join(' ')}`); quals = []; id = t.type; continue;
        case 'ARRAY': arrays += `[${t.nelems}]`; id = t.type; continue;
        default: {
          let base: string;
          if (t.kind === 'VOID') base = 'void';
          else if (t.kind === 'STRUCT' || t.kind === 'UNION') base = `${t.kind.toLowerCase()} ${t.name || '(anon)'}`;
          else if (t.kind === 'ENUM' || t.kind === 'ENUM64') base = `enum ${t.name || '(anon)'}`;
          else if (t.kind === 'FWD') base = `${t.union ? 'union' : 'struct'} ${t.name}`;
          else if (t.kind === 'FUNC_PROTO') base = 'fn';
          else base = t.name || '(anon)';
          if (quals.length) base = `${quals.join(' ')} ${base}`;
          let stars = '';
          for (const p of ptrs.reverse()) stars += /[a-z]$/.test(stars) ? ` ${p}` : p;
          return `${base}${stars ? ` ${stars}` : ''}${arrays}`;
        }
      }
    }
    return '(loop)';
  }

  private intBitOffset(id: number): number {
    const t = this.type(this.resolve(id));
    return t.kind === 'INT' ? t.bitOffset : 0;
  }
}
