/**
 * Statements and function bodies: declarations, if/else with null narrowing, bounded for loops
 * (the bound must be a constant), switch, return (every path of a value function must return),
 * break/continue. Unsupported statements (while, try/throw, classes, nested functions, …) get
 * diagnostics.
 */
import type { Block, Expr, Func, Stmt } from './ast.js';
import { type Checker, err } from './check-context.js';
import { checkExpr } from './check-expr.js';
import { factsOf, intersect, maxOf, readonlyReason, spaceOf, toCond, union } from './check-ops.js';
import { afterBody, checkExit, checkLeave, declareReservation, join, withNull } from './check-resv.js';
import type { FuncInfo, LocalSym, TExpr, TStmt } from './typed.js';
import { type Ty, VOID, commonInt, isAggregate, tyName } from './types.js';

/** Statement results: the checked statement and whether control can reach its end. */
interface Out {
  stmts: TStmt[];
  reach: boolean;
}

/** Return values seen while inferring a function's result type. */
let inferred: { e: TExpr; stmt: TStmt & { k: 'return' } }[] | undefined;

export function checkBody(cx: Checker, body: Stmt[]): Out {
  cx.pushScope();
  try {
    return checkList(cx, body);
  } finally {
    cx.popScope();
  }
}

function checkList(cx: Checker, body: Stmt[]): Out {
  const stmts: TStmt[] = [];
  let reach = true;
  for (const s of body) {
    const o = checkStmt(cx, s);
    if (reach) stmts.push(...o.stmts); // code after return/break is dropped (it cannot run)
    if (!o.reach) reach = false;
  }
  return { stmts, reach };
}

function block(cx: Checker, s: Stmt): Out {
  return s.k === 'Block' ? checkBody(cx, s.body) : checkBody(cx, [s]);
}

function checkStmt(cx: Checker, s: Stmt): Out {
  const pos = s.pos;
  const one = (t: TStmt, reach = true): Out => ({ stmts: [t], reach });
  const none: Out = { stmts: [], reach: true };
  switch (s.k) {
    case 'Block': {
      const o = checkBody(cx, s.body);
      return { stmts: [{ k: 'block', body: o.stmts, pos }], reach: o.reach };
    }
    case 'Empty':
      return none;
    case 'Var':
      return { stmts: declare(cx, s), reach: true };
    case 'Expr': {
      const e = checkExpr(cx, s.expr);
      if (e.k === 'assign' || e.k === 'update') e.used = false;
      if (e.k === 'reserve') cx.error('UNSUPPORTED', e.pos, 'a reserved record must be kept (const r = …) and then submitted or discarded', 'the verifier rejects programs that leak a reservation');
      return one({ k: 'expr', e, pos });
    }
    case 'Return':
      return one(ret(cx, s.value, pos), false);
    case 'If': {
      const test = toCond(cx, checkExpr(cx, s.test));
      const f = factsOf(test);
      const before = cx.nonNull;
      const rsBefore = cx.rs;
      const n0 = cx.resv.length;
      cx.nonNull = union(before, f.t);
      cx.rs = withNull(rsBefore, f.tn);
      const a = block(cx, s.then);
      const afterA = cx.nonNull;
      const rsA = cx.rs;
      const n1 = cx.resv.length;
      cx.nonNull = union(before, f.f);
      cx.rs = withNull(rsBefore, f.fn);
      const b = s.else ? block(cx, s.else) : { stmts: [], reach: true };
      const afterB = cx.nonNull;
      cx.nonNull = a.reach && b.reach ? intersect(afterA, afterB) : a.reach ? afterA : b.reach ? afterB : before;
      const syms = cx.resv.map((r) => r.sym);
      cx.rs = join(rsA, a.reach, syms.slice(n0, n1), cx.rs, b.reach, syms.slice(n1)) ?? rsBefore;
      if (test.k === 'const') return { stmts: [{ k: 'block', body: test.value ? a.stmts : b.stmts, pos }], reach: test.value ? a.reach : b.reach };
      return one({ k: 'if', test, then: a.stmts, else: b.stmts, pos }, a.reach || b.reach);
    }
    case 'For':
      return forLoop(cx, s);
    case 'Switch':
      return switchStmt(cx, s);
    case 'Break':
    case 'Continue': {
      if (s.label) cx.error('UNSUPPORTED', pos, 'labelled break/continue is not supported');
      const ok = s.k === 'Break' ? cx.loopDepth + cx.switchDepth > 0 : cx.loopDepth > 0;
      if (!ok) cx.error('BREAK', pos, `'${s.k === 'Break' ? 'break' : 'continue'}' outside a loop${s.k === 'Break' ? ' or switch' : ''}`);
      else checkLeave(cx, pos);
      return one({ k: s.k === 'Break' ? 'break' : 'continue', pos }, false);
    }
    case 'While':
      cx.error('UNBOUNDED_LOOP', pos, `${s.doWhile ? 'do…while' : 'while'} loops have no bound the compiler can see`);
      return none;
    case 'ForInOf':
      cx.error('UNSUPPORTED', pos, `for…${s.of ? 'of' : 'in'} works on collections, which kernel programs do not have`, 'use for (let i = 0; i < N; i++)');
      return none;
    case 'Throw':
      cx.error('EXCEPTION', pos, "'throw' is not supported: BPF has no exceptions");
      return { stmts: [], reach: false };
    case 'Try':
      cx.error('EXCEPTION', pos, "'try' is not supported: BPF has no exceptions");
      return none;
    case 'Labeled':
      cx.error('UNSUPPORTED', pos, 'labels are not supported');
      return block(cx, s.body);
    case 'Func':
      cx.error('CLOSURE', pos, 'nested functions are not supported', 'move the function to module level');
      return none;
    case 'Interface':
    case 'TypeAlias':
    case 'Enum':
      cx.error('UNSUPPORTED', pos, 'types and enums are declared at module level');
      return none;
    case 'Import':
    case 'ExportNames':
      cx.error('UNSUPPORTED', pos, 'imports and exports belong at module level');
      return none;
    case 'Unsupported':
      cx.error(s.what.startsWith('class') ? 'OBJECT' : 'UNSUPPORTED', pos, `${s.what} is not supported in kernel programs`);
      return none;
  }
}

