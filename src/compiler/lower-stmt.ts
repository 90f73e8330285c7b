/**
 * Statements → IR: bindings for locals, if/else, loops (fully unrolled when the trip count is a
 * small constant, else a real loop the verifier bounds), switch (a compare chain), return,
 * break/continue, and inlining of the program's functions.
 */
import { R0 } from './ir.js';
import type { Binding, FnBuilder, Val } from './lower-fn.js';
import { width } from './lower-fn.js';
import { clean, cond, ctxReg, facts, inReg, opnd, value } from './lower-expr.js';
import { bindingView, bufBinding, hdrBinding, splitOffset, viewOf } from './lower-mem.js';
import { lowerAtomic, nullablePtr } from './lower-call.js';
import type { FuncInfo, LocalSym, TExpr, TStmt } from './typed.js';
import { rawMax } from './check-ops.js';
import { isAggregate, type Ty } from './types.js';

/** Unroll a loop when trip count × body size stays under this (and trip ≤ UNROLL_MAX_TRIP). */
export const UNROLL_BUDGET = 300;
export const UNROLL_MAX_TRIP = 64;

export function lowerStmts(fb: FnBuilder, stmts: TStmt[]): void {
  for (const s of stmts) {
    if (!fb.open) return;
    lowerStmt(fb, s);
  }
}

function lowerStmt(fb: FnBuilder, s: TStmt): void {
  fb.pos = s.pos;
  switch (s.k) {
    case 'let':
      bind(fb, s.sym, s.init);
      return;
    case 'expr':
      lowerEffect(fb, s.e);
      return;
    case 'block':
      lowerStmts(fb, s.body);
      return;
    case 'if': {
      const tb = fb.newBlock();
      const join = fb.newBlock();
      const eb = s.else.length ? fb.newBlock() : join;
      cond(fb, s.test, tb, eb);
      fb.setCur(tb);
      lowerStmts(fb, s.then);
      fb.br(join);
      if (eb !== join) {
        fb.setCur(eb);
        lowerStmts(fb, s.else);
        fb.br(join);
      }
      fb.setCur(join);
      return;
    }
    case 'for':
      lowerFor(fb, s);
      return;
    case 'switch':
      lowerSwitch(fb, s);
      return;
    case 'return': {
      const v = s.value ? clean(fb, value(fb, s.value)) : undefined;
      fb.pos = s.pos;
      if (fb.inline) {
        if (v && fb.inline.result !== undefined) fb.mov(fb.inline.result, opnd(fb, v, 64), v.imm !== undefined ? width(v.ty) : 64);
        fb.br(fb.inline.cont);
        return;
      }
      if (!v && fb.voidReturnsZero) {
        fb.br(fb.retBlock(0, 32));
        return;
      }
      if (v && v.imm !== undefined) {
        const o = opnd(fb, v, width(v.ty));
        if (o.imm !== undefined) {
          fb.br(fb.retBlock(o.imm, width(v.ty)));
          return;
        }
      }
      if (v) fb.mov(R0, opnd(fb, v, width(v.ty)), v.imm !== undefined ? width(v.ty) : 64);
      fb.terminate({ op: 'exit', pos: s.pos });
      return;
    }
    case 'break':
    case 'continue': {
      const l = fb.loops[fb.loops.length - 1];
      const target = s.k === 'break' ? l?.brk : [...fb.loops].reverse().find((x) => x.cont)?.cont;
      if (!target) throw new Error(`${s.k} outside a loop`);
      fb.br(target);
      return;
    }
  }
}

export function lowerEffect(fb: FnBuilder, e: TExpr): void {
  if (e.k === 'atomic') lowerAtomic(fb, e, false);
  else if (e.k === 'header' || e.k === 'lookup' || e.k === 'structlit' || e.k === 'ctxview') return; // no effect (reserve is refused by the checker)
  else if (e.k === 'bufcall') viewOf(fb, e); // the helper runs; its buffer is not used
  else if (e.k !== 'const' && e.k !== 'local') value(fb, e);
}

