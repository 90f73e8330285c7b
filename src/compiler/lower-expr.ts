/**
 * Expressions → IR. Integers of 8/16 bits are computed in 32-bit registers and wrapped to their
 * width only where the bits above matter (comparisons, division, right shifts, widening); 32-bit
 * values always have the upper half zero (ALU32 guarantees it); signed 8/16-bit values are kept
 * sign-extended to 32 bits. Conditions compile straight to branches.
 */
import type { JmpOp } from '../insn/types.js';
import { type MaxFacts, foldTyped, rawMax, typeMax } from './check-ops.js';
import { type Block, type Opnd, type VReg } from './ir.js';
import { type FnBuilder, type Val, isSmall, width } from './lower-fn.js';
import { bufBinding, filled, hdrBinding, headerCheck, loadPlace, lowerAssign, lowerCopy, lowerUpdate, placeOf } from './lower-mem.js';
import { lowerAtomic, lowerCall, lowerIntrinsic, nullablePtr } from './lower-call.js';
import type { ArithOp, CmpOp, LocalSym, TExpr } from './typed.js';
import { type IntTy, type Ty, wrap } from './types.js';

/** Value bounds for lowering: const locals carry theirs (LocalSym.max), inlined parameters theirs. */
export function facts(fb: FnBuilder): { facts: MaxFacts } {
  return { facts: { get: (s: LocalSym) => {
    const m = s.max ?? fb.paramMax.get(s);
    return m !== undefined ? { max: m } : undefined;
  } } };
}