function declare(cx: Checker, s: Stmt & { k: 'Var' }): TStmt[] {
  const out: TStmt[] = [];
  if (s.kind === 'var') cx.error('UNSUPPORTED', s.pos, "'var' is not supported", 'use let or const');
  for (const d of s.decls) {
    if (d.pattern) {
      cx.error('UNSUPPORTED', d.pos, 'destructuring is not supported', 'read the fields one by one');
      continue;
    }
    let ty: Ty | undefined = d.type ? cx.resolveType(d.type) : undefined;
    let init: TExpr | undefined;
    if (d.init) {
      const e = checkExpr(cx, d.init, ty);
      if (ty && ty.k === 'nullable') {
        if (e.k !== 'err' && (e.ty.k !== 'nullable' || !sameView(e.ty.inner, ty.inner))) cx.error('TYPE_MISMATCH', d.init.pos, `expected ${tyName(ty)} but found ${tyName(e.ty)}`);
        ty = e.ty.k === 'nullable' ? e.ty : ty;
        init = e;
      } else if (ty) {
        init = isAggregate(ty) || ty.k === 'ctx' ? (e.k === 'err' || sameView(e.ty, ty) ? e : mismatch(cx, e, ty)) : cx.coerce(e, ty, `initial value of '${d.name}'`);
      } else if (s.kind === 'const' && e.k === 'const' && (e.ty.k === 'lit' || e.ty.k === 'bool')) {
        cx.declareLocalConst(d.name, e.value, e.ty, d.namePos);
        continue;
      } else {
        init = cx.materialize(e);
        ty = init.ty;
      }
    } else if (!ty) {
      cx.error('ANY', d.pos, `'${d.name}' needs a type or an initial value`);
      ty = { k: 'err' };
    } else if (s.kind === 'const') {
      cx.error('SYNTAX', d.pos, `const '${d.name}' needs an initial value`);
    }
    if (ty.k === 'void' || ty.k === 'str' || ty.k === 'null') {
      cx.error('TYPE_MISMATCH', d.pos, `'${d.name}' cannot hold ${tyName(ty)}`);
      ty = { k: 'err' };
    }
    const mutable = s.kind !== 'const';
    if (mutable && (ty.k === 'nullable' || isAggregate(ty) || ty.k === 'ctx')) {
      if (ty.k === 'nullable' || !d.init || d.init.k !== 'Object') {
        cx.error('UNSUPPORTED', d.pos, `'${d.name}' holds a view: declare it with const`, 'views cannot be reassigned; their fields can be changed');
      }
    }
    if (ty.k === 'struct' && !init) {
      init = { k: 'structlit', def: ty.def, inits: [], ty, pos: d.pos };
    }
    const sym = cx.declareLocal(d.name, ty, mutable && !(ty.k === 'struct'), d.namePos);
    if (init?.k === 'reserve') declareReservation(cx, sym);
    if (init && isAggregate(ty)) sym.space = spaceOf(init);
    if (init && (isAggregate(ty) || ty.k === 'nullable')) sym.readonly = readonlyReason(init);
    if (init && !mutable && ty.k === 'int') {
      sym.max = maxOf(cx, init);
      cx.facts.set(sym, { max: sym.max });
    }
    if (ty.k === 'nullable' && ty.space === 'packet') cx.facts.set(sym, { epoch: cx.packetEpoch });
    if (init && init.k === 'local' && cx.facts.get(init.sym)?.epoch !== undefined) cx.facts.set(sym, { epoch: cx.facts.get(init.sym)!.epoch });
    if (init?.k === 'local' && init.sym.ty.k === 'nullable' && cx.nonNull.has(init.sym)) cx.nonNull = union(cx.nonNull, new Set([sym]));
    out.push({ k: 'let', sym, init, pos: d.pos });
  }
  return out;
}

