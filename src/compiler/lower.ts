/**
 * Lowering driver: every program, and every @noinline function a program reaches, becomes an IR
 * function; globals, settings and printk formats are laid out in .rodata/.data/.bss.
 */
import type { LogSite } from '../log/abi.js';
import type { Diagnostics } from './diagnostics.js';
import { R1, type Func, ARG_REGS } from './ir.js';
import { FnBuilder } from './lower-fn.js';
import { ctxDesc } from './contexts.js';
import { progKind } from './program-kinds.js';
import { type ModuleCtx, setModuleCtx } from './lower-call.js';
import { lowerStmts } from './lower-stmt.js';
import type { FuncInfo, GlobalDef, Module, ProgramInfo } from './typed.js';
import { type Ty, alignOf, isAggregate, sizeOf } from './types.js';

export interface DataVar {
  name: string;
  offset: number;
  size: number;
  /** The variable's type (strings: char arrays). */
  ty?: Ty;
  global?: GlobalDef;
  string?: boolean;
}

export interface DataSection {
  name: '.rodata' | '.data' | '.bss';
  bytes: number[];
  vars: DataVar[];
}

export interface LoweredFunc {
  func: Func;
  program?: ProgramInfo;
  sub?: FuncInfo;
}

export interface Lowered {
  funcs: LoweredFunc[];
  data: DataSection[];
  /** The log call sites and their targets (function names), when the module logs. */
  log?: { targets: string[]; sites: LogSite[] };
}

export function lowerModule(mod: Module, diags: Diagnostics): Lowered {
  const sections = new Map<string, DataSection>();
  const section = (name: DataSection['name']): DataSection => {
    let s = sections.get(name);
    if (!s) sections.set(name, (s = { name, bytes: [], vars: [] }));
    return s;
  };
  /** Pads the section to `align`; returns where the next variable starts. */
  const place = (s: DataSection, align: number): number => {
    while (s.bytes.length % align) s.bytes.push(0);
    return s.bytes.length;
  };
  for (const g of mod.globals) {
    const s = section(g.section);
    const off = place(s, alignOf(g.ty));
    s.bytes.push(...g.init);
    s.vars.push({ name: g.name, offset: off, size: sizeOf(g.ty), ty: g.ty, global: g });
  }
  const strings = new Map<string, DataVar>();
  const used = new Set<string>();
  const queue: FuncInfo[] = [];
  const targets: string[] = [];
  const sites: LogSite[] = [];
  const siteIds = new Map<string, number>();
  const file = mod.file.split('/').pop() ?? mod.file;
  const logSite: ModuleCtx['logSite'] = ({ target, pos, info }) => {
    let t = targets.indexOf(target);
    if (t < 0) t = targets.push(target) - 1;
    // one id per call site and target: unrolled loops and repeated inlining share it
    const key = `${t}:${pos}`;
    let id = siteIds.get(key);
    if (id === undefined) {
      id = sites.length;
      siteIds.set(key, id);
      const { line, col } = diags.lines.lineCol(pos);
      sites.push({
        id, level: info.level, target: t, file, line, column: col, size: info.size, text: info.text,
        args: info.args.map((a) => ({ kind: a.kind, hint: a.hint, offset: a.offset, size: a.size })),
      });
    }
    return { id, target: t };
  };
  setModuleCtx({
    string(text, owner) {
      let v = strings.get(text);
      if (!v) {
        const s = section('.rodata');
        const bytes = [...new TextEncoder().encode(text), 0];
        const off = place(s, 1);
        s.bytes.push(...bytes);
        let name = `${owner}.____fmt`;
        for (let k = 1; s.vars.some((x) => x.name === name); k++) name = `${owner}.____fmt.${k}`;
        v = { name, offset: off, size: bytes.length, string: true };
        s.vars.push(v);
        strings.set(text, v);
      }
      return { section: '.rodata', symbol: v.name, offset: v.offset };
    },
    useFunction(name) {
      if (used.has(name)) return;
      used.add(name);
      const f = mod.functions.find((x) => x.name === name);
      if (f) queue.push(f);
    },
    logSite,
  });
  const funcs: LoweredFunc[] = [];
  try {
    for (const p of mod.programs) funcs.push({ func: lowerProgram(p, diags), program: p });
    while (queue.length) {
      const f = queue.shift()!;
      funcs.push({ func: lowerSub(f, diags), sub: f });
    }
  } finally {
    setModuleCtx(undefined);
  }
  const data = (['.rodata', '.data', '.bss'] as const).map((n) => sections.get(n)).filter((s): s is DataSection => !!s);
  return { funcs, data, log: sites.length ? { targets, sites } : undefined };
}

function lowerProgram(p: ProgramInfo, diags: Diagnostics): Func {
  const fb = new FnBuilder(p.name, diags, p.pos);
  fb.pos = p.pos;
  const ctx = fb.reg(true);
  fb.mov(ctx, { r: R1 });
  fb.ctx = ctx;
  fb.packet = ctxDesc(progKind(p.kind).ctx).packet;
  fb.voidReturnsZero = p.ret.k === 'void';
  fb.bindings.set(p.ctx, { k: 'ctx', r: ctx });
  fb.markEntry();
  lowerStmts(fb, p.body);
  // a program that returns nothing (tracing) returns 0
  if (fb.open && p.ret.k === 'void') fb.br(fb.retBlock(0, 32));
  return fb.finish(1);
}

function lowerSub(f: FuncInfo, diags: Diagnostics): Func {
  const fb = new FnBuilder(f.name, diags, f.pos);
  fb.pos = f.pos;
  f.params.forEach((p, i) => {
    const r = fb.reg(p.ty.k === 'ctx' || isAggregate(p.ty));
    fb.mov(r, { r: ARG_REGS[i] });
    if (p.ty.k === 'ctx') {
      fb.ctx = r;
      fb.packet = ctxDesc(p.ty.ctx).packet;
      fb.bindings.set(p, { k: 'ctx', r });
    } else if (isAggregate(p.ty)) fb.bindings.set(p, { k: 'view', view: { base: r, off: 0, space: 'unknown' } });
    else fb.bindings.set(p, { k: 'val', r });
  });
  fb.markEntry();
  lowerStmts(fb, f.body);
  const func = fb.finish(f.params.length);
  func.sub = true;
  return func;
}
