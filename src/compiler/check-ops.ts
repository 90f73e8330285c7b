/**
 * Operators: integer typing of arithmetic and comparisons (lossless widening only, untyped
 * constants adopt the other operand's type, exact constant folding), conditions, null-narrowing
 * facts, places for assignment, and upper bounds of values (for packet offsets and indexes).
 */
import { type Checker, err } from './check-context.js';
import type { ArithOp, CmpOp, LocalSym, TExpr } from './typed.js';
import { BOOL, INT, type IntTy, type Space, type Ty, commonInt, intRange, tyName, wrap } from './types.js';

const SHIFTS = new Set(['<<', '>>', '>>>']);

/** Exact (untyped) constant arithmetic; undefined for division by zero. */
export function foldExact(op: ArithOp, a: bigint, b: bigint): bigint | undefined {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0n ? undefined : a / b;
    case '%': return b === 0n ? undefined : a % b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return a << b;
    case '>>': return a >> b;
    case '>>>': return a >> b;
  }
}

/** Typed constant arithmetic with BPF semantics (wrap to the type; x/0 = 0, x%0 = x). */
export function foldTyped(op: ArithOp, a: bigint, b: bigint, t: IntTy): bigint {
  const ua = BigInt.asUintN(t.bits, a);
  const ub = BigInt.asUintN(t.bits, b);
  const width = t.bits <= 32 ? 32n : 64n;
  switch (op) {
    case '/': return wrap(ub === 0n ? 0n : ua / ub, t);
    case '%': return wrap(ub === 0n ? ua : ua % ub, t);
    case '<<': return wrap(a << (b & (width - 1n)), t);
    case '>>': return wrap((t.signed ? a : ua) >> (b & (width - 1n)), t);
    case '>>>': return wrap(ua >> (b & (width - 1n)), t);
    default: return wrap(foldExact(op, a, b)!, t);
  }
}

function isLit(e: TExpr): e is TExpr & { k: 'const' } {
  return e.k === 'const' && e.ty.k === 'lit';
}

/** Brings two numeric operands to one integer type; undefined after reporting an error. */
export function unify(cx: Checker, a: TExpr, b: TExpr, pos: number, opText: string): [TExpr, TExpr, IntTy] | undefined {
  if (a.ty.k === 'lit' && b.ty.k === 'int') a = cx.coerce(a, b.ty, `operand of ${opText}`);
  else if (b.ty.k === 'lit' && a.ty.k === 'int') b = cx.coerce(b, a.ty, `operand of ${opText}`);
  if (a.k === 'err' || b.k === 'err') return undefined;
  if (a.ty.k === 'lit' && b.ty.k === 'lit') {
    a = cx.materialize(a);
    b = cx.coerce(b, a.ty, `operand of ${opText}`);
    if (b.k === 'err') return undefined;
  }
  const ta = a.ty as IntTy;
  const tb = b.ty as IntTy;
  const t = commonInt(ta, tb);
  if (!t) {
    if (ta.be || tb.be) cx.error('BAD_OPERAND', pos, `cannot combine ${ta.name} and ${tb.name} with ${opText}`, 'convert byte order first with ntohs/ntohl (or htons/htonl on the other side)');
    else cx.error('MIXED_SIGN', pos, `cannot combine ${ta.name} and ${tb.name} with ${opText}: neither converts to the other without loss`);
    return undefined;
  }
  return [cx.coerce(a, t), cx.coerce(b, t), t];
}

function numericCheck(cx: Checker, e: TExpr, opText: string): boolean {
  if (e.ty.k === 'int' || e.ty.k === 'lit') return true;
  if (e.ty.k !== 'err') {
    cx.error('BAD_OPERAND', e.pos, `${opText} needs integers, not ${tyName(e.ty)}`, e.ty.k === 'bool' ? 'convert with (b ? 1 : 0)' : undefined);
  }
  return false;
}

