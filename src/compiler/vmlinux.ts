/**
 * The one build-time look at the running kernel: how many arguments a kernel function has
 * (`fexit` programs find the return value after them, `ctx.ret()`), from the kernel's own BTF at
 * /sys/kernel/btf/vmlinux. A bounded scan of the raw type records (the full parser of src/btf
 * takes ~0.6 s on a 5 MB vmlinux BTF; this takes a few ms), done once per process.
 */
import { readFileSync } from 'node:fs';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** Bytes after the 12-byte common header, by kind (vlen-sized kinds per member). */
function extra(kind: number, vlen: number): number | undefined {
  switch (kind) {
    case 1: return 4; // INT
    case 3: return 12; // ARRAY
    case 4: case 5: return vlen * 12; // STRUCT, UNION
    case 6: return vlen * 8; // ENUM
    case 13: return vlen * 8; // FUNC_PROTO
    case 14: return 4; // VAR
    case 15: return vlen * 12; // DATASEC
    case 17: return 4; // DECL_TAG
    case 19: return vlen * 12; // ENUM64
    case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18: return 0;
    default: return undefined;
  }
}

let cache: Map<string, number> | string | undefined;

/** Every FUNC of the kernel BTF → its parameter count; or why it cannot be read. */
function functions(path: string): Map<string, number> | string {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    return `cannot read the kernel's BTF (${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (b.length < 24 || b.readUInt16LE(0) !== 0xeb9f) return `${path} is not BTF`;
  const hdr = b.readUInt32LE(4);
  const typeOff = hdr + b.readUInt32LE(8), typeLen = b.readUInt32LE(12);
  const strOff = hdr + b.readUInt32LE(16), strLen = b.readUInt32LE(20);
  if (typeOff + typeLen > b.length || strOff + strLen > b.length) return `${path}: truncated BTF`;
  const offsets: number[] = [0]; // by type id
  const funcs: [number, number][] = []; // name offset, proto id
  for (let p = typeOff; p < typeOff + typeLen;) {
    if (p + 12 > typeOff + typeLen) return `${path}: truncated type record`;
    const info = b.readUInt32LE(p + 4);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    const more = extra(kind, vlen);
    if (more === undefined) return `${path}: unknown BTF kind ${kind}`;
    offsets.push(p);
    if (kind === 12) funcs.push([b.readUInt32LE(p), b.readUInt32LE(p + 8)]);
    p += 12 + more;
  }
  const name = (off: number): string => {
    const end = b.indexOf(0, strOff + off);
    return b.toString('latin1', strOff + off, end < 0 ? strOff + strLen : end);
  };
  const out = new Map<string, number>();
  for (const [n, proto] of funcs) {
    const p = offsets[proto];
    if (p === undefined || ((b.readUInt32LE(p + 4) >>> 24) & 0x1f) !== 13) continue;
    out.set(name(n), b.readUInt32LE(p + 4) & 0xffff);
  }
  return out;
}

/** The number of parameters of kernel function `name`, or a message saying why it is unknown. */
export function kernelFunctionArgs(name: string, path = VMLINUX_BTF): number | string {
  if (path !== VMLINUX_BTF) {
    const m = functions(path);
    return typeof m === 'string' ? m : m.get(name) ?? `the kernel's BTF has no function '${name}'`;
  }
  cache ??= functions(path);
  if (typeof cache === 'string') return cache;
  return cache.get(name) ?? `the kernel's BTF has no function '${name}'`;
}
