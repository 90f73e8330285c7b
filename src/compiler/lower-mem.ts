/**
 * Memory: places (locals in registers, fields, elements, globals), views of structs, loads and
 * stores, struct literals on the stack, copies, and packet headers. A header read with
 * `ctx.header<T>(off)` is checked where the program tests it: `p = data + off; if p + size >
 * data_end` — exactly the comparison the verifier needs to allow the accesses through p.
 */
import { rawMax, typeMax } from './check-ops.js';
import { type Block, FP, type VReg } from './ir.js';
import { type Binding, type FnBuilder, type Val, type View, width } from './lower-fn.js';
import { arithVals, cast, clean, copy, ctxReg, facts, opnd, value } from './lower-expr.js';
import { bufferCall, nullablePtr } from './lower-call.js';
import { SIZE } from './mem-access.js';
import type { TExpr } from './typed.js';
import { INT, type IntTy, type Ty, alignOf, isAggregate, sizeOf } from './types.js';

export type Place =
  | { k: 'reg'; r: VReg; ty: Ty }
  | { k: 'mem'; base: VReg; off: number; ty: Ty; bits?: { shift: number; width: number } };

export function placeOf(fb: FnBuilder, e: TExpr): Place {
  switch (e.k) {
    case 'local': {
      const b = fb.bindings.get(e.sym);
      if (b?.k === 'val') return { k: 'reg', r: b.r, ty: e.ty };
      throw new Error(`local '${e.sym.name}' is not assignable here`);
    }
    case 'global': {
      const r = fb.reg(true);
      fb.emit({ op: 'ldsym', dst: r, kind: 'data', symbol: e.g.name, offset: 0, pos: e.pos });
      return { k: 'mem', base: r, off: 0, ty: e.ty };
    }
    case 'field': {
      const v = viewOf(fb, e.base);
      const bits = e.field.bits ? { shift: e.field.bits.shift, width: e.field.bits.width } : undefined;
      return { k: 'mem', base: v.base, off: v.off + e.field.offset, ty: e.ty, bits };
    }
    case 'index': {
      const v = viewOf(fb, e.base);
      const esize = sizeOf(e.ty);
      const iv = value(fb, e.index);
      if (iv.imm !== undefined) return { k: 'mem', base: v.base, off: v.off + Number(iv.imm) * esize, ty: e.ty };
      if (v.space === 'packet') {
        fb.diags.error('UNSUPPORTED', e.index.pos, 'packet bytes cannot be indexed with a variable', 'use a constant index, or read a header at a variable offset with ctx.header<T>(offset)');
      }
      const idx = cast(fb, clean(fb, iv), INT.u64);
      const t = copy(fb, idx);
      if (esize > 1) fb.alu((esize & (esize - 1)) === 0 ? 'lsh' : 'mul', t, { imm: (esize & (esize - 1)) === 0 ? Math.log2(esize) : esize }, 64);
      const p = fb.reg(true);
      fb.mov(p, { r: v.base });
      fb.alu('add', p, { r: t }, 64);
      return { k: 'mem', base: p, off: v.off, ty: e.ty };
    }
    case 'ctxfield':
      return { k: 'mem', base: ctxReg(fb, e.ctx), off: e.offset, ty: e.ty };
    default:
      throw new Error(`${e.k} is not a place`);
  }
}

