/**
 * Context methods and the helpers of the program types beyond XDP: `ctx.header<T>(offset)`
 * (packet views: XDP, tc, cgroup_skb read-only, sockopt buffers), `ctx.load<T>(offset)` (a copy
 * through bpf_skb_load_bytes), `ctx.arg(n)`/`ctx.ret()` (probes, tracepoints, tracing), the
 * sk_buff helpers of tc (packet-changing ones make earlier packet views stale, as the verifier
 * does) and the tracing helpers (current task, probe reads into new stack buffers).
 */
import type { Expr } from './ast.js';
import { type Checker, err } from './check-context.js';
import { checkExpr } from './check-expr.js';
import { ctxAssignable, ctxDesc, ctxMembers } from './contexts.js';
import type { TExpr } from './typed.js';
import { kernelFunctionArgs } from './vmlinux.js';
import { type CtxName, INT, type Ty, alignOf, isAggregate, sizeOf, tyName } from './types.js';

type Call = Expr & { k: 'Call' };

function count(cx: Checker, e: Call, min: number, max: number, name: string): boolean {
  if (e.args.length >= min && e.args.length <= max) return true;
  cx.error('ARGS', e.pos, `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${e.args.length}`);
  for (const a of e.args) if (a.k !== 'Ident') checkExpr(cx, a);
  return false;
}

function arg(cx: Checker, e: Expr, ty: Ty, what: string): TExpr {
  return cx.coerce(checkExpr(cx, e, ty), ty, what);
}

/** The program's context as a helper argument, of one of the `allowed` context types (or bases of them). */
export function ctxArgOf(cx: Checker, e: Expr, name: string, allowed?: CtxName[]): TExpr {
  const c = checkExpr(cx, e);
  if (c.k === 'err') return c;
  if (c.ty.k !== 'ctx') {
    cx.error('ARGS', e.pos, `${name} needs the program's context (ctx) here`);
    return err(e.pos);
  }
  const from = c.ty.ctx;
  if (allowed && !allowed.some((a) => ctxAssignable(from, a))) {
    cx.error('ARGS', e.pos, `${name} is not available with ${from} (the kernel offers it to ${allowed.join(', ')} programs)`);
    return err(e.pos);
  }
  return c;
}

/** The struct or fixed array a `<T>` names (headers, loads, probe reads). */
function viewType(cx: Checker, e: Call, what: string, example: string, noun = 'the type it reads'): Ty | undefined {
  if (e.typeArgs.length !== 1) {
    cx.error('ARGS', e.pos, `${what} needs ${noun}: ${example}`);
    return undefined;
  }
  const t = cx.resolveType(e.typeArgs[0]);
  if (t.k === 'err') return undefined;
  if (t.k !== 'struct' && t.k !== 'array') {
    cx.error('ARGS', e.typeArgs[0].pos, `${what} reads structs or fixed arrays, not ${tyName(t)}`, 'declare an interface for the bytes you read');
    return undefined;
  }
  return t;
}

/** An unsigned offset into the packet. */
function offsetArg(cx: Checker, x: Expr, size: number): TExpr {
  let off = checkExpr(cx, x, INT.u32);
  if (off.k === 'err') return off;
  if (off.ty.k === 'lit') off = cx.coerce(off, INT.u32, 'offset');
  else if (off.ty.k !== 'int' || off.ty.signed || off.ty.be) {
    cx.error('ARGS', off.pos, `a packet offset must be an unsigned integer, not ${tyName(off.ty)}`);
    return err(x.pos);
  }
  if (off.k === 'const' && off.value + BigInt(size) > 0xffffn) {
    cx.error('CONST_RANGE', off.pos, 'packet offsets stop at 65535');
    return err(x.pos);
  }
  return off;
}