export function value(fb: FnBuilder, e: TExpr): Val {
  fb.pos = e.pos;
  switch (e.k) {
    case 'const':
      return { imm: e.ty.k === 'int' ? wrap(e.value, e.ty) : e.value, ty: e.ty, dirty: false };
    case 'local': {
      const b = fb.bindings.get(e.sym);
      if (b?.k === 'val') return { r: b.r, ty: e.ty, dirty: false };
      if (b?.k === 'const') return { imm: b.value, ty: e.ty, dirty: false };
      if (b?.k === 'sum') {
        const rest: TExpr = { k: 'local', sym: b.rest, ty: b.rest.ty, pos: e.pos };
        return binary(fb, { k: 'binary', op: '+', a: rest, b: { k: 'const', value: b.c, ty: e.ty, pos: e.pos }, ty: e.ty, pos: e.pos });
      }
      throw new Error(`local '${e.sym.name}' is not a scalar here`);
    }
    case 'global':
    case 'field':
    case 'index':
      return loadPlace(fb, placeOf(fb, e), e.ty);
    case 'ctxlen': {
      const t = fb.reg();
      fb.mov(t, { r: fb.end() });
      fb.alu('sub', t, { r: fb.data() }, 32);
      return { r: t, ty: e.ty, dirty: false };
    }
    case 'ctxfield': {
      const t = fb.reg();
      fb.emit({ op: 'ld', size: ({ 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const)[e.load], dst: t, base: ctxReg(fb, e.ctx), off: e.offset, pos: fb.pos });
      return { r: t, ty: e.ty, dirty: e.ty.k === 'int' && e.ty.signed && e.ty.bits < 32 }; // signed 8/16: wrapped lazily
    }
    case 'call':
      return lowerCall(fb, e);
    case 'intrinsic':
      return lowerIntrinsic(fb, e);
    case 'atomic':
      return lowerAtomic(fb, e, true);
    case 'bswap': {
      const a = value(fb, e.a);
      const t = copy(fb, a);
      fb.emit({ op: 'be', bits: e.bits, dst: t, pos: e.pos });
      return { r: t, ty: e.ty, dirty: false };
    }
    case 'neg':
    case 'bitnot': {
      const a = value(fb, e.a);
      const t = copy(fb, a);
      if (e.k === 'neg') fb.emit({ op: 'neg', w: width(e.ty), dst: t, pos: e.pos });
      else fb.alu('xor', t, { imm: -1 }, width(e.ty));
      return { r: t, ty: e.ty, dirty: isSmall(e.ty) && (e.k === 'neg' || !(e.ty as IntTy).signed || a.dirty) };
    }
    case 'binary':
      return binary(fb, e);
    case 'cast':
      return cast(fb, value(fb, e.a), e.ty);
    case 'assign':
      return lowerAssign(fb, e);
    case 'update':
      return lowerUpdate(fb, e);
    case 'copy':
      lowerCopy(fb, e);
      return { imm: 0n, ty: e.ty, dirty: false };
    case 'cmp':
    case 'not':
    case 'logical':
    case 'truthy':
    case 'present':
      return boolValue(fb, e);
    case 'cond': {
      const t = fb.reg();
      const tb = fb.newBlock();
      const fbk = fb.newBlock();
      const join = fb.newBlock();
      cond(fb, e.test, tb, fbk);
      const put = (x: TExpr): void => {
        const v = clean(fb, value(fb, x));
        fb.mov(t, opnd(fb, v), v.imm !== undefined ? width(e.ty) : 64);
      };
      fb.setCur(tb);
      put(e.a);
      fb.br(join);
      fb.setCur(fbk);
      put(e.b);
      fb.br(join);
      fb.setCur(join);
      return { r: t, ty: e.ty, dirty: false };
    }
    case 'header':
    case 'lookup':
    case 'reserve':
    case 'structlit':
    case 'ctxview':
    case 'bufcall':
    case 'err':
      throw new Error(`${e.k} used as a scalar`);
  }
}

export function ctxReg(fb: FnBuilder, e: TExpr): VReg {
  if (e.k === 'local') {
    const b = fb.bindings.get(e.sym);
    if (b?.k === 'ctx') return b.r;
  }
  if (fb.ctx === undefined) throw new Error('no context');
  return fb.ctx;
}

function boolValue(fb: FnBuilder, e: TExpr): Val {
  const t = fb.reg();
  const f = fb.newBlock();
  const join = fb.newBlock();
  fb.mov(t, { imm: 1 }, 32);
  cond(fb, e, join, f);
  fb.setCur(f);
  fb.mov(t, { imm: 0 }, 32);
  fb.br(join);
  fb.setCur(join);
  return { r: t, ty: e.ty, dirty: false };
}

/** A value as an IR operand: constants that fit a 32-bit immediate stay immediates. */
export function opnd(fb: FnBuilder, v: Val, w: 32 | 64 = width(v.ty)): Opnd {
  if (v.imm !== undefined) {
    const x = v.imm;
    if (w === 32) {
      const u = BigInt.asUintN(32, x);
      return { imm: Number(BigInt.asIntN(32, u)) };
    }
    if (x >= -(1n << 31n) && x < 1n << 31n) return { imm: Number(x) };
    const r = fb.reg();
    fb.emit({ op: 'lddw', dst: r, value: BigInt.asIntN(64, x), pos: fb.pos });
    return { r };
  }
  return { r: v.r! };
}

/** The value in a register (constants are moved into one). */
export function inReg(fb: FnBuilder, v: Val): VReg {
  const o = opnd(fb, v);
  if (o.r !== undefined) return o.r;
  const r = fb.reg();
  fb.mov(r, o, width(v.ty));
  return r;
}

/** A fresh register holding the value (the two-address ALU then works on it). */
export function copy(fb: FnBuilder, v: Val): VReg {
  const t = fb.reg();
  fb.mov(t, opnd(fb, v), v.imm !== undefined ? width(v.ty) : 64);
  return t;
}

/** Wraps a dirty 8/16-bit value to its width (in place: dirty values are always temporaries). */
export function clean(fb: FnBuilder, v: Val): Val {
  if (!v.dirty || v.imm !== undefined || v.ty.k !== 'int') return v.imm !== undefined && v.ty.k === 'int' ? { ...v, imm: wrap(v.imm, v.ty) } : v;
  const t = v.r!;
  const ty = v.ty;
  if (ty.signed) {
    const s = 32 - ty.bits;
    fb.alu('lsh', t, { imm: s }, 32);
    fb.alu('arsh', t, { imm: s }, 32);
  } else fb.alu('and', t, { imm: ty.bits === 8 ? 0xff : 0xffff }, 32);
  return { r: t, ty, dirty: false };
}

/** Can this 8/16-bit result leave its type's range (so it must be wrapped before use)? */
function mayWrap(fb: FnBuilder, e: TExpr): boolean {
  if (e.ty.k !== 'int' || e.ty.signed) return true;
  // only sums, products and left shifts of unsigned values have a useful exact upper bound
  if (e.k !== 'binary' || !(e.op === '+' || e.op === '*' || e.op === '<<')) return true;
  const m = rawMax(facts(fb), e);
  return m < 0n || m > typeMax(e.ty);
}

const COMMUTATIVE = new Set(['+', '*', '&', '|', '^']);
const ALU: Record<string, 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh'> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '&': 'and', '|': 'or', '^': 'xor', '<<': 'lsh',
};

function binary(fb: FnBuilder, e: TExpr & { k: 'binary' }): Val {
  const a = value(fb, e.a);
  const b = value(fb, e.b);
  return arithVals(fb, e.op, a, b, e.ty as IntTy, () => mayWrap(fb, e));
}