function sameView(a: Ty, b: Ty): boolean {
  if (a.k === 'err' || b.k === 'err') return true;
  if (a.k !== b.k) return false;
  if (a.k === 'struct' && b.k === 'struct') return a.def === b.def;
  return tyName(a) === tyName(b);
}

function mismatch(cx: Checker, e: TExpr, ty: Ty): TExpr {
  cx.error('TYPE_MISMATCH', e.pos, `expected ${tyName(ty)} but found ${tyName(e.ty)}`);
  return err(e.pos);
}

function ret(cx: Checker, value: Expr | undefined, pos: number): TStmt {
  const r = retValue(cx, value, pos);
  checkExit(cx, pos);
  return r;
}

function retValue(cx: Checker, value: Expr | undefined, pos: number): TStmt {
  const want = cx.fnRet;
  if (!value) {
    if (want && want.k !== 'void' && want.k !== 'err') cx.error('RETURN', pos, `a ${tyName(want)} value must be returned here`);
    return { k: 'return', pos };
  }
  let e = checkExpr(cx, value, want);
  if (cx.retNegativeOk && e.k === 'const' && e.ty.k === 'lit' && e.value < 0n && e.value >= -(1n << 31n)) {
    e = { ...e, value: BigInt.asUintN(32, e.value) }; // TC_ACT_UNSPEC (-1): the same 32 bits as a u32
  }
  if (cx.retBoolOk && want?.k === 'int' && e.ty.k === 'bool') e = e.k === 'const' ? { ...e, ty: want } : { k: 'cast', a: e, ty: want, pos: e.pos };
  if (want === undefined) {
    const stmt: TStmt & { k: 'return' } = { k: 'return', value: e, pos };
    inferred?.push({ e, stmt });
    return stmt;
  }
  if (want.k === 'void') {
    cx.error('RETURN', value.pos, 'this function returns nothing (void)');
    return { k: 'return', pos };
  }
  if (isAggregate(e.ty) || e.ty.k === 'nullable') {
    cx.error('RETURN', value.pos, 'functions return integers or bool, not views', 'pass the view to the function instead and let it change the fields');
    return { k: 'return', pos };
  }
  return { k: 'return', value: cx.coerce(e, want, 'return value'), pos };
}

function forLoop(cx: Checker, s: Stmt & { k: 'For' }): Out {
  const pos = s.pos;
  cx.pushScope();
  try {
    const init = s.init ? checkStmt(cx, s.init).stmts : [];
    const ivar = init.length === 1 && init[0].k === 'let' ? init[0] : undefined;
    const test = s.test ? toCond(cx, checkExpr(cx, s.test)) : undefined;
    const update = s.update ? checkExpr(cx, s.update) : undefined;
    if (update && (update.k === 'assign' || update.k === 'update')) update.used = false;
    const bound = ivar && test ? loopBound(ivar.sym, ivar.init, test, update, s.body) : undefined;
    if (!bound) {
      cx.error('UNBOUNDED_LOOP', pos, 'the loop needs a constant bound: for (let i = START; i < CONSTANT; i++)');
    } else if (bound.max !== undefined && ivar) {
      cx.facts.set(ivar.sym, { max: bound.max });
    }
    const before = cx.nonNull;
    const rsBefore = cx.rs;
    const n0 = cx.resv.length;
    cx.loopDepth++;
    const body = block(cx, s.body);
    if (body.reach) checkLeave(cx, s.body.end);
    cx.loopDepth--;
    cx.nonNull = before;
    cx.rs = afterBody(cx, rsBefore, n0);
    if (ivar) cx.facts.delete(ivar.sym);
    return { stmts: [{ k: 'for', init, test, update, body: body.stmts, trip: bound?.trip, pos }], reach: true };
  } finally {
    cx.popScope();
  }
}

