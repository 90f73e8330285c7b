/**
 * Calls: kernel helpers and intrinsics (printk, byte order, atomics, …), map methods, the
 * context's `header<T>(offset)`, and the program's own functions (checked on first call, which
 * also finds recursion).
 */
import type { Expr } from './ast.js';
import { FIB_LOOKUP } from './builtins.js';
import { ctxAssignable } from './contexts.js';
import { type Checker, err } from './check-context.js';
import { checkExpr, memberOf, staticSym } from './check-expr.js';
import { isMemoryPlace, spaceOf } from './check-ops.js';
import { checkLogCall } from './check-log.js';
import { checkHelper, ctxArgOf, ctxMethod } from './check-ctxcall.js';
import { release } from './check-resv.js';
import type { FuncInfo, TExpr } from './typed.js';
import { type CtxName, INT, type IntTy, type MapDef, type Ty, VOID, isAggregate, sameTy, sizeOf, tyName } from './types.js';

type Call = Expr & { k: 'Call' };

const SIMPLE: Record<string, Ty> = {
  ktime_get_ns: INT.u64, ktime_get_boot_ns: INT.u64, get_smp_processor_id: INT.u32, get_prandom_u32: INT.u32,
};

const BSWAP: Record<string, [IntTy, IntTy]> = {
  ntohs: [INT.be16, INT.u16], htons: [INT.u16, INT.be16], ntohl: [INT.be32, INT.u32], htonl: [INT.u32, INT.be32],
  ntohll: [INT.be64, INT.u64], htonll: [INT.u64, INT.be64],
};

export function checkCall(cx: Checker, e: Call): TExpr {
  const pos = e.pos;
  if (e.optional) {
    cx.error('NULLABLE', pos, "optional calls '?.()' are not supported");
    return err(pos);
  }
  const callee = e.callee;
  const s = staticSym(cx, callee);
  if (s?.k === 'builtin' && s.b.k === 'fn') return intrinsic(cx, s.b.name, e);
  if (s?.k === 'builtin' && s.b.k === 'program') {
    cx.error('PROGRAM', pos, 'programs are declared only at module level');
    return err(pos);
  }
  if (s?.k === 'func') return localCall(cx, s.info, e);
  if (callee.k === 'Member') {
    const ms = staticSym(cx, callee.obj);
    if (ms?.k === 'map') return mapMethod(cx, ms.def, callee.name, e);
    if (ms?.k === 'builtin' && ms.b.k === 'log') return checkLogCall(cx, callee.name, e);
    const base = checkExpr(cx, callee.obj);
    if (base.k === 'err') return base;
    if (base.ty.k === 'ctx') return ctxMethod(cx, base, callee.name, e);
    if (base.ty.k === 'nullable') return memberOf(cx, base, callee.name, callee.namePos, pos);
    cx.error('UNKNOWN_MEMBER', callee.namePos, `${tyName(base.ty)} has no method '${callee.name}'`);
    return err(pos);
  }
  if (callee.k === 'Ident' && !s) return checkExpr(cx, callee); // reports the unknown name
  cx.error('BAD_OPERAND', pos, 'this cannot be called');
  return err(pos);
}

function argCount(cx: Checker, e: Call, min: number, max: number, name: string): boolean {
  if (e.args.length < min || e.args.length > max) {
    cx.error('ARGS', e.pos, `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${e.args.length}`);
    for (const a of e.args) if (a.k !== 'Ident') checkExpr(cx, a);
    return false;
  }
  return true;
}

function arg(cx: Checker, e: Expr, ty: Ty, what: string): TExpr {
  return cx.coerce(checkExpr(cx, e, ty), ty, what);
}

function ctxArg(cx: Checker, e: Expr, name: string, allowed?: CtxName[]): TExpr {
  return ctxArgOf(cx, e, name, allowed);
}

function mapArg(cx: Checker, e: Expr, kinds: string[], name: string): MapDef | undefined {
  const s = staticSym(cx, e);
  if (s?.k === 'map' && kinds.includes(s.def.kind)) return s.def;
  cx.error('ARGS', e.pos, `${name} needs a map of kind ${kinds.join(' or ')} here`);
  return undefined;
}

/** An aggregate (struct/array view) whose address is passed to a helper. */
function viewArg(cx: Checker, e: Expr, name: string, allowNull: boolean): TExpr | undefined {
  if (allowNull && e.k === 'Null') return undefined;
  const v = checkExpr(cx, e);
  if (v.k !== 'err' && !isAggregate(v.ty)) cx.error('ARGS', e.pos, `${name} needs a struct or array view here, not ${tyName(v.ty)}`);
  return v;
}