/** `a op b` in type `ty` on a fresh register; `wraps` says whether a small result may exceed its width. */
export function arithVals(fb: FnBuilder, op: ArithOp, a: Val, b: Val, ty: IntTy, wraps: () => boolean = () => true): Val {
  const w = width(ty);
  if (a.imm !== undefined && b.imm !== undefined) return { imm: foldTyped(op, a.imm, b.imm, ty), ty, dirty: false };
  const needClean = op === '/' || op === '%' || op === '>>' || op === '>>>';
  if (needClean) {
    a = clean(fb, a);
    if (op === '/' || op === '%') b = clean(fb, b);
  }
  // the constant, or else a value nothing else uses, goes first: its register takes the result
  if ((a.imm !== undefined || (!a.tmp && b.tmp)) && COMMUTATIVE.has(op)) [a, b] = [b, a];
  let alu = ALU[op];
  if (op === '>>') alu = ty.signed ? 'arsh' : 'rsh';
  if (op === '>>>') {
    alu = 'rsh';
    if (ty.signed && ty.bits < 32) {
      const t = copy(fb, a);
      fb.alu('and', t, { imm: ty.bits === 8 ? 0xff : 0xffff }, 32);
      fb.alu('rsh', t, opnd(fb, b, w), w);
      return { r: t, ty, dirty: true };
    }
  }
  // BPF defines x / 0 = 0 and x % 0 = x (the assembler refuses a constant 0 divisor)
  if (b.imm === 0n && (op === '/' || op === '%')) return op === '/' ? { imm: 0n, ty, dirty: false } : a;
  // strength reduction: unsigned × / % by powers of two are shifts and masks
  if (b.imm !== undefined && b.imm > 0n && (b.imm & (b.imm - 1n)) === 0n && b.imm > 1n) {
    const sh = BigInt(b.imm.toString(2).length - 1);
    if (op === '*') return arithVals(fb, '<<', a, { imm: sh, ty: b.ty, dirty: false }, ty, wraps);
    if (op === '/' && !ty.signed) return arithVals(fb, '>>', a, { imm: sh, ty: b.ty, dirty: false }, ty, wraps);
    if (op === '%' && !ty.signed) return arithVals(fb, '&', a, { imm: b.imm - 1n, ty: b.ty, dirty: false }, ty, wraps);
  }
  // identities that cost nothing
  if (b.imm !== undefined) {
    const k = b.imm;
    if ((k === 0n && (op === '+' || op === '-' || op === '|' || op === '^' || op === '<<' || op === '>>' || op === '>>>')) || (k === 1n && (op === '*' || op === '/'))) return a;
  }
  const t = a.tmp && a.r !== undefined ? a.r : copy(fb, a);
  fb.alu(alu, t, opnd(fb, b, w), w);
  let dirty = isSmall(ty);
  if (dirty) {
    if (op === '&' || op === '|' || op === '^') dirty = a.dirty || b.dirty;
    else if (needClean) dirty = false;
    else dirty = wraps();
  }
  return { r: t, ty, dirty, tmp: true };
}

/** Integer conversions (see the header comment for the register invariants). */
export function cast(fb: FnBuilder, v: Val, to: Ty): Val {
  const from = v.ty;
  if (to.k !== 'int') return { ...v, ty: to };
  if (v.imm !== undefined) return { imm: wrap(from.k === 'int' ? wrap(v.imm, from) : v.imm, to), ty: to, dirty: false };
  if (from.k !== 'int') return { ...v, ty: to, dirty: false }; // bool → int: already 0/1
  if (to.bits === from.bits) {
    if (to.bits >= 32 || to.signed === from.signed) return { ...v, ty: to };
    return { r: copyIfClean(fb, v), ty: to, dirty: true }; // re-wrap as the other signedness
  }
  if (to.bits < from.bits) {
    // truncation: 64 → 32 zero-extends the low half; narrower types wrap lazily
    const t = fb.reg();
    fb.mov(t, { r: v.r! }, to.bits === 32 ? 32 : 64);
    return { r: t, ty: to, dirty: to.bits < 32 };
  }
  // widening
  const c = clean(fb, v);
  if (to.bits === 64 && from.signed) {
    const t = copy(fb, c);
    fb.alu('lsh', t, { imm: 32 }, 64);
    fb.alu('arsh', t, { imm: 32 }, 64);
    return { r: t, ty: to, dirty: false };
  }
  // a negative 8/16-bit value widened to u16 must lose the sign bits above its new width
  if (from.signed && !to.signed && to.bits < 32) return { r: copy(fb, c), ty: to, dirty: true };
  return { ...c, ty: to };
}