function bind(fb: FnBuilder, sym: LocalSym, init: TExpr | undefined): void {
  const ty = sym.ty;
  let b: Binding;
  if (ty.k === 'nullable') {
    if (!init) throw new Error('nullable without init');
    if (init.k === 'header') b = hdrBinding(fb, init);
    else if (init.k === 'bufcall') b = bufBinding(fb, init);
    else if (init.k === 'lookup' || init.k === 'reserve') b = { k: 'ptr', r: nullablePtr(fb, init), space: ty.space };
    else if (init.k === 'local' && fb.bindings.get(init.sym)) b = fb.bindings.get(init.sym)!;
    else throw new Error(`cannot bind ${init.k} as a view`);
  } else if (ty.k === 'ctx') {
    b = { k: 'ctx', r: init ? ctxReg(fb, init) : fb.ctx! };
  } else if (isAggregate(ty)) {
    if (!init) throw new Error('struct without init');
    if (init.k === 'local') {
      const ob = fb.bindings.get(init.sym);
      b = ob ? { k: 'view', view: bindingView(fb, ob) } : { k: 'view', view: viewOf(fb, init) };
    } else b = { k: 'view', view: viewOf(fb, init) };
  } else if (!sym.mutable && init?.k === 'const') {
    b = { k: 'const', value: init.value };
  } else {
    const r = fb.reg();
    if (init) {
      const v = clean(fb, value(fb, init));
      if (!sym.mutable && v.imm !== undefined) b = { k: 'const', value: v.imm };
      else {
        fb.mov(r, opnd(fb, v, width(ty)), v.imm !== undefined ? width(ty) : 64);
        b = { k: 'val', r };
      }
    } else {
      fb.mov(r, { imm: 0 }, width(ty));
      b = { k: 'val', r };
    }
  }
  fb.bindings.set(sym, b);
}

/** Rough size of checked code (number of expression and statement nodes): the unrolling budget. */
function size(x: unknown): number {
  let n = 0;
  const skip = new Set(['ty', 'sym', 'g', 'map', 'def', 'field', 'fn', 'opTy']);
  const visit = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o)) {
      for (const y of o) visit(y);
      return;
    }
    const r = o as Record<string, unknown>;
    if (typeof r.k === 'string') n++;
    for (const [k, v] of Object.entries(r)) if (!skip.has(k)) visit(v);
  };
  visit(x);
  return n;
}

function lowerFor(fb: FnBuilder, s: TStmt & { k: 'for' }): void {
  lowerStmts(fb, s.init);
  const exit = fb.newBlock();
  const ivar = s.init.length === 1 && s.init[0].k === 'let' ? s.init[0] : undefined;
  const step = stepOf(s.update, ivar?.sym);
  const start = ivar?.init?.k === 'const' ? ivar.init.value : undefined;
  if (s.trip !== undefined && ivar && step !== undefined && start !== undefined && s.trip <= UNROLL_MAX_TRIP && s.trip * Math.max(1, size(s.body)) <= UNROLL_BUDGET) {
    for (let k = 0; k < s.trip; k++) {
      fb.bindings.set(ivar.sym, { k: 'const', value: start + BigInt(k) * step });
      const next = fb.newBlock();
      fb.loops.push({ brk: exit, cont: next });
      lowerStmts(fb, s.body);
      fb.loops.pop();
      fb.br(next);
      fb.setCur(next);
    }
    fb.br(exit);
    fb.setCur(exit);
    return;
  }
  const head = fb.newBlock();
  const body = fb.newBlock();
  const latch = fb.newBlock();
  fb.br(head);
  fb.setCur(head);
  if (s.test) cond(fb, s.test, body, exit);
  else fb.br(body);
  fb.setCur(body);
  fb.loops.push({ brk: exit, cont: latch });
  lowerStmts(fb, s.body);
  fb.loops.pop();
  fb.br(latch);
  fb.setCur(latch);
  if (s.update) lowerEffect(fb, s.update);
  fb.br(head);
  fb.setCur(exit);
}

function stepOf(update: TExpr | undefined, i: LocalSym | undefined): bigint | undefined {
  if (!update || !i) return undefined;
  if (update.k === 'update' && update.place.k === 'local' && update.place.sym === i) return update.op === '+' ? 1n : -1n;
  if (update.k === 'assign' && update.place.k === 'local' && update.place.sym === i && update.value.k === 'const') {
    if (update.op === '+') return update.value.value;
    if (update.op === '-') return -update.value.value;
  }
  return undefined;
}

function lowerSwitch(fb: FnBuilder, s: TStmt & { k: 'switch' }): void {
  const d = clean(fb, value(fb, s.disc));
  const w = width(d.ty);
  const exit = fb.newBlock();
  const bodies = s.cases.map(() => fb.newBlock());
  const dv = d.imm !== undefined ? undefined : inReg(fb, d);
  let dflt = exit;
  s.cases.forEach((c, i) => {
    if (c.isDefault) dflt = bodies[i];
    for (const v of c.values) {
      if (dv === undefined) {
        if (d.imm === v) {
          fb.br(bodies[i]);
          return;
        }
        continue;
      }
      const next = fb.newBlock();
      fb.terminate({ op: 'jcc', cc: 'eq', w, a: dv, b: opnd(fb, { imm: v, ty: d.ty, dirty: false }, w), t: bodies[i], f: next, pos: c.pos });
      fb.setCur(next);
    }
  });
  fb.br(dflt);
  const outerCont = [...fb.loops].reverse().find((x) => x.cont)?.cont;
  s.cases.forEach((c, i) => {
    fb.setCur(bodies[i]);
    fb.loops.push({ brk: exit, cont: outerCont });
    lowerStmts(fb, c.body);
    fb.loops.pop();
    fb.br(bodies[i + 1] ?? exit);
  });
  fb.setCur(exit);
}

