/**
 * Calls: helpers (arguments moved into r1–r5, result from r0), the program's functions (inlined,
 * or bpf-to-bpf calls for @noinline ones), map methods (keys and values passed by address: scalars
 * go through a stack slot), ring buffers, atomics, printk (format strings in .rodata).
 */
import { helperByName } from '../abi/index.js';
import { changesPacket } from './effects.js';
import { ARG_REGS, FP, type Opnd, R0, type VReg } from './ir.js';
import type { FnBuilder, Val } from './lower-fn.js';
import { width } from './lower-fn.js';
import { cast, clean, ctxReg, inReg, opnd, value } from './lower-expr.js';
import { bindingView, placeOf, viewOf } from './lower-mem.js';
import { type LogSiteFn, lowerLog } from './lower-log.js';
import { lowerInline } from './lower-stmt.js';
import { SIZE } from './mem-access.js';
import type { TExpr } from './typed.js';
import { INT, type MapDef, type Ty, VOID, isAggregate, sizeOf } from './types.js';

/** Module-level services lowering needs: .rodata strings and helper ids. */
export interface ModuleCtx {
  /** Interns a printk format; returns its section and offset. */
  string(text: string, owner: string): { section: string; symbol: string; offset: number };
  /** Marks a @noinline function as used. */
  useFunction(name: string): void;
  /** Interns a log call site (lower-log.ts). */
  logSite: LogSiteFn;
}

let moduleCtx: ModuleCtx | undefined;
export function setModuleCtx(m: ModuleCtx | undefined): void {
  moduleCtx = m;
}

export function helperId(name: string): number {
  const h = helperByName(name);
  if (!h) throw new Error(`unknown helper ${name}`);
  return h.id;
}

/** A register, an operand, or a 32-bit immediate argument (moved with a 32-bit mov, as clang does for int arguments). */
type Arg = Opnd | VReg | { imm32: number };

function moveArgs(fb: FnBuilder, args: Arg[]): void {
  args.forEach((a, i) => {
    if (typeof a === 'number') fb.mov(ARG_REGS[i], { r: a }, 64);
    else if ('imm32' in a) fb.mov(ARG_REGS[i], { imm: a.imm32 }, 32);
    else fb.mov(ARG_REGS[i], a, 64);
  });
}

/**
 * Moves arguments into r1.. and calls; returns the result register (a copy of r0). `argBytes`:
 * sizes of pointer arguments the helper knows from elsewhere (map keys and values), by register.
 */
function callHelper(fb: FnBuilder, name: string, args: Arg[], pos: number, ty: Ty = INT.i64, argBytes?: (number | undefined)[]): Val {
  moveArgs(fb, args);
  fb.emit(argBytes ? { op: 'call', helper: helperId(name), nargs: args.length, argBytes, pos } : { op: 'call', helper: helperId(name), nargs: args.length, pos });
  if (ty.k === 'void') return { imm: 0n, ty, dirty: false };
  const r = fb.reg();
  fb.mov(r, { r: R0 });
  return { r, ty, dirty: false };
}

function mapAddr(fb: FnBuilder, map: MapDef, pos: number): VReg {
  const r = fb.reg(true);
  fb.emit({ op: 'ldsym', dst: r, kind: 'map', symbol: map.name, offset: 0, pos });
  return r;
}

/** The address of a key or value: aggregates by their view, scalars stored in a stack slot. */
export function addrOf(fb: FnBuilder, e: TExpr, ty: Ty): VReg {
  if (isAggregate(ty) || e.ty.k === 'struct') return fb.viewAddr(viewOf(fb, e));
  const v = value(fb, e);
  const size = sizeOf(ty);
  const slot = fb.allocTemp(size, size);
  fb.emit({ op: 'st', size: SIZE[size as 1 | 2 | 4 | 8], base: FP, off: slot, src: opnd(fb, v, size === 8 ? 64 : 32), pos: e.pos });
  return fb.stackAddr(slot);
}