function copyIfClean(fb: FnBuilder, v: Val): VReg {
  return v.dirty ? v.r! : copy(fb, v);
}

// ---------------------------------------------------------------- conditions

const CC: Record<CmpOp, [JmpOp, JmpOp]> = {
  '==': ['eq', 'eq'], '!=': ['ne', 'ne'], '<': ['lt', 'slt'], '<=': ['le', 'sle'], '>': ['gt', 'sgt'], '>=': ['ge', 'sge'],
};
const MIRROR: Record<CmpOp, CmpOp> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function swapBytes(v: bigint, bits: number): bigint {
  let out = 0n;
  let x = BigInt.asUintN(bits, v);
  for (let i = 0; i < bits / 8; i++) {
    out = (out << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Branches to `t` when the condition holds, else to `f`. */
export function cond(fb: FnBuilder, e: TExpr, t: Block, f: Block): void {
  fb.pos = e.pos;
  switch (e.k) {
    case 'const':
      fb.br(e.value !== 0n ? t : f);
      return;
    case 'not':
      cond(fb, e.a, f, t);
      return;
    case 'logical': {
      const mid = fb.newBlock();
      if (e.op === '&&') cond(fb, e.a, mid, f);
      else cond(fb, e.a, t, mid);
      fb.setCur(mid);
      cond(fb, e.b, t, f);
      return;
    }
    case 'cmp': {
      let op = e.op;
      let ea = e.a;
      let eb = e.b;
      // ntohs(x) == C  →  x == htons(C): no byte swap at run time
      if ((op === '==' || op === '!=') && eb.k === 'const' && ea.k === 'bswap' && ea.bits < 64) {
        eb = { ...eb, value: swapBytes(eb.value, ea.bits) };
        ea = ea.a;
      } else if ((op === '==' || op === '!=') && ea.k === 'const' && eb.k === 'bswap' && eb.bits < 64) {
        ea = { ...ea, value: swapBytes(ea.value, eb.bits) };
        eb = eb.a;
      }
      let a = clean(fb, value(fb, ea));
      let b = clean(fb, value(fb, eb));
      if (a.imm !== undefined && b.imm === undefined) {
        [a, b] = [b, a];
        op = MIRROR[op];
      }
      const ty = e.opTy;
      const w = ty.k === 'int' ? width(ty) : 32;
      const signed = ty.k === 'int' && ty.signed;
      const ra = inReg(fb, a);
      fb.pos = e.pos;
      fb.terminate({ op: 'jcc', cc: CC[op][signed ? 1 : 0], w, a: ra, b: opnd(fb, b, w), t, f, pos: e.pos, hot: 't' });
      return;
    }
    case 'truthy': {
      const a = clean(fb, value(fb, e.a));
      fb.terminate({ op: 'jcc', cc: 'ne', w: width(a.ty), a: inReg(fb, a), b: { imm: 0 }, t, f, pos: e.pos, hot: 't' });
      return;
    }
    case 'present':
      present(fb, e.a, t, f);
      return;
    default: {
      const v = value(fb, e);
      fb.terminate({ op: 'jcc', cc: 'ne', w: 32, a: inReg(fb, v), b: { imm: 0 }, t, f, pos: e.pos, hot: 't' });
    }
  }
}

/** Null / packet-length test of a maybe-null view. */
function present(fb: FnBuilder, e: TExpr, t: Block, f: Block): void {
  if (e.k === 'local') {
    const b = fb.bindings.get(e.sym);
    if (b?.k === 'hdr') {
      headerCheck(fb, b, t, f, e.pos);
      return;
    }
    if (b?.k === 'ptr') {
      fb.terminate({ op: 'jcc', cc: 'ne', w: 64, a: b.r, b: { imm: 0 }, t, f, pos: e.pos, hot: 't', sure: true });
      return;
    }
    if (b?.k === 'view') {
      fb.br(t);
      return;
    }
    if (b?.k === 'loaded') return filled(fb, b.ok, t, f, e.pos);
  }
  if (e.k === 'lookup' || e.k === 'reserve') {
    const r = nullablePtr(fb, e);
    fb.terminate({ op: 'jcc', cc: 'ne', w: 64, a: r, b: { imm: 0 }, t, f, pos: e.pos, hot: 't', sure: true });
    return;
  }
  if (e.k === 'header') {
    headerCheck(fb, hdrBinding(fb, e), t, f, e.pos);
    return;
  }
  if (e.k === 'bufcall') {
    const b = bufBinding(fb, e);
    if (b.k === 'loaded') filled(fb, b.ok, t, f, e.pos);
    else fb.br(t);
    return;
  }
  throw new Error(`cannot test ${e.k} for null`);
}