/** Inlines a call of one of the program's functions. */
export function lowerInline(fb: FnBuilder, e: TExpr & { k: 'call' }): Val {
  const fn = e.fn;
  const bound: Binding[] = e.args.map((a, i) => {
    const p = fn.params[i];
    if (p.ty.k === 'ctx') return { k: 'ctx', r: ctxReg(fb, a) };
    if (isAggregate(p.ty)) {
      if (a.k === 'local' && fb.bindings.get(a.sym)) return { k: 'view', view: bindingView(fb, fb.bindings.get(a.sym)!) };
      return { k: 'view', view: viewOf(fb, a) };
    }
    const usage = paramUsage(fn);
    if (!usage.assigned.has(p) && usage.reads.get(p) === 1) {
      const { c, rest } = splitOffset(fb, a);
      if (rest && c !== 0n && sameIntTy(rest.ty, p.ty)) {
        const sym: LocalSym = { name: `${p.name}.rest`, ty: rest.ty, mutable: false, pos: p.pos, id: -1 };
        fb.paramMax.set(sym, rawMax(facts(fb), rest));
        const rv = clean(fb, value(fb, rest));
        const r = fb.reg();
        fb.mov(r, opnd(fb, rv, width(rest.ty)), rv.imm !== undefined ? width(rest.ty) : 64);
        fb.bindings.set(sym, { k: 'val', r });
        fb.paramMax.set(p, rawMax(facts(fb), a));
        return { k: 'sum', rest: sym, c };
      }
    }
    const v = clean(fb, value(fb, a));
    if (!usage.assigned.has(p)) {
      // never assigned: constants stay constants, other values keep their known bound
      if (v.imm !== undefined) return { k: 'const', value: v.imm };
      fb.paramMax.set(p, rawMax(facts(fb), a));
    } else fb.paramMax.delete(p);
    const r = fb.reg();
    fb.mov(r, opnd(fb, v, width(p.ty)), v.imm !== undefined ? width(p.ty) : 64);
    return { k: 'val', r };
  });
  fn.params.forEach((p, i) => fb.bindings.set(p, bound[i]));
  const saved = { inline: fb.inline, loops: fb.loops };
  const result = fn.ret.k !== 'void' ? fb.reg() : undefined;
  const cont = fb.newBlock();
  fb.inline = { result, cont };
  fb.loops = [];
  lowerStmts(fb, fn.body);
  fb.br(cont);
  fb.inline = saved.inline;
  fb.loops = saved.loops;
  fb.setCur(cont);
  fb.pos = e.pos;
  return result !== undefined ? { r: result, ty: fn.ret, dirty: false } : { imm: 0n, ty: fn.ret, dirty: false };
}


const usageCache = new WeakMap<FuncInfo, ParamUsage>();

interface ParamUsage {
  /** Parameters the function assigns somewhere in its body. */
  assigned: Set<LocalSym>;
  /** How often the body reads each parameter (syntactically). */
  reads: Map<LocalSym, number>;
}

function paramUsage(fn: FuncInfo): ParamUsage {
  let u = usageCache.get(fn);
  if (u) return u;
  const params = new Set(fn.params);
  const found: ParamUsage = { assigned: new Set(), reads: new Map() };
  const visit = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o)) {
      for (const x of o) visit(x);
      return;
    }
    const r = o as { k?: string; place?: TExpr; sym?: LocalSym };
    if ((r.k === 'assign' || r.k === 'update') && r.place?.k === 'local' && params.has(r.place.sym)) found.assigned.add(r.place.sym);
    if (r.k === 'local' && r.sym && params.has(r.sym)) found.reads.set(r.sym, (found.reads.get(r.sym) ?? 0) + 1);
    for (const [k, v] of Object.entries(r)) if (k !== 'ty' && k !== 'sym' && k !== 'fn' && k !== 'def' && k !== 'g' && k !== 'map' && k !== 'field') visit(v);
  };
  visit(fn.body);
  usageCache.set(fn, found);
  return found;
}

function sameIntTy(a: Ty, b: Ty): boolean {
  return a.k === 'int' && b.k === 'int' && a.bits === b.bits && a.signed === b.signed;
}