/** A map lookup or ring-buffer reservation: the pointer (0 when absent). */
export function nullablePtr(fb: FnBuilder, e: TExpr): VReg {
  if (e.k === 'lookup') {
    const mark = fb.tempMark();
    const key = addrOf(fb, e.key, e.map.key!);
    const m = mapAddr(fb, e.map, e.pos);
    const v = callHelper(fb, 'map_lookup_elem', [m, key], e.pos, INT.i64, [, , sizeOf(e.map.key!)]);
    fb.releaseTemps(mark);
    fb.pointers.add(v.r!);
    return v.r!;
  }
  if (e.k === 'reserve') {
    const m = mapAddr(fb, e.map, e.pos);
    const v = callHelper(fb, 'ringbuf_reserve', [m, { imm: e.size }, { imm: 0 }], e.pos);
    fb.pointers.add(v.r!);
    return v.r!;
  }
  throw new Error(`${e.k} is not a lookup`);
}

export function lowerIntrinsic(fb: FnBuilder, e: TExpr & { k: 'intrinsic' }): Val {
  const pos = e.pos;
  const a = e.args;
  const scalar = (x: TExpr, ty?: Ty): VReg => inReg(fb, clean(fb, ty ? cast(fb, value(fb, x), ty) : value(fb, x)));
  switch (e.name) {
    case 'printk': {
      const s = moduleCtx!.string(e.fmt!, fb.name);
      const fmt = fb.reg(true);
      fb.emit({ op: 'ldsym', dst: fmt, kind: 'data', symbol: s.symbol, section: s.section, offset: s.offset, pos });
      const args: Arg[] = [fmt, { imm32: new TextEncoder().encode(e.fmt!).length + 1 }];
      for (const x of a) {
        const v = clean(fb, value(fb, x));
        const wide = v.ty.k === 'int' && v.ty.signed && v.ty.bits < 64 ? cast(fb, v, INT.i64) : v;
        args.push(opnd(fb, wide, 64));
      }
      return callHelper(fb, 'trace_printk', args, pos);
    }
    case 'log':
      lowerLog(fb, e, moduleCtx!.logSite);
      return { imm: 0n, ty: VOID, dirty: false };
    case 'ktime_get_ns':
    case 'ktime_get_boot_ns':
    case 'get_smp_processor_id':
    case 'get_prandom_u32':
      return callHelper(fb, e.name, [], pos, e.ty);
    case 'redirect':
      return callHelper(fb, 'redirect', [scalar(a[0]), scalar(a[1])], pos, e.ty);
    case 'redirect_map': {
      const k = scalar(a[0]);
      const f = scalar(a[1]);
      return callHelper(fb, 'redirect_map', [mapAddr(fb, e.map!, pos), k, f], pos, e.ty);
    }
    case 'msg_redirect_hash': {
      const mark = fb.tempMark();
      const k = addrOf(fb, a[1], e.map!.key!);
      const f = scalar(a[2]);
      const r = callHelper(fb, e.name, [ctxReg(fb, a[0]), mapAddr(fb, e.map!, pos), k, f], pos, e.ty, [, , sizeOf(e.map!.key!)]);
      fb.releaseTemps(mark);
      return r;
    }
    case 'msg_redirect_map': {
      const k = scalar(a[1]);
      const f = scalar(a[2]);
      return callHelper(fb, e.name, [ctxReg(fb, a[0]), mapAddr(fb, e.map!, pos), k, f], pos, e.ty);
    }
    case 'tail_call': {
      const idx = scalar(a[1]);
      return callHelper(fb, 'tail_call', [ctxReg(fb, a[0]), mapAddr(fb, e.map!, pos), idx], pos, e.ty);
    }
    case 'csum_diff': {
      const ptr = (x: TExpr): [Arg, number] => (x.k === 'const' ? [{ imm: 0 }, 0] : [fb.viewAddr(viewOf(fb, x)), sizeOf(x.ty)]);
      const [from, fromSize] = ptr(a[0]);
      const [to, toSize] = ptr(a[1]);
      const seed = scalar(a[2]);
      return callHelper(fb, 'csum_diff', [from, { imm: fromSize }, to, { imm: toSize }, seed], pos, e.ty);
    }
    case 'csum_fold': {
      // fold the carries twice, then complement: ~((s & 0xffff) + (s >> 16)) & 0xffff
      const s = scalar(a[0]);
      const t = fb.reg();
      const hi = fb.reg();
      fb.mov(t, { r: s });
      for (let k = 0; k < 2; k++) {
        fb.mov(hi, { r: t });
        fb.alu('rsh', hi, { imm: 16 }, 32);
        fb.alu('and', t, { imm: 0xffff }, 32);
        fb.alu('add', t, { r: hi }, 32);
      }
      fb.alu('xor', t, { imm: -1 }, 32);
      fb.alu('and', t, { imm: 0xffff }, 32);
      return { r: t, ty: e.ty, dirty: false };
    }
    case 'fib_lookup': {
      const p = fb.viewAddr(viewOf(fb, a[1]));
      const flags = scalar(a[2]);
      return callHelper(fb, 'fib_lookup', [ctxReg(fb, a[0]), p, { imm: 64 }, flags], pos, e.ty);
    }
    case 'xdp_adjust_head':
    case 'xdp_adjust_tail': {
      const d = scalar(a[1]);
      const r = callHelper(fb, e.name, [ctxReg(fb, a[0]), d], pos, e.ty);
      fb.reloadPacket();
      // the helper returns int: keep the i32 invariant (upper half zero)
      const t = fb.reg();
      fb.mov(t, { r: r.r! }, 32);
      return { r: t, ty: e.ty, dirty: false };
    }
    case 'map_update': {
      const mark = fb.tempMark();
      const k = addrOf(fb, a[0], e.map!.key!);
      const v = addrOf(fb, a[1], e.map!.value!);
      const f = scalar(a[2]);
      const r = callHelper(fb, 'map_update_elem', [mapAddr(fb, e.map!, pos), k, v, f], pos, e.ty, [, , sizeOf(e.map!.key!), sizeOf(e.map!.value!)]);
      fb.releaseTemps(mark);
      return r;
    }
    case 'map_delete': {
      const mark = fb.tempMark();
      const k = addrOf(fb, a[0], e.map!.key!);
      const r = callHelper(fb, 'map_delete_elem', [mapAddr(fb, e.map!, pos), k], pos, e.ty, [, , sizeOf(e.map!.key!)]);
      fb.releaseTemps(mark);
      return r;
    }
    case 'ringbuf_submit':
    case 'ringbuf_discard': {
      const rec = recordPtr(fb, a[0]);
      const f = scalar(a[1]);
      return callHelper(fb, e.name, [rec, f], pos, VOID);
    }
    case 'ringbuf_output': {
      const p = fb.viewAddr(viewOf(fb, a[0]));
      const f = scalar(a[1]);
      return callHelper(fb, 'ringbuf_output', [mapAddr(fb, e.map!, pos), p, { imm: sizeOf(a[0].ty) }, f], pos, e.ty);
    }
    case 'sysctl_set_new_value': {
      const v = fb.viewAddr(viewOf(fb, a[1]));
      return callHelper(fb, e.name, [ctxReg(fb, a[0]), v, { imm32: sizeOf(a[1].ty) }], pos, e.ty);
    }
    case 'skb_store_bytes': {
      const off = scalar(a[1]);
      const from = fb.viewAddr(viewOf(fb, a[2]));
      const f = scalar(a[3]);
      const r = callHelper(fb, e.name, [ctxReg(fb, a[0]), off, from, { imm32: sizeOf(a[2].ty) }, f], pos, e.ty);
      fb.reloadPacket();
      return r;
    }
  }
  if (SKB_HELPERS.has(e.name) || TASK_HELPERS.has(e.name)) {
    const args: Arg[] = a.map((x) => (x.ty.k === 'ctx' ? ctxReg(fb, x) : scalar(x)));
    const r = callHelper(fb, e.name, args, pos, e.ty);
    if (changesPacket(e.name)) fb.reloadPacket();
    return r;
  }
  throw new Error(`no lowering for intrinsic ${e.name}`);
}