/** The memory an aggregate expression (struct, array, Ref) denotes. */
export function viewOf(fb: FnBuilder, e: TExpr): View {
  switch (e.k) {
    case 'local': {
      const b = fb.bindings.get(e.sym);
      if (!b) throw new Error(`unbound local '${e.sym.name}'`);
      return bindingView(fb, b);
    }
    case 'field':
    case 'index':
    case 'global': {
      const p = placeOf(fb, e);
      if (p.k !== 'mem') throw new Error('aggregate in a register');
      const v: View = { base: p.base, off: p.off, space: e.k === 'global' ? 'global' : baseSpace(fb, e) };
      const max = e.k === 'global' ? undefined : ctxMaxLoad(e);
      if (max !== undefined) v.maxLoad = max;
      return v;
    }
    case 'structlit':
      return structLit(fb, e);
    case 'lookup':
    case 'reserve':
      return { base: nullablePtr(fb, e), off: 0, space: e.k === 'lookup' ? 'map' : 'ringbuf' };
    case 'ctxview': {
      let base = ctxReg(fb, e.ctx);
      let off = e.offset;
      if (e.deref) {
        // the context holds a pointer to the struct (sk_msg_md.sk → struct bpf_sock)
        const p = fb.reg(true);
        fb.emit({ op: 'ld', size: 'u64', dst: p, base, off, pos: e.pos });
        base = p;
        off = 0;
      }
      return e.maxLoad === undefined ? { base, off, space: 'ctx' } : { base, off, space: 'ctx', maxLoad: e.maxLoad };
    }
    case 'bufcall':
      return bindingView(fb, bufBinding(fb, e));
    default:
      throw new Error(`${e.k} is not a view`);
  }
}

/** The load-width limit of the context part a field or element lies in, if any. */
function ctxMaxLoad(e: TExpr): number | undefined {
  if (e.k === 'field' || e.k === 'index') return ctxMaxLoad(e.base);
  return e.k === 'ctxview' ? e.maxLoad : undefined;
}

function baseSpace(fb: FnBuilder, e: TExpr): View['space'] {
  if (e.k === 'field' || e.k === 'index') return baseSpace(fb, e.base);
  if (e.k === 'local') {
    const b = fb.bindings.get(e.sym);
    if (b?.k === 'view') return b.view.space;
    if (b?.k === 'hdr') return 'packet';
    if (b?.k === 'ptr') return b.space;
    if (b?.k === 'loaded') return 'stack';
  }
  if (e.k === 'ctxview') return 'ctx';
  return 'unknown';
}

export function bindingView(fb: FnBuilder, b: Binding): View {
  switch (b.k) {
    case 'view':
      return b.view;
    case 'hdr':
      if (b.varOff !== undefined) {
        if (b.ptr === undefined) throw new Error('header used before its length check');
        return { base: b.ptr, off: b.constOff, space: 'packet' };
      }
      return { base: fb.data(), off: b.constOff, space: 'packet' };
    case 'ptr':
      return { base: b.r, off: 0, space: b.space };
    case 'loaded':
      return b.view;
    default:
      throw new Error(`binding ${b.k} is not a view`);
  }
}

export function loadPlace(fb: FnBuilder, p: Place, ty: Ty): Val {
  if (p.k === 'reg') return { r: p.r, ty, dirty: false };
  const size = p.bits ? 1 : sizeOf(ty);
  const t = fb.reg();
  fb.emit({ op: 'ld', size: SIZE[size as 1 | 2 | 4 | 8], dst: t, base: p.base, off: p.off, pos: fb.pos });
  if (p.bits) {
    if (p.bits.shift) fb.alu('rsh', t, { imm: p.bits.shift }, 32);
    if (p.bits.shift + p.bits.width < 8) fb.alu('and', t, { imm: (1 << p.bits.width) - 1 }, 32);
    return { r: t, ty, dirty: false };
  }
  return { r: t, ty, dirty: ty.k === 'int' && ty.signed && ty.bits < 32 };
}

export function storePlace(fb: FnBuilder, p: Place, v: Val): void {
  if (p.k === 'reg') {
    const c = clean(fb, v);
    fb.mov(p.r, opnd(fb, c), c.imm !== undefined ? width(p.ty) : 64);
    return;
  }
  const size = sizeOf(p.ty);
  fb.emit({ op: 'st', size: SIZE[size as 1 | 2 | 4 | 8], base: p.base, off: p.off, src: opnd(fb, v, size === 8 ? 64 : 32), pos: fb.pos });
}

