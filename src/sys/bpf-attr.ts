/**
 * The bpf(2) call itself: one pinned `union bpf_attr` buffer filled by field name through the
 * generated layouts (src/abi/attr.gen.ts), pinned scratch memory for the buffers attr fields point
 * at, and errno → SysError. JavaScript is single-threaded and every wrapper fills the attr and
 * makes the call without yielding, so one shared attr buffer is safe and saves an allocation per
 * call.
 */
import { BPF_ATTR_SIZE, type StructLayout } from '../abi/attr.gen.js';
import { bpf_cmd } from '../abi/index.js';
import { addressOf, errno, libcFunc, pinnedBytes, syscallNumber } from './libc.js';
import { SysError } from './errors.js';

export type BpfCmd = keyof typeof bpf_cmd;
export type FieldName<L extends StructLayout> = keyof L['fields'] & string;

let shared: { bytes: Uint8Array; view: DataView; addr: bigint } | undefined;
let sysBpf: number | undefined;
let syscallFn: ((...a: unknown[]) => unknown) | undefined;

/** A `union bpf_attr` seen through one member's layout. */
export class Attr<L extends StructLayout> {
  constructor(
    readonly layout: L,
    readonly bytes: Uint8Array,
    readonly view: DataView,
    readonly addr: bigint,
  ) {}

  set(name: FieldName<L>, v: number | bigint): this {
    const f = this.layout.fields[name];
    switch (f.size) {
      case 1: this.view.setUint8(f.offset, Number(v)); break;
      case 2: this.view.setUint16(f.offset, Number(v), true); break;
      case 4: this.view.setUint32(f.offset, Number(v) >>> 0, true); break;
      case 8: this.view.setBigUint64(f.offset, BigInt.asUintN(64, BigInt(v)), true); break;
      default: throw new RangeError(`attr field ${name} has size ${f.size}; use setName/setBytes`);
    }
    return this;
  }

  /** A `char name[N]` field: truncated to N-1 bytes (the kernel wants the NUL). */
  setName(name: FieldName<L>, text: string): this {
    const f = this.layout.fields[name];
    const b = Buffer.from(text, 'utf8').subarray(0, f.size - 1);
    this.bytes.set(b, f.offset);
    return this;
  }

  get(name: FieldName<L>): number {
    const f = this.layout.fields[name];
    switch (f.size) {
      case 1: return this.view.getUint8(f.offset);
      case 2: return this.view.getUint16(f.offset, true);
      case 4: return this.view.getUint32(f.offset, true);
      default: return Number(this.view.getBigUint64(f.offset, true));
    }
  }

  get64(name: FieldName<L>): bigint {
    return this.view.getBigUint64(this.layout.fields[name].offset, true);
  }
}

/** The shared attr buffer, zeroed, viewed through `layout`. Fill it and call `bpf` right away. */
export function attrFor<L extends StructLayout>(layout: L): Attr<L> {
  if (!shared) {
    const bytes = pinnedBytes(BPF_ATTR_SIZE);
    shared = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), addr: addressOf(bytes) };
  }
  shared.bytes.fill(0);
  return new Attr(layout, shared.bytes, shared.view, shared.addr);
}

/** bpf(cmd, attr, size): the raw result (≥ 0) or -errno. */
export function bpfRaw(cmd: BpfCmd, a: Attr<StructLayout>): number {
  sysBpf ??= syscallNumber('bpf');
  syscallFn ??= libcFunc('long syscall(long number, ...)');
  const r = Number(syscallFn(sysBpf, 'long', bpf_cmd[cmd], 'long', a.addr, 'long', a.layout.size));
  return r < 0 ? -errno() : r;
}

/** bpf(cmd, attr) or a SysError naming the command (and `what`, e.g. `map 'drops'`). */
export function bpf(cmd: BpfCmd, a: Attr<StructLayout>, what?: string, hint?: string): number {
  const r = bpfRaw(cmd, a);
  if (r < 0) throw bpfError(cmd, -r, what, undefined, hint);
  return r;
}

export function bpfError(cmd: BpfCmd, err: number, what?: string, detail?: string, hint?: string): SysError {
  return new SysError(`bpf(${cmd})${what ? ` for ${what}` : ''}`, err, detail, hint);
}

/**
 * Growable pinned buffers, one per slot, for the memory attr fields point at (keys, values,
 * instructions, logs). Contents are only valid until the next call that uses the same slot.
 */
class Scratch {
  private bytes = pinnedBytes(0);
  private address = 0n;

  space(n: number): Uint8Array {
    if (this.bytes.byteLength < n) {
      this.bytes = pinnedBytes(Math.max(n, 64, this.bytes.byteLength * 2));
      this.address = addressOf(this.bytes);
    }
    return this.bytes;
  }

  /** Copies `src` in and returns its address. */
  put(src: Uint8Array): bigint {
    this.space(src.byteLength).set(src);
    return this.address;
  }

  addr(n: number): bigint {
    this.space(n);
    return this.address;
  }
}

/** Named scratch slots so that one call's key, value and batch buffers never overlap. */
export const scratch = { key: new Scratch(), value: new Scratch(), next: new Scratch(), aux: new Scratch() };

/** Address of a pinned copy of NUL-terminated `text` (slot `aux`). */
export function cString(text: string, slot = scratch.aux): bigint {
  const b = Buffer.from(`${text}\0`, 'utf8');
  return slot.put(b);
}