/** Helpers called with their checked arguments as they are (the context as a pointer). */
const SKB_HELPERS = new Set([
  'l3_csum_replace', 'l4_csum_replace', 'clone_redirect', 'skb_change_head', 'skb_change_tail', 'skb_pull_data',
  'skb_vlan_push', 'skb_vlan_pop', 'skb_adjust_room', 'get_hash_recalc', 'get_socket_uid', 'get_socket_cookie',
  'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'msg_push_data', 'msg_pop_data',
]);
const TASK_HELPERS = new Set(['get_current_pid_tgid', 'get_current_uid_gid', 'get_current_cgroup_id']);

/** Calls a helper that fills the `size` bytes at FP+`off`; returns its result (< 0: failed). */
export function bufferCall(fb: FnBuilder, e: TExpr & { k: 'bufcall' }, off: number, size: number): VReg {
  const pos = e.pos;
  const scalar = (x: TExpr): VReg => inReg(fb, clean(fb, value(fb, x)));
  let args: Arg[];
  if (e.name === 'skb_load_bytes' || e.name === 'skb_load_bytes_relative') {
    const o = scalar(e.args[1]);
    args = [ctxReg(fb, e.args[0]), o, fb.stackAddr(off), { imm32: size }];
    if (e.args[2]?.k === 'const') args.push({ imm32: Number(e.args[2].value) });
  } else if (e.name.startsWith('sysctl_get_')) {
    args = [ctxReg(fb, e.args[0]), fb.stackAddr(off), { imm32: size }];
    if (e.name === 'sysctl_get_name') args.push({ imm: 0 }); // flags: the full name
  } else if (e.name === 'get_current_comm') {
    args = [fb.stackAddr(off), { imm32: size }];
  } else {
    const p = scalar(e.args[0]);
    args = [fb.stackAddr(off), { imm32: size }, p];
  }
  return callHelper(fb, e.name, args, pos, INT.i64).r!;
}