function intrinsic(cx: Checker, name: string, e: Call): TExpr {
  const pos = e.pos;
  const a = e.args;
  if (name in SIMPLE) {
    if (!argCount(cx, e, 0, 0, name)) return err(pos);
    return { k: 'intrinsic', name, args: [], ty: SIMPLE[name], pos };
  }
  if (name in BSWAP) {
    if (!argCount(cx, e, 1, 1, name)) return err(pos);
    const [from, to] = BSWAP[name];
    const x = arg(cx, a[0], from, `argument of ${name}`);
    if (x.k === 'err') return x;
    if (x.k === 'const') return { k: 'const', value: swap(x.value, from.bits), ty: to, pos };
    return { k: 'bswap', a: x, bits: from.bits as 16 | 32 | 64, ty: to, pos };
  }
  switch (name) {
    case 'printk':
      return printk(cx, e);
    case 'redirect': {
      if (!argCount(cx, e, 2, 2, name)) return err(pos);
      const args = [arg(cx, a[0], INT.u32, 'ifindex'), arg(cx, a[1], INT.u64, 'flags')];
      return { k: 'intrinsic', name, args, ty: INT.u32, pos };
    }
    case 'redirect_map': {
      if (!argCount(cx, e, 3, 3, name)) return err(pos);
      const map = mapArg(cx, a[0], ['devmap', 'cpumap'], name);
      const args = [arg(cx, a[1], INT.u32, 'key'), arg(cx, a[2], INT.u64, 'flags')];
      return map ? { k: 'intrinsic', name, args, map, ty: INT.u32, pos } : err(pos);
    }
    case 'tail_call': {
      if (!argCount(cx, e, 3, 3, name)) return err(pos);
      const c = ctxArg(cx, a[0], name);
      const map = mapArg(cx, a[1], ['prog_array'], name);
      const idx = arg(cx, a[2], INT.u32, 'index');
      return map ? { k: 'intrinsic', name, args: [c, idx], map, ty: INT.i64, pos } : err(pos);
    }
    case 'csum_diff': {
      if (!argCount(cx, e, 3, 3, name)) return err(pos);
      const from = viewArg(cx, a[0], name, true);
      const to = viewArg(cx, a[1], name, true);
      const seed = arg(cx, a[2], INT.u32, 'seed');
      for (const v of [from, to]) {
        if (v && v.k !== 'err' && (sizeOf(v.ty) % 4 !== 0 || sizeOf(v.ty) > 512)) cx.error('ARGS', v.pos, `csum_diff needs a size that is a multiple of 4 (≤ 512), not ${sizeOf(v.ty)}`);
      }
      const nul: TExpr = { k: 'const', value: 0n, ty: INT.u64, pos };
      return { k: 'intrinsic', name, args: [from ?? nul, to ?? nul, seed], ty: INT.i64, pos };
    }
    case 'csum_fold': {
      if (!argCount(cx, e, 1, 1, name)) return err(pos);
      return { k: 'intrinsic', name, args: [arg(cx, a[0], INT.u32, 'sum')], ty: INT.u16, pos };
    }
    case 'fib_lookup': {
      if (!argCount(cx, e, 3, 3, name)) return err(pos);
      const c = ctxArg(cx, a[0], name, ['XdpContext', 'TcContext']);
      const p = checkExpr(cx, a[1]);
      if (p.k !== 'err' && !(p.ty.k === 'struct' && p.ty.def === FIB_LOOKUP)) cx.error('ARGS', a[1].pos, 'fib_lookup needs a FibLookup struct (const p: FibLookup = { family: 2, … })');
      const flags = arg(cx, a[2], INT.u32, 'flags');
      return { k: 'intrinsic', name, args: [c, p, flags], ty: INT.i64, pos };
    }
    case 'msg_redirect_hash':
    case 'msg_redirect_map':
      return msgRedirect(cx, name, e);
    case 'xdp_adjust_head':
    case 'xdp_adjust_tail': {
      if (!argCount(cx, e, 2, 2, name)) return err(pos);
      const c = ctxArg(cx, a[0], name, ['XdpContext']);
      const d = arg(cx, a[1], INT.i32, 'delta');
      cx.packetEpoch++;
      cx.packetChanger = name;
      return { k: 'intrinsic', name, args: [c, d], ty: INT.i32, pos };
    }
    case 'atomic_add':
    case 'atomic_and':
    case 'atomic_or':
    case 'atomic_xor':
    case 'atomic_xchg':
    case 'atomic_cmpxchg': {
      const n = name === 'atomic_cmpxchg' ? 3 : 2;
      if (!argCount(cx, e, n, n, name)) return err(pos);
      const place = checkExpr(cx, a[0]);
      if (place.k === 'err') return place;
      if (!isMemoryPlace(place) || spaceOf(place) === 'ctx') {
        cx.error('NOT_PLACE', a[0].pos, `${name} needs a global or a field in memory as its first argument${isMemoryPlace(place) ? ' (the kernel allows no atomics on the context)' : ''}`);
        return err(pos);
      }
      if (place.ty.k !== 'int' || place.ty.bits < 32 || place.ty.be) {
        cx.error('BAD_OPERAND', a[0].pos, `${name} works on 32- and 64-bit integers, not ${tyName(place.ty)}`);
        return err(pos);
      }
      if (place.k === 'global' && place.g.section === '.rodata') {
        cx.error('ASSIGN_CONST', a[0].pos, `'${place.g.name}' is a read-only setting`);
        return err(pos);
      }
      const args = a.slice(1).map((x) => arg(cx, x, place.ty, `argument of ${name}`));
      return { k: 'atomic', op: name.slice('atomic_'.length) as 'add', place, args, ty: place.ty, pos };
    }
  }
  const h = checkHelper(cx, name, e);
  if (h) return h;
  cx.error('INTERNAL', pos, `intrinsic ${name} has no checker`);
  return err(pos);
}

