/**
 * The compiler's entry: TypeScript source → BPF ELF object.
 *   parse (parser*.ts) → check (check-*.ts) → lower to IR (lower*.ts) → optimise (opt.ts) →
 *   allocate registers (regalloc.ts) → lay out blocks (layout.ts) → emit instructions (emit.ts)
 *   → BTF (btfgen.ts) → ELF (src/object emitObject).
 * Errors come back as diagnostics (never thrown); an internal failure becomes a TSBPF099
 * diagnostic rather than a crash.
 */
import { readFileSync } from 'node:fs';
import { mapTypeByName } from '../abi/index.js';
// narrow imports on purpose: each module costs the ESM loader ~0.5 ms of `tsbpf build`'s start-up
import type { AsmProgram } from '../insn/asm.js';
import { encode } from '../insn/encode.js';
import { emitObject, type EmitData, type EmitFunction, type EmitMap } from '../object/emit.js';
import { addLogMeta } from '../object/log-meta.js';
import { LOG_LEVELS_VAR, LOG_LOST_FUNC, LOG_LOST_VAR, LOG_RINGBUF, type LogMeta } from '../log/abi.js';
import { logObjectParts } from '../log/emit.js';
import type { LineInfoRecord, ProgramReloc } from '../object/model.js';
import { BtfTypes } from './btfgen.js';
import { check } from './check-module.js';
import { CompileError, type Diagnostic, Diagnostics, LineMap } from './diagnostics.js';
import { emitFunc } from './emit.js';
import { cleanup } from './layout.js';
import { type Lowered, lowerModule } from './lower.js';
import { optimize } from './opt.js';
import { parse } from './parser.js';
import { progKind } from './program-kinds.js';
import { AllocError, allocate } from './regalloc.js';
import type { Module } from './typed.js';

export interface CompileOptions {
  /** File name used in diagnostics and line info (default `input.bpf.ts`). */
  file?: string;
}

export interface FunctionStats {
  name: string;
  section: string;
  /** Instructions (an ld_imm64 counts once). */
  insns: number;
  /** 8-byte slots (an ld_imm64 counts twice): what the kernel counts. */
  slots: number;
}

export interface CompileResult {
  /** The ELF object, or undefined when there are errors. */
  object?: Uint8Array;
  diagnostics: Diagnostic[];
  functions: FunctionStats[];
}

const MAP_TYPES: Record<string, string> = {
  array: 'array', percpu_array: 'percpu_array', hash: 'hash', percpu_hash: 'percpu_hash', lru_hash: 'lru_hash',
  lpm_trie: 'lpm_trie', ringbuf: 'ringbuf', prog_array: 'prog_array', devmap: 'devmap', cpumap: 'cpumap',
  sockhash: 'sockhash', sockmap: 'sockmap',
};

/** Compiles TypeScript source text. */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const file = options.file ?? 'input.bpf.ts';
  const lines = new LineMap(source);
  const diags = new Diagnostics(file, lines);
  try {
    const ast = parse(file, source, diags);
    const mod = check(ast, diags);
    if (diags.hasErrors) return { diagnostics: diags.sorted(), functions: [] };
    const lowered = lowerModule(mod, diags);
    if (diags.hasErrors) return { diagnostics: diags.sorted(), functions: [] };
    const progs = new Map<string, AsmProgram>();
    for (const lf of lowered.funcs) {
      optimize(lf.func);
      try {
        allocate(lf.func);
      } catch (e) {
        if (!(e instanceof AllocError)) throw e;
        diags.error(e.kind === 'stack' ? 'STACK' : 'TOO_COMPLEX', lf.func.pos, e.message);
        continue;
      }
      cleanup(lf.func);
      progs.set(lf.func.name, emitFunc(lf.func, file, lines));
    }
    if (diags.hasErrors) return { diagnostics: diags.sorted(), functions: [] };
    return build(mod, lowered, progs, file, diags);
  } catch (e) {
    if (process.env.TSBPF_DEBUG === '1' && e instanceof Error) console.error(e.stack);
    diags.error('INTERNAL', 0, `internal compiler error: ${e instanceof Error ? e.message : String(e)}`);
    return { diagnostics: diags.sorted(), functions: [] };
  }
}

/** Reads and compiles a file. A missing file is a diagnostic too. */
export function compileFile(path: string, options: CompileOptions = {}): CompileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const d = new Diagnostics(options.file ?? path, new LineMap(''));
    d.error('IMPORT', 0, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return { diagnostics: d.sorted(), functions: [] };
  }
  return compile(text, { file: options.file ?? path });
}

/** Like compile, but throws CompileError (all diagnostics attached) instead of returning them. */
export function compileOrThrow(source: string, options: CompileOptions = {}): Uint8Array {
  const r = compile(source, options);
  if (!r.object) throw new CompileError(r.diagnostics);
  return r.object;
}