/** `ctx.METHOD(…)` on a context: header, load, arg, ret. */
export function ctxMethod(cx: Checker, ctx: TExpr, method: string, e: Call): TExpr {
  const pos = e.pos;
  const t = ctx.ty as Ty & { k: 'ctx' };
  const d = ctxDesc(t.ctx);
  switch (method) {
    case 'header': {
      if (!d.packet) {
        const hint = d.skbLoad ? 'socket filters cannot point into the packet: copy the bytes with ctx.load<T>(offset)' : undefined;
        cx.error('UNKNOWN_MEMBER', pos, `${t.ctx} has no packet to read with header<T>()`, hint);
        return err(pos);
      }
      const vt = viewType(cx, e, 'ctx.header', 'ctx.header<EthHdr>(0)', 'the header type');
      if (!vt || !count(cx, e, 1, 1, 'ctx.header')) return err(pos);
      if (vt.k !== 'struct') {
        cx.error('ARGS', e.typeArgs[0].pos, `ctx.header reads structs, not ${tyName(vt)}`, 'declare an interface for the bytes you read');
        return err(pos);
      }
      const off = offsetArg(cx, e.args[0], vt.def.size);
      if (off.k === 'err') return off;
      const ro = d.packet.write ? {} : { readonly: true };
      return { k: 'header', ctx, offset: off, def: vt.def, ty: { k: 'nullable', inner: vt, space: 'packet', ...ro }, pos };
    }
    case 'load': {
      if (!d.skbLoad) {
        cx.error('UNKNOWN_MEMBER', pos, `${t.ctx} has no load<T>() (it is for sk_buff programs: tc, socket filters, cgroup_skb)`, d.packet ? 'read the packet with ctx.header<T>(offset)' : undefined);
        return err(pos);
      }
      const vt = viewType(cx, e, 'ctx.load', 'ctx.load<Ipv4Hdr>(14)');
      if (!vt || !count(cx, e, 1, 2, 'ctx.load')) return err(pos);
      const off = offsetArg(cx, e.args[0], sizeOf(vt));
      if (off.k === 'err') return off;
      const ty: Ty = { k: 'nullable', inner: vt, space: 'stack' };
      if (e.args.length === 1) return { k: 'bufcall', name: 'skb_load_bytes', args: [ctx, off], inner: vt, sure: false, ty, pos };
      // relative to the MAC or network header (bpf_skb_load_bytes_relative): the same offsets in every socket type
      const start = checkExpr(cx, e.args[1]);
      if (start.k === 'err') return start;
      if (start.k !== 'const' || (start.value !== 0n && start.value !== 1n)) {
        cx.error('ARGS', e.args[1].pos, 'the second argument of ctx.load is HeaderStart.MAC or HeaderStart.NET');
        return err(pos);
      }
      return { k: 'bufcall', name: 'skb_load_bytes_relative', args: [ctx, off, { ...start, ty: INT.u32 }], inner: vt, sure: false, ty, pos };
    }
    case 'arg': {
      if (!d.args) {
        cx.error('UNKNOWN_MEMBER', pos, `${t.ctx} has no arg(n)`, d.ret !== undefined ? 'a return probe sees the result: ctx.ret()' : undefined);
        return err(pos);
      }
      if (!count(cx, e, 1, 1, 'ctx.arg')) return err(pos);
      const n = checkExpr(cx, e.args[0]);
      if (n.k === 'err') return n;
      if (n.k !== 'const' || n.value < 0n || n.value >= BigInt(d.args.length)) {
        cx.error('ARGS', e.args[0].pos, `ctx.arg takes a constant argument number from 0 to ${d.args.length - 1}`, t.ctx === 'KprobeContext' ? 'x86-64 passes the first six arguments in registers (rdi, rsi, rdx, rcx, r8, r9)' : undefined);
        return err(pos);
      }
      return { k: 'ctxfield', ctx, offset: d.args[Number(n.value)], load: 8, writable: false, ty: INT.u64, pos };
    }
    case 'ret': {
      if (d.ret === undefined) {
        cx.error('UNKNOWN_MEMBER', pos, `${t.ctx} has no ret(): only return probes (kretprobe, uretprobe) and fexit programs see the result`);
        return err(pos);
      }
      if (!count(cx, e, 0, 0, 'ctx.ret')) return err(pos);
      let offset = d.ret;
      if (offset === 'btf') {
        const n = cx.fexitTarget === undefined ? undefined : kernelFunctionArgs(cx.fexitTarget);
        if (n === undefined) {
          cx.error('ARGS', pos, "ctx.ret() of an fexit program needs the traced function's argument count, found only in the program's own body", `read it as ctx.arg(N) where N is the number of arguments of the function`);
          return err(pos);
        }
        if (typeof n === 'string') {
          cx.error('ARGS', pos, n, 'read the result as ctx.arg(N), N = the number of arguments of the traced function');
          return err(pos);
        }
        offset = n * 8;
      }
      return { k: 'ctxfield', ctx, offset, load: 8, writable: false, ty: INT.u64, pos };
    }
  }
  cx.error('UNKNOWN_MEMBER', e.callee.k === 'Member' ? e.callee.namePos : pos, `${tyName(t)} has no method '${method}'`);
  return err(pos);
}

