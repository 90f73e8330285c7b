/**
 * Program declarations: `export const NAME = KIND([target,] [options,] (ctx) => { … })` for every
 * kind of program-kinds.ts. Checks the target string (a kernel function, a tracepoint, a
 * direction), picks the ELF section, types the context parameter, checks the body against the
 * kind's return rule, and the constant (and bounded) values returned against the range the
 * verifier enforces for the kind.
 */
import type { Block, Expr } from './ast.js';
import type { Checker } from './check-context.js';
import { maxOf } from './check-ops.js';
import { emptyResv } from './check-resv.js';
import { resolveType } from './check-types.js';
import { checkFunctionBody } from './check-stmt.js';
import { ctxAssignable } from './contexts.js';
import { type ProgKind, progKind } from './program-kinds.js';
import type { ProgramInfo, TExpr, TStmt } from './typed.js';
import { INT, type Ty, VOID, tyName } from './types.js';

type Call = Expr & { k: 'Call' };

interface Pending {
  body: Block | Expr;
  ctxName?: string;
  ctxPos: number;
  ctxType?: import('./ast.js').TypeNode;
}

const pending = new WeakMap<ProgramInfo, Pending>();

export function programDecl(cx: Checker, kind: ProgKind, name: string, namePos: number, call: Call): void {
  const d = progKind(kind);
  const args = [...call.args];
  const usage = `${d.fn}(${d.target ? `${d.target.required ? '' : '['}"${d.target.what}"${d.target.required ? '' : ']'}, ` : ''}${kind === 'xdp' ? '[{ frags: true }, ]' : ''}(ctx) => { … })`;
  // the target string
  let target: string | undefined;
  if (d.target && args[0]?.k === 'Str' && !args[0].subst) {
    const s = args.shift()!;
    target = (s as Expr & { k: 'Str' }).value;
    const t = d.target;
    if (t.choices && !t.choices.includes(target)) {
      cx.error('PROGRAM', s.pos, `${d.fn} takes ${t.choices.map((c) => `"${c}"`).join(' or ')}, not "${target}"`, `e.g. ${t.example}`);
    } else if (t.pattern && !t.pattern.test(target)) {
      cx.error('PROGRAM', s.pos, `"${target}" is not a ${t.what}`, `e.g. ${t.example}`);
    }
  } else if (d.target?.required) {
    cx.error('PROGRAM', args[0]?.pos ?? call.pos, `${d.fn} needs its ${d.target.what} first`, `e.g. ${d.target.example}`);
  }
  let section = d.section(target);
  // xdp options
  if (kind === 'xdp' && args.length === 2) {
    const opts = args.shift()!;
    if (opts.k !== 'Object') cx.error('PROGRAM', opts.pos, 'xdp options are an object: xdp({ frags: true }, (ctx) => …)');
    else {
      for (const p of opts.props) {
        if (p.name === 'frags' && p.kind === 'init' && p.value.k === 'Bool') section = p.value.value ? 'xdp.frags' : 'xdp';
        else cx.error('PROGRAM', p.pos, `unknown xdp option '${p.name}'`, 'options: frags: true | false');
      }
    }
  }
  if (args.length !== 1) {
    cx.error('PROGRAM', call.pos, `${d.fn} takes ${args.length ? 'these arguments' : 'the program function'}: ${usage}`);
    return;
  }
  const fn = args[0];
  if (fn.k !== 'Arrow' && fn.k !== 'FuncExpr') {
    cx.error('PROGRAM', fn.pos, `${d.fn} needs a function: ${usage}`);
    return;
  }
  if (fn.async) cx.error('ASYNC', fn.pos, 'programs cannot be async');
  if (fn.params.length > 1) cx.error('PROGRAM', fn.params[1].pos, `${article(d.fn)} ${d.fn} program takes one parameter: the context (${d.ctx})`);
  const p = fn.params[0];
  const ctxName = p?.name;
  const ret: Ty = d.ret === 'errno' ? INT.i32 : d.ret === 'verdict' ? INT.u32 : VOID;
  const info: ProgramInfo = {
    name, kind, section, target,
    ctx: { name: ctxName ?? 'ctx', ty: { k: 'ctx', ctx: d.ctx }, mutable: false, pos: p?.pos ?? fn.pos, id: 0 },
    ret, body: [], pos: namePos,
  };
  pending.set(info, { body: fn.body, ctxName, ctxPos: p?.pos ?? fn.pos, ctxType: p?.type });
  cx.mod.programs.push(info);
  cx.declareModule(name, { k: 'program', name }, namePos);
}

