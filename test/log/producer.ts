/**
 * Assembled logging programs for the log tests: what the compiler will emit for `log.info(ctx,
 * "…", args)`, built with src/insn's Assembler, src/log/emit.ts and emitObject, plus the
 * `.tsbpf.log` table (addLogMeta). Each `log(...)` call gets the next site id and its layout.
 */
import { BtfBuilder } from '../../src/btf/index.js';
import { Assembler, encode, type RegName } from '../../src/insn/index.js';
import { emitObject, type EmitData, type EmitFunction, type ProgramReloc } from '../../src/object/index.js';
import { addLogMeta, argKindFor, layoutRecord, parseFormat, LOG_RINGBUF, type LogArg, type LogLevelName, type LogMeta, type LogSite } from '../../src/log/abi.js';
import { emitLevelLoad, emitLogCall, logObjectParts, type LogCallArg, type LogCallCopy } from '../../src/log/emit.js';

export type ArgSpec =
  /** A scalar in a register or a constant; `type` is a tsbpf/kernel type (u8…i64, bool, be16, be32). */
  | { type: string; value: RegName | number | bigint }
  /** `u8[N]` bytes at `from + fromOff` (a packet or stack pointer register). */
  | { type: string; from: RegName; fromOff: number; unaligned?: boolean };

export interface SiteSpec {
  level?: LogLevelName;
  format: string;
  args?: ArgSpec[];
  line?: number;
}

export interface ProgSpec {
  name: string;
  section?: string;
  /** Keep levels[target] in this callee-saved register (loaded at entry) instead of per call. */
  levelReg?: RegName;
  body(a: Assembler, log: (s: SiteSpec) => void): void;
}

export interface Built {
  bytes: Uint8Array;
  meta: LogMeta;
}

/** Builds an object with these programs; every program is its own log target. */
export function buildLogObject(progs: ProgSpec[], o: { ringSize?: number; file?: string; data?: EmitData[] } = {}): Built {
  const btf = new BtfBuilder();
  const file = o.file ?? 'test.bpf.ts';
  const targets = progs.map((p) => p.name);
  const sites: LogSite[] = [];
  const parts = logObjectParts({ targets }, { btf, ringSize: o.ringSize, data: o.data });
  const programs: EmitFunction[] = progs.map((p, target) => {
    const a = new Assembler();
    if (p.levelReg) emitLevelLoad(a, p.levelReg, target);
    p.body(a, (s) => {
      const fmt = parseFormat(s.format);
      const specs = s.args ?? [];
      if (specs.length !== fmt.holes.length) throw new Error(`format has ${fmt.holes.length} holes, ${specs.length} arguments given`);
      const kinds = specs.map((arg, i) => {
        const k = argKindFor(arg.type, fmt.holes[i]!);
        if (typeof k === 'string') throw new Error(k);
        return k;
      });
      const layout = layoutRecord(kinds);
      const args: LogArg[] = kinds.map((k, i) => ({ kind: k.kind, hint: fmt.holes[i]!, offset: layout.offsets[i]!, size: k.size }));
      const scalars: LogCallArg[] = [];
      const copies: LogCallCopy[] = [];
      specs.forEach((arg, i) => {
        const offset = layout.offsets[i]!;
        if ('from' in arg) copies.push({ offset, size: kinds[i]!.size, from: arg.from, fromOff: arg.fromOff, unaligned: arg.unaligned });
        else scalars.push({ offset, size: kinds[i]!.size as 1 | 2 | 4 | 8, value: arg.value, swap: kinds[i]!.swap });
      });
      const id = sites.length;
      const level = s.level ?? 'info';
      sites.push({ id, level, target, file, line: s.line ?? 10 + id, column: 3, size: layout.size, text: fmt.text, args });
      emitLogCall(a, { id, level, target, frame: -layout.stack, size: layout.size, args: scalars, copies, levelReg: p.levelReg });
    });
    const prog = a.finish();
    return { name: p.name, section: p.section ?? 'xdp', bytes: encode(prog.insns), relocations: prog.relocs.map((r) => toReloc(r, parts.data)) };
  });
  const object = emitObject({ license: 'GPL', programs, functions: parts.functions, maps: parts.maps, data: parts.data, btf, fileName: file });
  const meta: LogMeta = { version: 1, ringbuf: LOG_RINGBUF, levels: 'tsbpf_log_levels', lost: 'tsbpf_log_lost', targets, sites };
  return { bytes: addLogMeta(object, meta), meta };
}

function toReloc(r: { slot: number; kind: string; symbol: string; addend: number }, data: EmitData[]): ProgramReloc {
  if (r.kind === 'map') return { kind: 'map', insn: r.slot, map: r.symbol };
  if (r.kind === 'func') return { kind: 'call', insn: r.slot, target: r.symbol };
  const sec = data.find((d) => d.variables.some((v) => v.name === r.symbol));
  if (!sec) throw new Error(`unknown global ${r.symbol}`);
  const v = sec.variables.find((x) => x.name === r.symbol)!;
  return { kind: 'data', insn: r.slot, section: sec.section, offset: v.offset + r.addend, symbol: r.symbol };
}
