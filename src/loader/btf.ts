/**
 * The object's BTF in the kernel (so maps carry key/value types and the verifier log carries
 * source lines), sanitized when the kernel refuses it, and lookups in the kernel's own BTF
 * (/sys/kernel/btf/vmlinux) for programs that attach to kernel functions.
 */
import { readFileSync } from 'node:fs';
import { BtfBuilder, parseBtf, type Btf, type BtfTypeBody } from '../btf/index.js';
import type { BpfObject, LineInfoRecord } from '../object/index.js';
import { BtfLoadError, E, btfLoad, type Fd } from '../sys/bpf.js';
import { LoadError } from './errors.js';

export interface KernelBtf {
  fd: Fd;
  /** True when the object's BTF had to be rewritten for this kernel. */
  sanitized: boolean;
  /** [file_name_off, line_off] of a line_info record in the BTF as loaded. */
  lineStrings(l: LineInfoRecord): [number, number];
}

export interface BtfOutcome {
  btf?: KernelBtf;
  /** Why the object runs without BTF, when it does. */
  warning?: string;
}

/**
 * Loads the object's BTF: as is, then sanitized (newer kinds rewritten as older ones), then — unless
 * `required` — not at all (the programs still load, without source lines in the verifier log).
 */
export function loadObjectBtf(obj: BpfObject, o: { required?: boolean; logLevel?: number } = {}): BtfOutcome {
  if (!obj.btfForLoad || !obj.btf) return {};
  const lines = [...obj.programs, ...obj.functions].flatMap((f) => f.lineInfo);
  const haveOffsets = lines.every((l) => l.fileNameOff !== undefined && l.lineOff !== undefined);
  let firstError: BtfLoadError | undefined;
  if (haveOffsets) {
    try {
      const fd = btfLoad(obj.btfForLoad, { logLevel: o.logLevel });
      return { btf: { fd, sanitized: false, lineStrings: (l) => [l.fileNameOff!, l.lineOff!] } };
    } catch (e) {
      if (!(e instanceof BtfLoadError) || e.errno === E.EPERM || e.errno === E.EACCES) throw e;
      firstError = e;
    }
  }
  for (const level of haveOffsets ? [1, 2] : [0, 1, 2]) {
    const b = sanitizedBuilder(obj.btf, level);
    for (const l of lines) { b.addString(l.fileName); b.addString(l.line); }
    try {
      const fd = btfLoad(b.encode());
      return { btf: { fd, sanitized: level > 0, lineStrings: (l) => [b.addString(l.fileName), b.addString(l.line)] } };
    } catch (e) {
      if (!(e instanceof BtfLoadError) || e.errno === E.EPERM || e.errno === E.EACCES) throw e;
      firstError ??= e;
    }
  }
  const why = firstError ? firstError.message : 'the kernel refused it';
  if (o.required) throw firstError ?? new LoadError(`the kernel refused the object's BTF`);
  return { warning: `loading without BTF (${why}); verifier messages will have no source lines` };
}

/**
 * A copy of `btf` rewritten for older kernels. Level 1 replaces kinds added after 5.10 (FLOAT,
 * DECL_TAG, TYPE_TAG, ENUM64) and makes FUNC linkage static; level 2 also replaces DATASEC and VAR
 * (before 5.2). Type ids stay the same, so map and func_info type ids remain valid.
 */
export function sanitizedBuilder(btf: Btf, level: number): BtfBuilder {
  const b = BtfBuilder.from(btf);
  if (level === 0) return b;
  for (let id = 1; id < b.count; id++) {
    const t = b.get(id);
    const rep = replacement(t, level);
    if (rep) b.set(id, rep);
  }
  return b;
}

function replacement(t: BtfTypeBody, level: number): BtfTypeBody | undefined {
  switch (t.kind) {
    case 'FLOAT':
      // A struct of the same size without members keeps sizes and alignment-free layout intact.
      return { kind: 'STRUCT', name: t.name, size: t.size, members: [], bitfields: false };
    case 'DECL_TAG':
      return { kind: 'INT', name: t.name.replace(/[^A-Za-z0-9_]/g, '_') || 'decl_tag', size: 1, bits: 8, bitOffset: 0, encoding: 0 };
    case 'TYPE_TAG':
      return { kind: 'CONST', name: '', type: t.type };
    case 'ENUM64':
      return { kind: 'UNION', name: t.name, size: t.size, members: [], bitfields: false };
    case 'FUNC':
      return t.linkage !== 0 ? { ...t, linkage: 0 } : undefined;
    case 'DATASEC':
      if (level < 2) return undefined;
      return { kind: 'STRUCT', name: t.name.replace(/[^A-Za-z0-9_]/g, '_'), size: t.size, members: t.vars.map((v, i) => ({ name: `var${i}`, type: v.type, bitOffset: v.offset * 8, bitSize: 0 })), bitfields: false };
    case 'VAR':
      if (level < 2) return undefined;
      return { kind: 'TYPEDEF', name: t.name.replace(/[^A-Za-z0-9_]/g, '_'), type: t.type };
    default:
      return undefined;
  }
}

let vmlinux: Btf | undefined;

/** The kernel's BTF type id of `name` (of one kind), for attach targets (fentry, lsm, tp_btf, iter). */
export function vmlinuxTypeId(name: string, kind: 'FUNC' | 'TYPEDEF'): number {
  if (!vmlinux) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync('/sys/kernel/btf/vmlinux');
    } catch {
      throw new LoadError('this kernel has no /sys/kernel/btf/vmlinux, needed to attach to kernel functions', 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y');
    }
    vmlinux = parseBtf(bytes, { section: '/sys/kernel/btf/vmlinux' });
  }
  const t = vmlinux.find(name, kind);
  if (!t) throw new LoadError(`the kernel has no ${kind === 'FUNC' ? 'function' : 'type'} '${name}' in its BTF`);
  return t.id;
}