/** What the checker types a helper call as (see checkHelper). */
type HelperSig = { ctx?: CtxName[]; args: Ty[]; ret: Ty; changesPacket?: boolean; raw?: number[] };

const i64 = INT.i64, u64 = INT.u64, u32 = INT.u32;
const TC: CtxName[] = ['TcContext'];
const SKB: CtxName[] = ['SkBuffContext'];
const MSG: CtxName[] = ['SkMsgContext'];

/** Helpers of the sk_buff and tracing program types: context first (when `ctx`), then `args`. */
const HELPERS: Record<string, HelperSig> = {
  // from/to are the field's old and new bytes as they are (be16/be32 values or host integers)
  l3_csum_replace: { ctx: TC, args: [u32, u64, u64, u64], ret: i64, changesPacket: true, raw: [1, 2] },
  l4_csum_replace: { ctx: TC, args: [u32, u64, u64, u64], ret: i64, changesPacket: true, raw: [1, 2] },
  clone_redirect: { ctx: TC, args: [u32, u64], ret: i64, changesPacket: true },
  skb_change_head: { ctx: TC, args: [u32, u64], ret: i64, changesPacket: true },
  skb_change_tail: { ctx: TC, args: [u32, u64], ret: i64, changesPacket: true },
  skb_pull_data: { ctx: TC, args: [u32], ret: i64, changesPacket: true },
  skb_vlan_push: { ctx: TC, args: [INT.be16, INT.u16], ret: i64, changesPacket: true },
  skb_vlan_pop: { ctx: TC, args: [], ret: i64, changesPacket: true },
  skb_adjust_room: { ctx: TC, args: [INT.i32, u32, u64], ret: i64, changesPacket: true },
  get_hash_recalc: { ctx: TC, args: [], ret: u32 },
  get_socket_uid: { ctx: SKB, args: [], ret: u32 },
  get_socket_cookie: { ctx: SKB, args: [], ret: u64 },
  // sk_msg: the verdict's reach (apply/cork) and the message's bytes (pull/push/pop change data/data_end)
  msg_apply_bytes: { ctx: MSG, args: [u32], ret: i64 },
  msg_cork_bytes: { ctx: MSG, args: [u32], ret: i64 },
  msg_pull_data: { ctx: MSG, args: [u32, u32, u64], ret: i64, changesPacket: true },
  msg_push_data: { ctx: MSG, args: [u32, u32, u64], ret: i64, changesPacket: true },
  msg_pop_data: { ctx: MSG, args: [u32, u32, u64], ret: i64, changesPacket: true },
  get_current_pid_tgid: { args: [], ret: u64 },
  get_current_uid_gid: { args: [], ret: u64 },
  get_current_cgroup_id: { args: [], ret: u64 },
};

/** Any integer (network byte order too) passed as its bits, zero-extended to 64. */
function rawArg(cx: Checker, x: Expr, what: string): TExpr {
  const v = checkExpr(cx, x, u64);
  if (v.k === 'err') return v;
  if (v.ty.k === 'lit') return cx.coerce(v, u64, what);
  if (v.ty.k !== 'int') {
    cx.error('ARGS', x.pos, `${what} is an integer, not ${tyName(v.ty)}`);
    return err(x.pos);
  }
  if (v.ty.signed) return cx.coerce(v, u64, what); // asks for an explicit conversion
  return v.ty.bits === 64 ? { ...v, ty: u64 } : { k: 'cast', a: v, ty: u64, pos: v.pos };
}