export function arith(cx: Checker, op: ArithOp, a: TExpr, b: TExpr, pos: number, want?: Ty): TExpr {
  if (!numericCheck(cx, a, `'${op}'`) || !numericCheck(cx, b, `'${op}'`)) return err(pos);
  if (SHIFTS.has(op)) {
    if (isLit(a) && isLit(b)) {
      if (b.value < 0n || b.value > 1024n || (op === '>>>' && a.value < 0n)) {
        cx.error('CONST_RANGE', b.pos, `invalid constant shift ${a.value} ${op} ${b.value}`);
        return err(pos);
      }
      return { k: 'const', value: foldExact(op, a.value, b.value)!, ty: a.ty, pos };
    }
    if (a.ty.k === 'lit') a = want?.k === 'int' && !want.be ? cx.coerce(a, want) : cx.materialize(a);
    if (a.k === 'err') return err(pos);
    const t = a.ty as IntTy;
    if (t.be) {
      cx.error('BAD_OPERAND', pos, `cannot shift a ${t.name} (network byte order)`, 'convert with ntohs/ntohl first');
      return err(pos);
    }
    if (b.k === 'const' && (b.value < 0n || b.value >= BigInt(t.bits))) {
      cx.error('CONST_RANGE', b.pos, `shift by ${b.value} is outside 0…${t.bits - 1} for ${t.name}`);
      return err(pos);
    }
    if (b.ty.k === 'lit') b = { ...b, ty: INT.u32 };
    if ((b.ty as IntTy).be) {
      cx.error('BAD_OPERAND', b.pos, 'a shift amount cannot be in network byte order');
      return err(pos);
    }
    if (a.k === 'const' && b.k === 'const') return { k: 'const', value: foldTyped(op, a.value, b.value, t), ty: t, pos };
    return { k: 'binary', op, a, b, ty: t, pos };
  }
  if (isLit(a) && isLit(b)) {
    const v = foldExact(op, a.value, b.value);
    if (v === undefined) {
      cx.error('CONST_RANGE', b.pos, 'division by zero in a constant expression');
      return err(pos);
    }
    return { k: 'const', value: v, ty: a.ty, pos };
  }
  const u = unify(cx, a, b, pos, `'${op}'`);
  if (!u) return err(pos);
  const [x, y, t] = u;
  if (t.be && !(op === '&' || op === '|' || op === '^')) {
    cx.error('BAD_OPERAND', pos, `cannot use '${op}' on ${t.name} (network byte order)`, `convert first: ${t.bits === 16 ? 'ntohs' : t.bits === 32 ? 'ntohl' : 'ntohll'}(x) ${op} …`);
    return err(pos);
  }
  // typed constants fold with BPF's semantics (x / 0 = 0, x % 0 = x), as the program would compute them
  if (x.k === 'const' && y.k === 'const') return { k: 'const', value: foldTyped(op, x.value, y.value, t), ty: t, pos };
  if ((op === '/' || op === '%') && t.signed) {
    cx.error('SIGNED_DIV', pos, `'${op}' on ${t.name}: BPF divides unsigned numbers only`);
    return err(pos);
  }
  return { k: 'binary', op, a: x, b: y, ty: t, pos };
}

function cmpConst(op: CmpOp, a: bigint, b: bigint): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

export function compare(cx: Checker, op: CmpOp, a: TExpr, b: TExpr, pos: number): TExpr {
  if (a.k === 'err' || b.k === 'err') return err(pos);
  if (a.ty.k === 'bool' || b.ty.k === 'bool') {
    if (a.ty.k !== 'bool' || b.ty.k !== 'bool' || (op !== '==' && op !== '!=')) {
      cx.error('BAD_OPERAND', pos, `cannot compare ${tyName(a.ty)} and ${tyName(b.ty)} with '${op}'`);
      return err(pos);
    }
    if (a.k === 'const' && b.k === 'const') return { k: 'const', value: BigInt(cmpConst(op, a.value, b.value)), ty: BOOL, pos };
    return { k: 'cmp', op, a, b, opTy: { k: 'bool' }, ty: BOOL, pos };
  }
  if (!numericCheck(cx, a, `'${op}'`) || !numericCheck(cx, b, `'${op}'`)) return err(pos);
  if (isLit(a) && isLit(b)) return { k: 'const', value: BigInt(cmpConst(op, a.value, b.value)), ty: BOOL, pos };
  const u = unify(cx, a, b, pos, `'${op}'`);
  if (!u) return err(pos);
  const [x, y, t] = u;
  if (t.be && op !== '==' && op !== '!=') {
    cx.error('BAD_OPERAND', pos, `cannot order ${t.name} values (network byte order) with '${op}'`, 'convert with ntohs/ntohl first');
    return err(pos);
  }
  if (x.k === 'const' && y.k === 'const') return { k: 'const', value: BigInt(cmpConst(op, x.value, y.value)), ty: BOOL, pos };
  return { k: 'cmp', op, a: x, b: y, opTy: t, ty: BOOL, pos };
}