export function lowerAssign(fb: FnBuilder, e: TExpr & { k: 'assign' }): Val {
  const p = placeOf(fb, e.place);
  const ty = e.place.ty;
  let v: Val;
  if (!e.op) v = value(fb, e.value);
  else {
    const cur = loadPlace(fb, p, ty);
    v = arithVals(fb, e.op, cur, value(fb, e.value), ty as IntTy);
  }
  fb.pos = e.pos;
  storePlace(fb, p, v);
  if (!e.used) return { imm: 0n, ty, dirty: false };
  return p.k === 'reg' ? { r: p.r, ty, dirty: false } : v;
}

export function lowerUpdate(fb: FnBuilder, e: TExpr & { k: 'update' }): Val {
  const p = placeOf(fb, e.place);
  const ty = e.place.ty as IntTy;
  const cur = loadPlace(fb, p, ty);
  let old: Val | undefined;
  if (e.used && !e.prefix) {
    old = { r: copy(fb, clean(fb, cur)), ty, dirty: false };
  }
  const nv = arithVals(fb, e.op, cur, { imm: 1n, ty, dirty: false }, ty);
  fb.pos = e.pos;
  storePlace(fb, p, nv);
  if (!e.used) return { imm: 0n, ty, dirty: false };
  return old ?? (p.k === 'reg' ? { r: p.r, ty, dirty: false } : nv);
}

/** A struct literal: a stack slot, zero where no field is given (helpers read whole structs). */
function structLit(fb: FnBuilder, e: TExpr & { k: 'structlit' }): View {
  const size = e.def.size;
  const off = fb.allocSlot(size, Math.max(alignOf(e.ty), 8));
  const covered = new Uint8Array(size);
  for (const i of e.inits) covered.fill(1, i.field.offset, i.field.offset + sizeOf(i.field.ty));
  let at = 0;
  while (at < size) {
    if (covered[at]) {
      at++;
      continue;
    }
    let n = 8;
    while (n > 1 && ((off + at) % n !== 0 || at + n > size || covered.subarray(at, at + n).some((x) => x))) n >>= 1;
    fb.emit({ op: 'st', size: SIZE[n as 1 | 2 | 4 | 8], base: FP, off: off + at, src: { imm: 0 }, pos: e.pos });
    at += n;
  }
  for (const i of e.inits) {
    if (isAggregate(i.field.ty)) {
      copyView(fb, viewOf(fb, i.value), { base: FP, off: off + i.field.offset, space: 'stack' }, sizeOf(i.field.ty), e.pos);
      continue;
    }
    const v = value(fb, i.value);
    storePlace(fb, { k: 'mem', base: FP, off: off + i.field.offset, ty: i.field.ty }, v);
  }
  return { base: FP, off, space: 'stack' };
}

/** Copies an aggregate (struct or array) from one view to another. */
export function lowerCopy(fb: FnBuilder, e: TExpr & { k: 'copy' }): void {
  const src = viewOf(fb, e.value);
  const dst = viewOf(fb, e.place);
  copyView(fb, src, dst, sizeOf(e.ty), e.pos);
}

function copyView(fb: FnBuilder, src: View, dst: View, size: number, pos: number): void {
  const e = { pos };
  let at = 0;
  while (at < size) {
    let n = Math.min(8, src.maxLoad ?? 8, dst.maxLoad ?? 8);
    while (n > 1 && (at + n > size || (dst.off + at) % n !== 0 || (src.off + at) % n !== 0)) n >>= 1;
    const t = fb.reg();
    fb.emit({ op: 'ld', size: SIZE[n as 1 | 2 | 4 | 8], dst: t, base: src.base, off: src.off + at, pos: e.pos });
    fb.emit({ op: 'st', size: SIZE[n as 1 | 2 | 4 | 8], base: dst.base, off: dst.off + at, src: { r: t }, pos: e.pos });
    at += n;
  }
}

// ---------------------------------------------------------------- packet headers