function recordPtr(fb: FnBuilder, e: TExpr): VReg {
  if (e.k === 'local') {
    const b = fb.bindings.get(e.sym);
    if (b?.k === 'ptr') return b.r;
    if (b) return fb.viewAddr(bindingView(fb, b));
  }
  return fb.viewAddr(viewOf(fb, e));
}

/** Atomic RMW; `used` selects the fetch form (old value returned). */
export function lowerAtomic(fb: FnBuilder, e: TExpr & { k: 'atomic' }, used: boolean): Val {
  const p = placeOf(fb, e.place);
  if (p.k !== 'mem') throw new Error('atomic on a register');
  const size = sizeOf(e.ty) === 8 ? 'u64' : 'u32';
  if (e.op === 'cmpxchg') {
    const expected = clean(fb, value(fb, e.args[0]));
    const nv = inRegCopy(fb, clean(fb, value(fb, e.args[1])));
    fb.mov(R0, opnd(fb, expected, 64), 64);
    fb.emit({ op: 'atomic', aop: 'cmpxchg', size, base: p.base, off: p.off, src: nv, pos: e.pos });
    const r = fb.reg();
    fb.mov(r, { r: R0 }, width(e.ty) === 32 ? 32 : 64);
    return { r, ty: e.ty, dirty: false };
  }
  const src = inRegCopy(fb, clean(fb, value(fb, e.args[0])));
  const fetch = used || e.op === 'xchg';
  const aop = e.op === 'xchg' ? 'xchg' : fetch ? (`fetch_${e.op}` as const) : e.op;
  fb.emit({ op: 'atomic', aop, size, base: p.base, off: p.off, src, pos: e.pos });
  return fetch ? { r: src, ty: e.ty, dirty: false } : { imm: 0n, ty: e.ty, dirty: false };
}

function inRegCopy(fb: FnBuilder, v: Val): VReg {
  const r = fb.reg();
  fb.mov(r, opnd(fb, v, 64), v.imm !== undefined ? width(v.ty) : 64);
  return r;
}

/** A call of one of the program's functions: inlined, or a bpf-to-bpf call when @noinline. */
export function lowerCall(fb: FnBuilder, e: TExpr & { k: 'call' }): Val {
  if (!e.fn.noinline) return lowerInline(fb, e);
  moduleCtx!.useFunction(e.fn.name);
  const args: Arg[] = e.args.map((x, i) => {
    const p = e.fn.params[i];
    if (p.ty.k === 'ctx') return ctxReg(fb, x);
    if (isAggregate(p.ty)) return fb.viewAddr(viewOf(fb, x));
    return opnd(fb, clean(fb, value(fb, x)), 64);
  });
  moveArgs(fb, args);
  fb.emit({ op: 'callsub', name: e.fn.name, nargs: args.length, pos: e.pos });
  if (e.ty.k === 'void') return { imm: 0n, ty: e.ty, dirty: false };
  const r = fb.reg();
  fb.mov(r, { r: R0 }, 64);
  return { r, ty: e.ty, dirty: false };
}