/**
 * Recognises `for (let i = A; i < B; i += C)` (also <=, >, >=, !=, ++, --, -=; the test may
 * be one side of &&) with constant A, B, C and no assignment to i in the body. Returns the trip
 * count when exact, and the largest value i takes in the body.
 */
function loopBound(i: LocalSym, init: TExpr | undefined, test: TExpr, update: TExpr | undefined, body: Stmt): { trip?: number; max?: bigint } | undefined {
  if (!init || init.k !== 'const' || !update || assigns(body, i.name)) return undefined;
  let step: bigint | undefined;
  if (update.k === 'update' && update.place.k === 'local' && update.place.sym === i) step = update.op === '+' ? 1n : -1n;
  if (update.k === 'assign' && update.place.k === 'local' && update.place.sym === i && update.value.k === 'const' && (update.op === '+' || update.op === '-')) {
    step = update.op === '+' ? update.value.value : -update.value.value;
  }
  if (!step) return undefined;
  const conj: TExpr[] = [];
  const flat = (e: TExpr): void => {
    if (e.k === 'logical' && e.op === '&&') {
      flat(e.a);
      flat(e.b);
    } else conj.push(e);
  };
  flat(test);
  for (const c of conj) {
    if (c.k !== 'cmp') continue;
    let op = c.op;
    let other: TExpr;
    if (isVar(c.a, i)) other = c.b;
    else if (isVar(c.b, i)) {
      other = c.a;
      op = ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' } as const)[op];
    } else continue;
    if (other.k !== 'const') continue;
    const a = init.value;
    const b = other.value;
    let trip: bigint | undefined;
    if (step > 0n && (op === '<' || op === '<=' || op === '!=')) {
      const lim = op === '<=' ? b + 1n : b;
      if (op === '!=' && (b - a) % step !== 0n) continue;
      trip = lim > a ? (lim - a + step - 1n) / step : 0n;
    } else if (step < 0n && (op === '>' || op === '>=' || op === '!=')) {
      const lim = op === '>=' ? b - 1n : b;
      if (op === '!=' && (a - b) % -step !== 0n) continue;
      trip = a > lim ? (a - lim + -step - 1n) / -step : 0n;
    }
    if (trip === undefined) continue;
    const last = a + (trip > 0n ? (trip - 1n) * step : 0n);
    const max = a > last ? a : last;
    const exact = conj.length === 1;
    return { trip: exact && trip <= 1000000n ? Number(trip) : undefined, max: (a < 0n || last < 0n) ? undefined : max };
  }
  return undefined;
}

function isVar(e: TExpr, i: LocalSym): boolean {
  return (e.k === 'local' && e.sym === i) || (e.k === 'cast' && isVar(e.a, i));
}

/** Does the statement assign the variable `name` (any assignment or ++/-- naming it)? */
function assigns(s: Stmt | Expr | Block, name: string): boolean {
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    const o = n as { k?: string; target?: Expr; expr?: Expr };
    if ((o.k === 'Assign' && o.target?.k === 'Ident' && o.target.name === name) || (o.k === 'Update' && o.expr?.k === 'Ident' && o.expr.name === name)) {
      found = true;
      return;
    }
    for (const v of Object.values(o)) if (v && typeof v === 'object') visit(v);
  };
  visit(s);
  return found;
}

function switchStmt(cx: Checker, s: Stmt & { k: 'Switch' }): Out {
  let disc = checkExpr(cx, s.disc);
  if (disc.ty.k === 'lit') disc = cx.materialize(disc);
  if (disc.k !== 'err' && (disc.ty.k !== 'int' || disc.ty.be)) {
    cx.error('BAD_OPERAND', s.disc.pos, `switch needs an integer, not ${tyName(disc.ty)}`);
    disc = err(s.disc.pos);
  }
  const seen = new Set<bigint>();
  const before = cx.nonNull;
  const rsBefore = cx.rs;
  const n0 = cx.resv.length;
  const cases: (TStmt & { k: 'switch' })['cases'] = [];
  let reachEnd = false;
  let hasDefault = false;
  let lastReach = true;
  cx.switchDepth++;
  for (const c of s.cases) {
    const values: bigint[] = [];
    if (c.test) {
      const v = checkExpr(cx, c.test, disc.ty);
      const cv = disc.k === 'err' ? v : cx.coerce(v, disc.ty, 'case value');
      if (cv.k === 'const') {
        if (seen.has(cv.value)) cx.error('DUPLICATE', c.test.pos, `case ${cv.value} appears twice`);
        seen.add(cv.value);
        values.push(cv.value);
      } else if (cv.k !== 'err') cx.error('NOT_CONSTANT', c.test.pos, 'case values must be constants');
    } else hasDefault = true;
    cx.nonNull = before;
    cx.rs = rsBefore;
    const body = checkBody(cx, c.body);
    if (body.stmts.some((x) => x.k === 'break') || containsBreak(body.stmts)) reachEnd = true;
    lastReach = body.reach;
    cases.push({ values, isDefault: !c.test, body: body.stmts, pos: c.pos });
  }
  cx.switchDepth--;
  cx.nonNull = before;
  cx.rs = afterBody(cx, rsBefore, n0);
  if (lastReach || !hasDefault) reachEnd = true;
  return { stmts: [{ k: 'switch', disc, cases, pos: s.pos }], reach: reachEnd };
}