function build(mod: Module, lowered: Lowered, progs: Map<string, AsmProgram>, file: string, diags: Diagnostics): CompileResult {
  const bt = new BtfTypes();
  const dataVars = new Map<string, { section: string; offset: number }>();
  let data: EmitData[] = lowered.data.map((s) => {
    for (const v of s.vars) dataVars.set(v.name, { section: s.name, offset: v.offset });
    const variables = s.vars.map((v) => ({ name: v.name, offset: v.offset, size: v.size, typeId: v.string ? bt.string(v.size) : v.ty ? bt.variable(v.ty, s.name === '.rodata') : undefined }));
    return s.name === '.bss' ? { section: s.name, size: s.bytes.length, variables } : { section: s.name, data: Uint8Array.from(s.bytes), variables };
  });
  const maps: EmitMap[] = mod.maps.map((m) => {
    const type = mapTypeByName(MAP_TYPES[m.kind]);
    if (type === undefined) throw new Error(`unknown map type ${m.kind}`);
    const em: EmitMap = { name: m.name, type, keySize: m.key ? sizeOfTy(m.key) : 0, valueSize: m.value ? sizeOfTy(m.value) : 0, maxEntries: m.maxEntries };
    if (m.flags) em.flags = m.flags;
    if (m.pinning) em.pinning = 1;
    if (m.key) em.keyTypeId = bt.ty(m.key);
    if (m.value) em.valueTypeId = bt.ty(m.value);
    return em;
  });
  // logging: the ring buffer, the level setting and lost counter, the counting function (src/log)
  const log = lowered.log;
  let logFunctions: EmitFunction[] = [];
  if (log) {
    if (!reservedLogNames(mod, diags)) return { diagnostics: diags.sorted(), functions: [] };
    const parts = logObjectParts({ targets: log.targets }, { btf: bt.b, data, ringSize: mod.logRingSize });
    data = parts.data;
    for (const d of data) for (const v of d.variables) if (v.name === LOG_LEVELS_VAR || v.name === LOG_LOST_VAR) dataVars.set(v.name, { section: d.section, offset: v.offset });
    maps.push(...parts.maps);
    // with line info in the object, the kernel wants it for every function: point the counter
    // at the first log call (what `objdump -S` and verifier logs then show for it)
    const first = log.sites[0];
    const at: LineInfoRecord = { insn: 0, fileName: file, line: diags.lines.lineText(first.line), lineNum: first.line, column: first.column };
    logFunctions = parts.functions.map((f) => ({ ...f, lineInfo: [at] }));
  }
  const stats: FunctionStats[] = [];
  const toFn = (name: string, section: string | undefined, funcTypeId: number): EmitFunction | undefined => {
    const p = progs.get(name);
    if (!p) return undefined;
    const relocations: ProgramReloc[] = p.relocs.map((r) => {
      if (r.kind === 'map') return { kind: 'map', insn: r.slot, map: r.symbol };
      if (r.kind === 'func') return { kind: 'call', insn: r.slot, target: r.symbol };
      const v = dataVars.get(r.symbol);
      if (!v) throw new Error(`unknown global ${r.symbol}`);
      return { kind: 'data', insn: r.slot, section: v.section, offset: v.offset + r.addend, symbol: r.symbol };
    });
    const lineInfo: LineInfoRecord[] = p.lines.map((l) => ({ insn: l.slot, fileName: file, line: l.loc.text ?? '', lineNum: l.loc.line, column: l.loc.column }));
    stats.push({ name, section: section ?? '.text', insns: p.insns.length, slots: p.slots });
    return { name, section, bytes: encode(p.insns), relocations, lineInfo, funcTypeId };
  };
  const programs: EmitFunction[] = [];
  for (const p of mod.programs) {
    const fn = toFn(p.name, p.section, bt.programFunc(p.name, p.ctx.name, progKind(p.kind).ctx));
    if (fn) programs.push(fn);
  }
  const functions: EmitFunction[] = [];
  for (const lf of lowered.funcs) {
    if (!lf.sub) continue;
    const fn = toFn(lf.sub.name, undefined, bt.subFunc(lf.sub));
    if (fn) functions.push(fn);
  }
  for (const f of logFunctions) {
    const slots = f.bytes.length / 8;
    let insns = 0;
    for (let i = 0; i < slots; i += f.bytes[i * 8] === 0x18 ? 2 : 1) insns++; // ld_imm64 takes two slots
    stats.push({ name: f.name, section: '.text', insns, slots });
    functions.push(f);
  }
  let object = emitObject({ license: mod.license, programs, functions, maps, data, btf: bt.b, fileName: file.split('/').pop() });
  if (log) {
    const meta: LogMeta = { version: 1, ringbuf: LOG_RINGBUF, levels: LOG_LEVELS_VAR, lost: LOG_LOST_VAR, targets: log.targets, sites: log.sites };
    object = addLogMeta(object, meta);
  }
  return { object, diagnostics: diags.sorted(), functions: stats };
}

/** The log ABI's names must be free for it; false (with diagnostics) when the program took one. */
function reservedLogNames(mod: Module, diags: Diagnostics): boolean {
  const reserved = new Set([LOG_RINGBUF, LOG_LEVELS_VAR, LOG_LOST_VAR, LOG_LOST_FUNC]);
  const taken = [...mod.maps, ...mod.globals, ...mod.functions, ...mod.programs].filter((x) => reserved.has(x.name));
  for (const x of taken) diags.error('LOG', x.pos, `'${x.name}' is a name logging reserves (the log ring buffer, level setting and lost counter)`, 'rename it');
  return taken.length === 0;
}

function sizeOfTy(t: import('./types.js').Ty): number {
  if (t.k === 'int') return t.bits / 8;
  if (t.k === 'bool') return 1;
  if (t.k === 'struct') return t.def.size;
  if (t.k === 'array') return t.len * sizeOfTy(t.elem);
  return 0;
}