/** Splits a packet offset into a constant part and the rest (when that changes no wrap-around). */
export function splitOffset(fb: FnBuilder, e: TExpr): { c: bigint; rest?: TExpr } {
  if (e.k === 'const') return { c: e.value };
  if (e.k === 'local') {
    const b = fb.bindings.get(e.sym);
    if (b?.k === 'const') return { c: b.value };
    if (b?.k === 'sum') return { c: b.c, rest: { k: 'local', sym: b.rest, ty: b.rest.ty, pos: e.pos } };
  }
  const noWrap = (x: TExpr): boolean => x.ty.k === 'int' && !x.ty.signed && rawMax(facts(fb), x) <= typeMax(x.ty);
  if (e.k === 'binary' && e.op === '+' && noWrap(e)) {
    const a = splitOffset(fb, e.a);
    const b = splitOffset(fb, e.b);
    if (!a.rest) return { c: a.c + b.c, rest: b.rest };
    if (!b.rest) return { c: a.c + b.c, rest: a.rest };
  }
  if (e.k === 'cast' && e.a.ty.k === 'int' && !e.a.ty.signed && e.ty.k === 'int' && e.ty.bits >= e.a.ty.bits && noWrap(e.a)) {
    const s = splitOffset(fb, e.a);
    return { c: s.c, rest: s.rest ? { ...e, a: s.rest } : undefined };
  }
  return { c: 0n, rest: e };
}

export function hdrBinding(fb: FnBuilder, e: TExpr & { k: 'header' }): Binding & { k: 'hdr' } {
  const { c, rest } = splitOffset(fb, e.offset);
  const b: Binding & { k: 'hdr' } = { k: 'hdr', constOff: Number(c), size: e.def.size, varMax: 0n };
  if (rest) {
    const v = cast(fb, clean(fb, value(fb, rest)), INT.u64);
    b.varOff = copy(fb, v);
    b.varMax = rawMax(facts(fb), rest);
    if (rest.ty.k === 'int' && b.varMax > typeMax(rest.ty)) b.varMax = typeMax(rest.ty);
    b.ptr = fb.reg(true);
  }
  return b;
}

/** Emits the length check of a header: to `t` when the packet holds it, else to `f`. */
export function headerCheck(fb: FnBuilder, b: Binding & { k: 'hdr' }, t: Block, f: Block, pos: number): void {
  fb.pos = pos;
  const span = b.constOff + b.size;
  let base = fb.data();
  if (b.varOff !== undefined) {
    const limit = 0xffff - span;
    if (b.varMax > BigInt(limit)) {
      const ok = fb.newBlock();
      fb.terminate({ op: 'jcc', cc: 'gt', w: 64, a: b.varOff, b: { imm: limit }, t: f, f: ok, pos, hot: 'f', sure: true });
      fb.setCur(ok);
    }
    fb.mov(b.ptr!, { r: fb.data() });
    fb.alu('add', b.ptr!, { r: b.varOff }, 64);
    base = b.ptr!;
  }
  const chk = fb.reg(true);
  fb.mov(chk, { r: base });
  fb.alu('add', chk, { imm: span }, 64);
  fb.terminate({ op: 'jcc', cc: 'gt', w: 64, a: chk, b: { r: fb.end() }, t: f, f: t, pos, hot: 'f', sure: true });
}


/**
 * A helper filling a new stack buffer (ctx.load<T>, probe reads, get_current_comm): the buffer is
 * a slot of the function's frame (the helpers take uninitialised memory), the helper's result
 * says whether it was filled.
 */
export function bufBinding(fb: FnBuilder, e: TExpr & { k: 'bufcall' }): Binding {
  const size = sizeOf(e.inner);
  const off = fb.allocSlot(size, Math.max(alignOf(e.inner), 8));
  const view: View = { base: FP, off, space: 'stack' };
  const ok = bufferCall(fb, e, off, size);
  return e.sure ? { k: 'view', view } : { k: 'loaded', ok, view };
}

/** A buffer helper's result test: filled when it is ≥ 0 (the expected outcome falls through). */
export function filled(fb: FnBuilder, ok: VReg, t: Block, f: Block, pos: number): void {
  fb.terminate({ op: 'jcc', cc: 'sge', w: 64, a: ok, b: { imm: 0 }, t, f, pos, hot: 't', sure: true });
}