/** A break that leaves the switch (not one inside a nested loop or switch). */
function containsBreak(stmts: TStmt[]): boolean {
  for (const s of stmts) {
    if (s.k === 'break') return true;
    if (s.k === 'if' && (containsBreak(s.then) || containsBreak(s.else))) return true;
    if (s.k === 'block' && containsBreak(s.body)) return true;
  }
  return false;
}

/** Checks a function body (a program's or a local function's) against its result type. */
export function checkFunctionBody(cx: Checker, _params: LocalSym[], body: Block | Expr, retTy: Ty | undefined, pos: number, what: string): { body: TStmt[]; ret: Ty } {
  cx.fnRet = retTy;
  const saveInferred = inferred;
  inferred = retTy === undefined ? [] : undefined;
  try {
    let out: Out;
    if (body.k === 'Block') out = checkBody(cx, body.body);
    else out = { stmts: [ret(cx, body, body.pos)], reach: false };
    let result = retTy;
    if (result === undefined) result = inferReturn(cx, inferred!, pos);
    if (out.reach) checkExit(cx, body.k === 'Block' ? body.end - 1 : pos);
    if (out.reach && result.k !== 'void' && result.k !== 'err') {
      cx.error('RETURN', body.k === 'Block' ? body.end - 1 : pos, `${what} must return a ${tyName(result)} on every path`);
    }
    return { body: out.stmts, ret: result };
  } finally {
    inferred = saveInferred;
  }
}

function inferReturn(cx: Checker, rets: { e: TExpr; stmt: TStmt & { k: 'return' } }[], pos: number): Ty {
  if (rets.length === 0) return VOID;
  let t: Ty | undefined;
  for (const r of rets) {
    if (r.e.ty.k === 'err') return r.e.ty;
    if (r.e.ty.k === 'lit') continue;
    if (!t) t = r.e.ty;
    else if (t.k === 'int' && r.e.ty.k === 'int') {
      const c = commonInt(t, r.e.ty);
      if (!c) {
        cx.error('RETURN', r.e.pos, `returns both ${tyName(t)} and ${tyName(r.e.ty)}`, 'declare the return type: function f(…): u32 { … }');
        return { k: 'err' };
      }
      t = c;
    } else if (t.k !== r.e.ty.k) {
      cx.error('RETURN', r.e.pos, `returns both ${tyName(t)} and ${tyName(r.e.ty)}`, 'declare the return type');
      return { k: 'err' };
    }
  }
  if (!t) t = cx.materialize(rets[0].e).ty;
  if (isAggregate(t) || t.k === 'nullable') {
    cx.error('RETURN', pos, 'functions return integers or bool, not views');
    return { k: 'err' };
  }
  for (const r of rets) r.stmt.value = cx.coerce(r.e, t, 'return value');
  return t;
}

/** The checker part for local functions (called through Checker.ensureChecked). */
export function checkFunction(cx: Checker, info: FuncInfo, decl: Func): void {
  if (!decl.body) return;
  cx.pushScope();
  try {
    const params = info.params.map((p) => cx.declareLocal(p.name, p.ty, true, p.pos));
    // parameters are assignable copies for integers; views stay views
    params.forEach((p, i) => {
      p.mutable = !(isAggregate(p.ty) || p.ty.k === 'ctx');
      info.params[i] = p;
    });
    const r = checkFunctionBody(cx, params, decl.body, decl.ret ? info.ret : undefined, decl.pos, `function '${info.name}'`);
    info.body = r.body;
    info.ret = r.ret;
  } finally {
    cx.popScope();
  }
}