/** The longest string a probe_read_*_str call reads into the stack (the frame is 512 bytes). */
const MAX_STR = 256;

/** Checks a call of one of the helpers above; undefined when `name` is not one of them. */
export function checkHelper(cx: Checker, name: string, e: Call): TExpr | undefined {
  const pos = e.pos;
  const a = e.args;
  const sig = HELPERS[name];
  if (sig) {
    const n = sig.args.length + (sig.ctx ? 1 : 0);
    if (!count(cx, e, n, n, name)) return err(pos);
    const args: TExpr[] = [];
    if (sig.ctx) args.push(ctxArgOf(cx, a[0], name, sig.ctx));
    sig.args.forEach((t, i) => {
      const x = a[i + (sig.ctx ? 1 : 0)];
      const what = `argument ${i + 1 + (sig.ctx ? 1 : 0)} of ${name}`;
      args.push(sig.raw?.includes(i) ? rawArg(cx, x, what) : arg(cx, x, t, what));
    });
    if (args.some((x) => x.k === 'err')) return err(pos);
    if (sig.changesPacket) {
      cx.packetEpoch++;
      cx.packetChanger = name;
    }
    return { k: 'intrinsic', name, args, ty: sig.ret, pos };
  }
  switch (name) {
    case 'skb_store_bytes': {
      if (!count(cx, e, 3, 4, name)) return err(pos);
      const c = ctxArgOf(cx, a[0], name, TC);
      const off = arg(cx, a[1], u32, 'offset');
      const from = checkExpr(cx, a[2]);
      if (from.k !== 'err' && !isAggregate(from.ty)) cx.error('ARGS', a[2].pos, `${name} copies a struct or array view into the packet, not ${tyName(from.ty)}`);
      const flags = a[3] ? arg(cx, a[3], u64, 'flags') : { k: 'const' as const, value: 0n, ty: u64, pos };
      if ([c, off, from, flags].some((x) => x.k === 'err') || !isAggregate(from.ty)) return err(pos);
      cx.packetEpoch++;
      cx.packetChanger = name;
      return { k: 'intrinsic', name, args: [c, off, from, flags], ty: i64, pos };
    }
    case 'sysctl_get_name':
    case 'sysctl_get_current_value':
    case 'sysctl_get_new_value': {
      // the sysctl's name (e.g. net/ipv4/tcp_mem) or value text, into a new buffer of `size` bytes
      if (!count(cx, e, 2, 2, name)) return err(pos);
      const c = ctxArgOf(cx, a[0], name, ['SysctlContext']);
      const size = checkExpr(cx, a[1]);
      if (c.k === 'err' || size.k === 'err') return err(pos);
      if (size.k !== 'const' || size.value < 1n || size.value > BigInt(MAX_STR)) {
        cx.error('ARGS', a[1].pos, `${name} takes a constant size from 1 to ${MAX_STR} (the bytes of the buffer)`);
        return err(pos);
      }
      const inner: Ty = { k: 'array', elem: INT.char, len: Number(size.value) };
      return { k: 'bufcall', name, args: [c], inner, sure: false, ty: { k: 'nullable', inner, space: 'stack' }, pos };
    }
    case 'sysctl_set_new_value': {
      if (!count(cx, e, 2, 2, name)) return err(pos);
      const c = ctxArgOf(cx, a[0], name, ['SysctlContext']);
      const v = checkExpr(cx, a[1]);
      if (v.k !== 'err' && !isAggregate(v.ty)) cx.error('ARGS', a[1].pos, `${name} takes the new value's text as a char array view, not ${tyName(v.ty)}`);
      if (c.k === 'err' || v.k === 'err' || !isAggregate(v.ty)) return err(pos);
      return { k: 'intrinsic', name, args: [c, v], ty: i64, pos };
    }
    case 'get_current_comm': {
      if (!count(cx, e, 0, 0, name)) return err(pos);
      const inner: Ty = { k: 'array', elem: INT.char, len: 16 };
      return { k: 'bufcall', name, args: [], inner, sure: true, ty: inner, pos };
    }
    case 'probe_read_kernel':
    case 'probe_read_user': {
      const vt = viewType(cx, e, name, `${name}<MyStruct>(pointer)`);
      if (!vt || !count(cx, e, 1, 1, name)) return err(pos);
      const p = arg(cx, a[0], u64, 'pointer');
      if (p.k === 'err') return p;
      if (sizeOf(vt) > MAX_STR * 2) {
        cx.error('ARGS', pos, `${name} of ${sizeOf(vt)} bytes would not fit the stack`, `read at most ${MAX_STR * 2} bytes at a time`);
        return err(pos);
      }
      return { k: 'bufcall', name, args: [p], inner: vt, sure: false, ty: { k: 'nullable', inner: vt, space: 'stack' }, pos };
    }
    case 'probe_read_kernel_str':
    case 'probe_read_user_str': {
      if (!count(cx, e, 2, 2, name)) return err(pos);
      const p = arg(cx, a[0], u64, 'pointer');
      const size = checkExpr(cx, a[1]);
      if (p.k === 'err' || size.k === 'err') return err(pos);
      if (size.k !== 'const' || size.value < 1n || size.value > BigInt(MAX_STR)) {
        cx.error('ARGS', a[1].pos, `${name} takes a constant size from 1 to ${MAX_STR} (the bytes of the string buffer)`);
        return err(pos);
      }
      const inner: Ty = { k: 'array', elem: INT.char, len: Number(size.value) };
      return { k: 'bufcall', name, args: [p], inner, sure: false, ty: { k: 'nullable', inner, space: 'stack' }, pos };
    }
  }
  return undefined;
}