export function programBody(cx: Checker, p: ProgramInfo): void {
  const src = pending.get(p);
  if (!src) return;
  const d = progKind(p.kind);
  cx.pushScope();
  try {
    let ctxTy: Ty = p.ctx.ty;
    if (src.ctxType) {
      const t = resolveType(cx, src.ctxType);
      if (t.k === 'ctx' && ctxAssignable(d.ctx, t.ctx)) ctxTy = t;
      else if (t.k !== 'err') cx.error('PROGRAM', src.ctxType.pos, `${article(d.fn)} ${d.fn} program's parameter is ${d.ctx}, not ${tyName(t)}`, `leave the type out or write (ctx: ${d.ctx})`);
    }
    p.ctx = { ...p.ctx, ty: ctxTy };
    if (src.ctxName) p.ctx = cx.declareLocal(src.ctxName, ctxTy, false, src.ctxPos);
    cx.current = undefined;
    cx.packetEpoch = 0;
    cx.nonNull = new Set();
    cx.resv = [];
    cx.rs = emptyResv();
    cx.retNegativeOk = d.negativeOk === true;
    cx.retBoolOk = true;
    cx.fexitTarget = p.kind === 'fexit' ? p.target : undefined;
    // verdicts and errnos have a type; tracing programs may return nothing (0) or an integer
    const want = d.ret === 'verdict' || d.ret === 'errno' ? p.ret : undefined;
    const r = checkFunctionBody(cx, [p.ctx], src.body, want, p.pos, `program '${p.name}'`);
    cx.retNegativeOk = false;
    cx.retBoolOk = false;
    cx.fexitTarget = undefined;
    p.body = r.body;
    p.ret = r.ret;
    checkReturns(cx, p);
  } finally {
    cx.popScope();
  }
}

/** Return values against the kind's rule: the verifier refuses a program that may return outside it. */
function checkReturns(cx: Checker, p: ProgramInfo): void {
  const d = progKind(p.kind);
  const t = p.ret;
  if (t.k === 'err') return;
  if (t.k !== 'void' && t.k !== 'bool' && !(t.k === 'int' && t.bits <= 64)) {
    cx.error('RETURN', p.pos, `program '${p.name}' returns ${tyName(t)}; programs return integers`);
    return;
  }
  const range: [bigint, bigint] | undefined = d.ret === 'zero' ? [0n, 0n] : d.range?.(p.target);
  if (!range) return;
  for (const r of returns(p.body)) {
    const v = r.value;
    if (!v || v.k === 'err') continue;
    if (v.k === 'const') {
      const x = t.k === 'int' && t.signed ? BigInt.asIntN(t.bits, v.value) : v.value;
      if (x < range[0] || x > range[1]) cx.error('RETURN', v.pos, `${article(d.fn)} ${d.fn} program returns ${rangeText(range)}, not ${x}`, hintFor(p.kind));
      continue;
    }
    // a computed value: its type (bool) or known bounds must keep it in range
    if (range[0] >= 0n && bound(cx, unwrap(v)) <= range[1]) continue;
    if (range[0] < 0n) continue; // errno ranges: the verifier checks what it can prove
    cx.error('RETURN', v.pos, `${article(d.fn)} ${d.fn} program returns ${rangeText(range)}; this value may be larger, and ${d.outOfRange ?? 'the verifier would refuse the program'}`, `return constants (or a bool, or x & ${range[1]})`);
  }
}

/** An upper bound of a returned value: bools are 0/1, a conditional the larger of its two. */
function bound(cx: Checker, e: TExpr): bigint {
  if (e.ty.k === 'bool') return 1n;
  if (e.k === 'cond') {
    const a = bound(cx, unwrap(e.a));
    const b = bound(cx, unwrap(e.b));
    return a > b ? a : b;
  }
  if (e.k === 'const') return e.value < 0n ? (1n << 64n) : e.value;
  return maxOf(cx, e);
}

/** The article before a declaration's name, as it is read aloud (an fentry, an lsm, a tc, a kprobe). */
function article(word: string): string {
  return ['fentry', 'fexit', 'lsm', 'xdp'].includes(word) ? 'an' : 'a';
}

function unwrap(e: TExpr): TExpr {
  return e.k === 'cast' ? unwrap(e.a) : e;
}

function rangeText([lo, hi]: [bigint, bigint]): string {
  if (lo === hi) return String(lo);
  if (hi - lo === 1n) return `${lo} or ${hi}`;
  return `${lo}…${hi}`;
}

function hintFor(kind: ProgKind): string | undefined {
  switch (kind) {
    case 'cgroup_skb':
      return '1 lets the packet through, 0 drops it (egress also 2: drop with congestion notification, 3: pass with it)';
    case 'fentry':
    case 'fexit':
      return 'fentry/fexit programs cannot change the traced function: return 0 or nothing';
    case 'lsm':
      return 'return 0 to allow, or a negative errno (-1 = -EPERM) to deny';
    case 'sk_msg':
      return 'SkAction.PASS (1) lets the message go, SkAction.DROP (0) refuses it; msg_redirect_hash/msg_redirect_map return one of them';
    default:
      return '1 allows, 0 denies';
  }
}

/** Every return statement of a body (nested blocks, branches, loops, switch cases). */
function returns(body: TStmt[]): (TStmt & { k: 'return' })[] {
  const out: (TStmt & { k: 'return' })[] = [];
  const walk = (ss: TStmt[]): void => {
    for (const s of ss) {
      switch (s.k) {
        case 'return':
          out.push(s);
          break;
        case 'if':
          walk(s.then);
          walk(s.else);
          break;
        case 'for':
          walk(s.init);
          walk(s.body);
          break;
        case 'switch':
          for (const c of s.cases) walk(c.body);
          break;
        case 'block':
          walk(s.body);
          break;
      }
    }
  };
  walk(body);
  return out;
}