function swap(v: bigint, bits: number): bigint {
  let out = 0n;
  let x = BigInt.asUintN(bits, v);
  for (let i = 0; i < bits / 8; i++) {
    out = (out << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return out;
}

const CONV = /%([-+ 0#]*)(\d*)(hh|h|ll|l)?([a-zA-Z%])/g;

function printk(cx: Checker, e: Call): TExpr {
  const pos = e.pos;
  const [fmtE, ...rest] = e.args;
  if (!fmtE || fmtE.k !== 'Str' || fmtE.subst) {
    cx.error('PRINTK', fmtE?.pos ?? pos, 'printk needs a string literal as its first argument');
    for (const x of rest) checkExpr(cx, x);
    return err(pos);
  }
  if (rest.length > 3) cx.error('PRINTK', rest[3].pos, 'printk takes at most 3 values after the format', 'print in several calls');
  let n = 0;
  for (const m of fmtE.value.matchAll(CONV)) {
    if (m[4] === '%') continue;
    n++;
    if (!'diuxXc'.includes(m[4])) cx.error('PRINTK', fmtE.pos, `printk format '%${m[1]}${m[2]}${m[3] ?? ''}${m[4]}' is not supported`, 'use %d %i %u %x %c (with l or ll for 64-bit values)');
  }
  if (n !== rest.length && rest.length <= 3) {
    cx.error('PRINTK', fmtE.pos, `the format has ${n} conversion${n === 1 ? '' : 's'} but ${rest.length} value${rest.length === 1 ? ' follows' : 's follow'}`);
  }
  if (fmtE.value.includes('\0')) cx.error('PRINTK', fmtE.pos, 'the format cannot contain NUL characters');
  const args = rest.slice(0, 3).map((x) => {
    const v = checkExpr(cx, x);
    if (v.k === 'err') return v;
    if (v.ty.k === 'lit' && v.k === 'const') return { ...v, ty: v.value < 0n ? INT.i64 : INT.u64, value: v.value };
    if (v.ty.k === 'bool' || (v.ty.k === 'int' && !v.ty.be)) return v;
    cx.error('PRINTK', x.pos, `printk prints integers, not ${tyName(v.ty)}`, v.ty.k === 'int' ? 'convert it first: ntohs(x)' : undefined);
    return err(x.pos);
  });
  return { k: 'intrinsic', name: 'printk', args, fmt: fmtE.value, ty: INT.i64, pos };
}

/**
 * msg_redirect_hash(ctx, sockHash, key, flags) / msg_redirect_map(ctx, sockMap, index, flags):
 * SK_PASS when the socket is there (the program returns it), else SK_DROP — so the result is 0 or 1.
 */
function msgRedirect(cx: Checker, name: string, e: Call): TExpr {
  const pos = e.pos;
  if (!argCount(cx, e, 4, 4, name)) return err(pos);
  const a = e.args;
  const c = ctxArg(cx, a[0], name, ['SkMsgContext']);
  const want = name === 'msg_redirect_hash' ? 'sockhash' : 'sockmap';
  const s = staticSym(cx, a[1]);
  let map: MapDef | undefined;
  if (s?.k === 'map' && s.def.kind === want) map = s.def;
  else {
    const other = want === 'sockhash' ? 'msg_redirect_map' : 'msg_redirect_hash';
    const what = s?.k === 'map' ? `'${s.def.name}' is a ${s.def.kind} map` : 'this is not a map';
    const hint = s?.k === 'map' && (s.def.kind === 'sockhash' || s.def.kind === 'sockmap') ? `use ${other} for a ${s.def.kind === 'sockhash' ? 'SockHash' : 'SockMap'}` : undefined;
    cx.error('SOCKMAP', a[1].pos, `${name} needs a ${want === 'sockhash' ? 'SockHash' : 'SockMap'} here: ${what}`, hint);
    if (a[1].k !== 'Ident') checkExpr(cx, a[1]);
  }
  const key = map ? keyArg(cx, a[2], map.key!, 'key') : want === 'sockmap' ? arg(cx, a[2], INT.u32, 'index') : checkExpr(cx, a[2]);
  const flags = arg(cx, a[3], INT.u64, 'flags');
  if (!map || [c, key, flags].some((x) => x.k === 'err')) return err(pos);
  return { k: 'intrinsic', name, args: [c, key, flags], map, max: 1n, ty: INT.u32, pos };
}

/** The view a lookup gives: the struct itself, or Ref<V> for integer values. */
export function valueView(v: Ty): Ty {
  return v.k === 'int' || v.k === 'bool' ? { k: 'ref', inner: v } : v;
}

function keyArg(cx: Checker, e: Expr, ty: Ty, what: string): TExpr {
  if (isAggregate(ty)) {
    const v = checkExpr(cx, e, ty);
    if (v.k !== 'err' && !sameTy(v.ty, ty)) {
      cx.error('TYPE_MISMATCH', e.pos, `expected ${tyName(ty)} (${what}) but found ${tyName(v.ty)}`);
      return err(e.pos);
    }
    return v;
  }
  return arg(cx, e, ty, what);
}

function mapMethod(cx: Checker, map: MapDef, method: string, e: Call): TExpr {
  const pos = e.pos;
  const a = e.args;
  const where = `${map.name}.${method}`;
  if (map.kind === 'ringbuf') {
    switch (method) {
      case 'reserve': {
        if (e.typeArgs.length !== 1) {
          cx.error('ARGS', pos, `${where} needs the record type: ${where}<MyEvent>()`);
          return err(pos);
        }
        const t = cx.resolveType(e.typeArgs[0]);
        if (!argCount(cx, e, 0, 0, where) || t.k === 'err') return err(pos);
        if (t.k !== 'struct') {
          cx.error('ARGS', e.typeArgs[0].pos, `${where} reserves a struct, not ${tyName(t)}`);
          return err(pos);
        }
        return { k: 'reserve', map, size: t.def.size, ty: { k: 'nullable', inner: t, space: 'ringbuf' }, pos };
      }
      case 'submit':
      case 'discard': {
        if (!argCount(cx, e, 1, 2, where)) return err(pos);
        const rec = checkExpr(cx, a[0]);
        if (rec.k !== 'err' && !(rec.k === 'local' && rec.sym.ty.k === 'nullable' && rec.sym.ty.space === 'ringbuf')) {
          cx.error('ARGS', a[0].pos, `${where} takes a record from ${map.name}.reserve<T>()`);
        } else if (rec.k === 'local' && rec.ty.k === 'nullable') {
          cx.error('NULLABLE', a[0].pos, `'${rec.sym.name}' may be null: submit it only after checking it`, `if (!${rec.sym.name}) return …;`);
        } else if (rec.k === 'local') release(cx, rec.sym, pos);
        const flags = a[1] ? arg(cx, a[1], INT.u64, 'flags') : { k: 'const' as const, value: 0n, ty: INT.u64, pos };
        return { k: 'intrinsic', name: `ringbuf_${method}`, args: [rec, flags], map, ty: VOID, pos };
      }
      case 'output': {
        if (!argCount(cx, e, 1, 2, where)) return err(pos);
        const rec = viewArg(cx, a[0], where, false)!;
        const flags = a[1] ? arg(cx, a[1], INT.u64, 'flags') : { k: 'const' as const, value: 0n, ty: INT.u64, pos };
        return { k: 'intrinsic', name: 'ringbuf_output', args: [rec, flags], map, ty: INT.i64, pos };
      }
    }
    cx.error('UNKNOWN_MEMBER', pos, `RingBuf has no method '${method}'`, 'methods: reserve<T>(), submit(r), discard(r), output(value)');
    return err(pos);
  }
  if (map.kind === 'sockhash' || map.kind === 'sockmap') {
    const how = map.kind === 'sockhash' ? `msg_redirect_hash(ctx, ${map.name}, key, flags)` : `msg_redirect_map(ctx, ${map.name}, index, flags)`;
    cx.error('SOCKMAP', pos, `a ${map.kind === 'sockhash' ? 'SockHash' : 'SockMap'} has no method '${method}' in kernel programs`, `send a message to one of its sockets with ${how}; user space adds sockets (map.set(key, socketFd))`);
    return err(pos);
  }
  if (!map.key || !map.value) {
    cx.error('UNKNOWN_MEMBER', pos, `a ${map.kind} map has no method '${method}'`, map.kind === 'prog_array' ? 'use tail_call(ctx, map, index)' : 'use redirect_map(map, key, flags)');
    return err(pos);
  }
  switch (method) {
    case 'lookup': {
      if (!argCount(cx, e, 1, 1, where)) return err(pos);
      const key = keyArg(cx, a[0], map.key, 'key');
      return { k: 'lookup', map, key, ty: { k: 'nullable', inner: valueView(map.value), space: 'map' }, pos };
    }
    case 'update': {
      if (!argCount(cx, e, 2, 3, where)) return err(pos);
      const key = keyArg(cx, a[0], map.key, 'key');
      const value = keyArg(cx, a[1], map.value, 'value');
      const flags = a[2] ? arg(cx, a[2], INT.u64, 'flags') : { k: 'const' as const, value: 0n, ty: INT.u64, pos };
      return { k: 'intrinsic', name: 'map_update', args: [key, value, flags], map, ty: INT.i64, pos };
    }
    case 'delete': {
      if (!argCount(cx, e, 1, 1, where)) return err(pos);
      return { k: 'intrinsic', name: 'map_delete', args: [keyArg(cx, a[0], map.key, 'key')], map, ty: INT.i64, pos };
    }
  }
  cx.error('UNKNOWN_MEMBER', pos, `map '${map.name}' has no method '${method}'`, 'methods: lookup(key), update(key, value, flags?), delete(key)');
  return err(pos);
}

function localCall(cx: Checker, fn: FuncInfo, e: Call): TExpr {
  const pos = e.pos;
  if (e.typeArgs.length) cx.error('UNSUPPORTED', pos, 'type arguments on local functions are not supported');
  cx.ensureChecked(fn, pos);
  if (cx.current) {
    let edges = cx.calls.get(cx.current);
    if (!edges) cx.calls.set(cx.current, (edges = new Set()));
    edges.add(fn);
  }
  if (e.args.length !== fn.params.length) {
    cx.error('ARGS', pos, `${fn.name} takes ${fn.params.length} argument${fn.params.length === 1 ? '' : 's'}, not ${e.args.length}`);
    return err(pos);
  }
  const args = e.args.map((x, i) => {
    const p = fn.params[i];
    if (p.ty.k === 'ctx' || isAggregate(p.ty)) {
      const v = checkExpr(cx, x);
      const ok = p.ty.k === 'ctx' && v.ty.k === 'ctx' ? ctxAssignable(v.ty.ctx, p.ty.ctx) && (!p.ty.rec || p.ty.rec === v.ty.rec) : sameTy(v.ty, p.ty);
      if (v.k !== 'err' && !ok) cx.error('TYPE_MISMATCH', x.pos, `expected ${tyName(p.ty)} for '${p.name}' but found ${tyName(v.ty)}`);
      return v;
    }
    return arg(cx, x, p.ty, `argument '${p.name}' of ${fn.name}`);
  });
  if (fn.adjustsPacket) {
    cx.packetEpoch++;
    cx.packetChanger = `a call of ${fn.name}`;
  }
  if (fn.ret.k === 'err') return err(pos);
  return { k: 'call', fn, args, ty: fn.ret, pos };
}