/** `ctx.NAME`: a field of the context (contexts.ts), or of a tracepoint's record. */
export function ctxMember(cx: Checker, base: TExpr, t: Ty & { k: 'ctx' }, name: string, namePos: number, pos: number): TExpr {
  const d = ctxDesc(t.ctx);
  if (name === 'len' && d.lenFromPacket) return { k: 'ctxlen', ctx: base, ty: INT.u32, pos };
  const f = d.fields.find((x) => x.name === name);
  if (f) {
    if (isAggregate(f.ty)) {
      const v: TExpr & { k: 'ctxview' } = { k: 'ctxview', ctx: base, offset: f.offset, writable: f.writable === true, ty: f.ty, pos };
      if (f.deref) v.deref = true;
      if (!d.wideLoads) v.maxLoad = alignOf(f.ty);
      return v;
    }
    return { k: 'ctxfield', ctx: base, offset: f.offset, load: f.load ?? (sizeOf(f.ty) as 1 | 2 | 4 | 8), writable: f.writable === true, ty: f.ty, pos };
  }
  const rf = t.rec?.fields.find((x) => x.name === name);
  if (rf && d.recordAt !== undefined) {
    const offset = d.recordAt + rf.offset;
    if (rf.bits) {
      cx.error('UNSUPPORTED', namePos, `bit fields of a tracepoint record are not supported`, 'read the whole integer');
      return err(pos);
    }
    if (isAggregate(rf.ty)) return { k: 'ctxview', ctx: base, offset, writable: false, ty: rf.ty, pos };
    return { k: 'ctxfield', ctx: base, offset, load: sizeOf(rf.ty) as 1 | 2 | 4 | 8, writable: false, ty: rf.ty, pos };
  }
  if (['header', 'load', 'arg', 'ret'].includes(name)) {
    cx.error('BAD_OPERAND', pos, `ctx.${name} is a method: ctx.${name === 'header' || name === 'load' ? `${name}<T>(offset)` : name === 'arg' ? 'arg(n)' : 'ret()'}`);
    return err(pos);
  }
  const members = [ctxMembers(d), ...(t.rec ? t.rec.fields.map((x) => x.name) : [])].filter((x) => x).join(', ');
  const hint = d.recordAt !== undefined && !t.rec ? 'declare the record: (ctx: TracepointContext<MyRecord>) with the fields of the tracepoint\'s format file' : `members: ${members}`;
  cx.error('UNKNOWN_MEMBER', namePos, `${tyName(t)} has no member '${name}'`, hint);
  return err(pos);
}