/** Any value usable as a condition → bool: bool itself, integers (≠ 0), nullable views (present). */
export function toCond(cx: Checker, e: TExpr): TExpr {
  switch (e.ty.k) {
    case 'bool':
    case 'err':
      return e;
    case 'lit':
      return { k: 'const', value: e.k === 'const' && e.value !== 0n ? 1n : 0n, ty: BOOL, pos: e.pos };
    case 'int':
      if (e.k === 'const') return { k: 'const', value: e.value !== 0n ? 1n : 0n, ty: BOOL, pos: e.pos };
      return { k: 'truthy', a: e, ty: BOOL, pos: e.pos };
    case 'nullable':
      return { k: 'present', a: e, ty: BOOL, pos: e.pos };
    case 'struct':
    case 'ref':
    case 'array':
      return { k: 'const', value: 1n, ty: BOOL, pos: e.pos }; // already checked: always present
    default:
      cx.error('BAD_OPERAND', e.pos, `${tyName(e.ty)} cannot be used as a condition`);
      return err(e.pos);
  }
}

export interface Facts {
  /** Non-null when the condition is true / false. */
  t: Set<LocalSym>;
  f: Set<LocalSym>;
  /** Null when the condition is true / false. */
  tn: Set<LocalSym>;
  fn: Set<LocalSym>;
}

const EMPTY = new Set<LocalSym>();
const NONE: Facts = { t: EMPTY, f: EMPTY, tn: EMPTY, fn: EMPTY };

/** Locals known non-null (or null) when the condition is true or false. */
export function factsOf(e: TExpr): Facts {
  switch (e.k) {
    case 'present':
      return e.a.k === 'local' ? { t: new Set([e.a.sym]), f: EMPTY, tn: EMPTY, fn: new Set([e.a.sym]) } : NONE;
    case 'not': {
      const x = factsOf(e.a);
      return { t: x.f, f: x.t, tn: x.fn, fn: x.tn };
    }
    case 'logical': {
      const a = factsOf(e.a);
      const b = factsOf(e.b);
      if (e.op === '&&') return { t: union(a.t, b.t), f: intersect(a.f, b.f), tn: union(a.tn, b.tn), fn: intersect(a.fn, b.fn) };
      return { t: intersect(a.t, b.t), f: union(a.f, b.f), tn: intersect(a.tn, b.tn), fn: union(a.fn, b.fn) };
    }
    default:
      return NONE;
  }
}

export function union<T>(a: Set<T>, b: Set<T>): Set<T> {
  if (b.size === 0) return a;
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}
export function intersect<T>(a: Set<T>, b: Set<T>): Set<T> {
  const s = new Set<T>();
  for (const x of a) if (b.has(x)) s.add(x);
  return s;
}

/** Checks that `e` can be assigned to; reports why not otherwise. */
export function checkPlace(cx: Checker, e: TExpr, what: string): boolean {
  switch (e.k) {
    case 'err':
      return false;
    case 'local':
      if (!e.sym.mutable) {
        cx.error('ASSIGN_CONST', e.pos, `cannot ${what} '${e.sym.name}': it is a const`, 'declare it with let');
        return false;
      }
      return true;
    case 'global':
      if (e.g.section === '.rodata') {
        cx.error('ASSIGN_CONST', e.pos, `cannot ${what} '${e.g.name}': exported consts are read-only settings`, 'use a module-level let for a value the program changes');
        return false;
      }
      return true;
    case 'field':
      if (e.field.readonly) {
        cx.error('ASSIGN_CONST', e.pos, `cannot ${what} '${e.field.name}': it is read-only`, e.field.bits ? `write the whole byte it lives in instead` : undefined);
        return false;
      }
      return writableRoot(cx, e, what);
    case 'index':
      return writableRoot(cx, e, what);
    case 'ctxfield':
      if (e.writable) return true;
      cx.error('ASSIGN_CONST', e.pos, `cannot ${what} this context field: the kernel lets this program type only read it`);
      return false;
    case 'ctxlen':
      cx.error('ASSIGN_CONST', e.pos, `cannot ${what} a context field`);
      return false;
    default:
      cx.error('NOT_PLACE', e.pos, `cannot ${what} this expression`);
      return false;
  }
}

