/**
 * BTF that emitObject adds to the compiler's types: BTF-defined map definitions (the layout
 * bpf_helpers.h's `__uint`/`__type`/`__array` macros produce), VAR/DATASEC for `.maps`, global
 * data and the license, and FUNC records for functions the compiler did not describe.
 */
import type { BtfBuilder } from '../btf/builder.js';
import { LINKAGE_GLOBAL, LINKAGE_STATIC } from '../btf/types.js';
import { ObjectError } from './error.js';

export interface EmitMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** 1 = LIBBPF_PIN_BY_NAME. */
  pinning?: number;
  numaNode?: number;
  /** BTF ids of the key and value types (in the builder passed to emitObject); sizes are used otherwise. */
  keyTypeId?: number;
  valueTypeId?: number;
  /** Inner map template for map-in-map types. */
  inner?: EmitMap;
}

/** Every map definition member is a pointer: 8 bytes. */
export const MAP_FIELD_SIZE = 8;

export class EmitTypes {
  private intId = 0;
  private u8Id = 0;
  private voidPtr = 0;
  private charId = 0;

  constructor(readonly b: BtfBuilder) {}

  int(): number {
    return (this.intId ||= this.b.addInt('int', 4, { signed: true }));
  }

  /** `int (*name)[value]`: how `__uint(name, value)` encodes a number. */
  private uintField(name: string, value: number, bitOffset: number): { name: string; type: number; bitOffset: number } {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new ObjectError(`map field '${name}' value ${value} is not a 32-bit unsigned number`);
    return { name, type: this.b.addPtr(this.b.addArray(this.int(), value)), bitOffset };
  }

  /** `u8[size]`, for data without a declared type. */
  bytes(size: number): number {
    this.u8Id ||= this.b.addInt('unsigned char', 1);
    return this.b.addArray(this.u8Id, size);
  }

  /** The anonymous struct of a map definition; returns its id and size in bytes. */
  mapDef(m: EmitMap, depth = 0): { id: number; size: number } {
    const members: { name: string; type: number; bitOffset: number }[] = [];
    const at = (): number => members.length * MAP_FIELD_SIZE * 8;
    members.push(this.uintField('type', m.type, at()));
    if (m.keyTypeId !== undefined) members.push({ name: 'key', type: this.b.addPtr(m.keyTypeId), bitOffset: at() });
    else if (m.keySize) members.push(this.uintField('key_size', m.keySize, at()));
    if (m.valueTypeId !== undefined) members.push({ name: 'value', type: this.b.addPtr(m.valueTypeId), bitOffset: at() });
    else if (m.valueSize && !m.inner) members.push(this.uintField('value_size', m.valueSize, at()));
    members.push(this.uintField('max_entries', m.maxEntries, at()));
    if (m.flags) members.push(this.uintField('map_flags', m.flags, at()));
    if (m.numaNode !== undefined) members.push(this.uintField('numa_node', m.numaNode, at()));
    if (m.pinning) members.push(this.uintField('pinning', m.pinning, at()));
    if (m.inner) {
      if (depth > 0) throw new ObjectError(`map '${m.name}': nested map-in-map definitions are not supported`);
      const inner = this.mapDef(m.inner, depth + 1);
      members.push({ name: 'values', type: this.b.addArray(this.b.addPtr(inner.id), 0), bitOffset: at() });
    }
    const size = members.length * MAP_FIELD_SIZE;
    return { id: this.b.addStruct('', size, members), size };
  }

  /** `char[n]` (for LICENSE). */
  chars(n: number): number {
    this.charId ||= this.b.addInt('char', 1, { signed: true });
    return this.b.addArray(this.charId, n);
  }

  /** A FUNC for a function the compiler gave no type: `int name(void *ctx)` for programs, `int name(void)` otherwise. */
  defaultFunc(name: string, program: boolean, global: boolean): number {
    let proto: number;
    if (program) {
      this.voidPtr ||= this.b.addPtr(0);
      proto = this.b.addFuncProto(this.int(), [{ name: 'ctx', type: this.voidPtr }]);
    } else {
      proto = this.b.addFuncProto(this.int(), []);
    }
    return this.b.addFunc(name, proto, global ? LINKAGE_GLOBAL : LINKAGE_STATIC);
  }
}