/** Why the memory under a field/element cannot be written (a read-only packet or context part), if so. */
export function readonlyReason(e: TExpr): string | undefined {
  switch (e.k) {
    case 'field':
    case 'index':
      return readonlyReason(e.base);
    case 'ctxview':
      return e.writable ? undefined : 'it is part of the context, which this program type can only read';
    case 'local':
      return e.sym.readonly ?? (e.sym.ty.k === 'nullable' && e.sym.ty.readonly ? 'packet data is read-only in this program type' : undefined);
    case 'header':
      return e.ty.k === 'nullable' && e.ty.readonly ? 'packet data is read-only in this program type' : undefined;
    default:
      return undefined;
  }
}

function writableRoot(cx: Checker, e: TExpr, what: string): boolean {
  const why = readonlyReason(e);
  if (!why) return true;
  cx.error('ASSIGN_CONST', e.pos, `cannot ${what} this: ${why}`);
  return false;
}

/** True for expressions naming memory (globals, fields, elements): what atomics need. */
export function isMemoryPlace(e: TExpr): boolean {
  return e.k === 'global' || e.k === 'field' || e.k === 'index';
}

export function typeMax(t: Ty): bigint {
  return t.k === 'int' ? intRange(t)[1] : (1n << 64n) - 1n;
}

/** Known upper bounds of locals (consts, loop counters inside their loop). */
export interface MaxFacts {
  get(sym: LocalSym): { max?: bigint } | undefined;
}

/** An upper bound of an unsigned value (the verifier must be able to see the same bound). */
export function maxOf(cx: { facts: MaxFacts }, e: TExpr): bigint {
  const cap = typeMax(e.ty);
  const b = rawMax(cx, e);
  return b > cap || b < 0n ? cap : b;
}

/** The bound before wrapping to the type: larger than the type's maximum means it may wrap. */
export function rawMax(cx: { facts: MaxFacts }, e: TExpr): bigint {
  if (e.ty.k === 'int' && e.ty.signed && e.k !== 'const') return typeMax(e.ty);
  switch (e.k) {
    case 'const':
      return e.value;
    case 'local':
      return cx.facts.get(e.sym)?.max ?? typeMax(e.ty);
    case 'field':
      return e.field.bits ? (1n << BigInt(e.field.bits.width)) - 1n : typeMax(e.ty);
    case 'cast': {
      const inner = e.a.ty;
      if (inner.k === 'int' && !inner.signed) return maxOf(cx, e.a);
      return typeMax(e.ty);
    }
    case 'binary': {
      const a = maxOf(cx, e.a);
      const b = maxOf(cx, e.b);
      switch (e.op) {
        case '+': return a + b;
        case '*': return a * b;
        case '<<': return e.b.k === 'const' ? a << e.b.value : typeMax(e.ty);
        case '>>':
        case '>>>': return e.b.k === 'const' ? a >> e.b.value : a;
        case '&': return a < b ? a : b;
        case '|':
        case '^': {
          let m = a > b ? a : b;
          let p = 1n;
          while (p <= m) p <<= 1n;
          m = p - 1n;
          return m;
        }
        case '/': return a;
        case '%': return e.b.k === 'const' && e.b.value > 0n ? e.b.value - 1n : a;
        default: return typeMax(e.ty);
      }
    }
    case 'intrinsic':
      return e.max ?? typeMax(e.ty);
    default:
      return typeMax(e.ty);
  }
}

/** What memory a view expression points into, when known. */
export function spaceOf(e: TExpr): Space | undefined {
  switch (e.k) {
    case 'local':
      return e.sym.ty.k === 'nullable' ? e.sym.ty.space : e.sym.space;
    case 'field':
    case 'index':
      return spaceOf(e.base);
    case 'global':
      return 'global';
    case 'structlit':
    case 'bufcall':
      return 'stack';
    case 'ctxview':
      return 'ctx';
    default:
      return undefined;
  }
}
