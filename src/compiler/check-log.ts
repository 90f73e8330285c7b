/**
 * `log.error|warn|info|debug|trace(ctx, "format {} {:ip}", …)`: the format is a literal, parsed
 * and matched against the arguments at build time (count, and each argument's type against its
 * placeholder, through src/log's parseFormat/argKindFor), and the record is laid out
 * (layoutRecord). `log.configure({ ringSize })` is a module-level build setting.
 */
import type { Expr } from './ast.js';
import { type Checker, err } from './check-context.js';
import { checkExpr } from './check-expr.js';
import { LOG_LEVELS, LogFormatError, argKindFor, layoutRecord, parseFormat, type LogLevelName } from '../log/abi.js';
import { TsbpfError } from '../errors.js';
import type { LogArgInfo, TExpr } from './typed.js';
import { INT, type Ty, fits, sizeOf, tyName } from './types.js';

type Call = Expr & { k: 'Call' };

const LEVELS = new Set<string>(LOG_LEVELS);
const FORMAT_HINT = 'placeholders: {} {:x} {:X} {:ip} {:mac}, one argument each; {{ and }} print braces';
const MIN_RING = 4096;
const MAX_RING = 1 << 30;

/** `log.<method>(…)` inside a function. */
export function checkLogCall(cx: Checker, method: string, e: Call): TExpr {
  const pos = e.pos;
  if (method === 'configure') {
    cx.error('LOG', pos, 'log.configure is a build setting: call it at module level, outside programs');
    return err(pos);
  }
  if (!LEVELS.has(method)) {
    cx.error('UNKNOWN_MEMBER', pos, `log has no method '${method}'`, 'levels: log.error, log.warn, log.info, log.debug, log.trace');
    return err(pos);
  }
  const level = method as LogLevelName;
  if (e.typeArgs.length) cx.error('LOG', pos, `log.${level} takes no type arguments`);
  const [ctxE, fmtE, ...rest] = e.args;
  const ctx = ctxE ? checkExpr(cx, ctxE) : undefined;
  if (!ctx || (ctx.k !== 'err' && ctx.ty.k !== 'ctx')) {
    cx.error('LOG', ctxE?.pos ?? pos, `log.${level} needs the program's context first: log.${level}(ctx, "…")`);
  }
  if (!fmtE || fmtE.k !== 'Str' || fmtE.subst) {
    cx.error('LOG', fmtE?.pos ?? pos, `log.${level} needs a string literal as its format: log.${level}(ctx, "text {}", value)`);
    for (const x of rest) checkExpr(cx, x);
    return err(pos);
  }
  let fmt;
  try {
    fmt = parseFormat(fmtE.value);
  } catch (x) {
    if (!(x instanceof LogFormatError)) throw x;
    cx.error('LOG', formatPos(cx, fmtE, x.index), x.message, FORMAT_HINT);
    for (const a of rest) checkExpr(cx, a);
    return err(pos);
  }
  if (fmt.holes.length !== rest.length) {
    const n = fmt.holes.length;
    const where = rest.length > n ? rest[n].pos : fmtE.pos;
    cx.error('LOG', where, `the format has ${n} placeholder${n === 1 ? '' : 's'} but ${rest.length} value${rest.length === 1 ? ' follows' : 's follow'}`, FORMAT_HINT);
  }
  let ok = ctx !== undefined && ctx.ty.k === 'ctx' && fmt.holes.length === rest.length;
  const args: TExpr[] = [];
  const kinds: Omit<LogArgInfo, 'offset'>[] = [];
  rest.forEach((x, i) => {
    const hint = fmt.holes[i] ?? '';
    let v = checkExpr(cx, x);
    if (v.k === 'err') {
      ok = false;
      return;
    }
    if (v.ty.k === 'lit' && v.k === 'const') {
      // an untyped constant: the smallest of u32/u64 (i32/i64 when negative) that holds it
      const ty = v.value < 0n ? (fits(v.value, INT.i32) ? INT.i32 : INT.i64) : fits(v.value, INT.u32) ? INT.u32 : INT.u64;
      v = { ...v, ty };
    }
    const k = kindOf(v.ty, hint);
    if (typeof k === 'string') {
      cx.error('LOG', x.pos, `argument ${i + 1} (${fmtHole(hint)}): ${k}`);
      ok = false;
      return;
    }
    args.push(v);
    kinds.push({ ...k, hint });
  });
  if (!ok) return err(pos);
  let layout;
  try {
    layout = layoutRecord(kinds);
  } catch (x) {
    if (!(x instanceof TsbpfError)) throw x;
    cx.error('LOG', pos, x.message, x.hint);
    return err(pos);
  }
  const info = {
    level, text: fmt.text, size: layout.size, stack: layout.stack,
    args: kinds.map((k, i) => ({ ...k, offset: layout.offsets[i] })),
  };
  return { k: 'intrinsic', name: 'log', args: [ctx!, ...args], log: info, ty: { k: 'void' }, pos };
}

const fmtHole = (hint: string): string => (hint ? `{:${hint}}` : '{}');

/** The record kind of a checked argument for its placeholder, or why it cannot be logged. */
function kindOf(t: Ty, hint: ReturnType<typeof parseFormat>['holes'][number]): Omit<LogArgInfo, 'offset' | 'hint'> | string {
  let name: string;
  if (t.k === 'int') {
    // a host-order u32 as an address: stored swapped, so the record holds network order
    if (t.name === 'u32' && hint === 'ip') return { kind: 'ipv4', size: 4, swap: 32, copy: false };
    name = t.name === 'char' ? 'u8' : t.name; // one character prints as its code
  } else if (t.k === 'bool') name = 'bool';
  else if (t.k === 'array' && (t.elem.k === 'int' || t.elem.k === 'bool')) {
    // text (char arrays), byte arrays, and arrays of wider integers as their bytes (an Ipv6Hdr address is be32[4])
    name = t.elem.k === 'int' && t.elem.name === 'char' ? `char[${t.len}]` : `u8[${sizeOf(t)}]`;
  } else if (t.k === 'nullable') return `${tyName(t)} may be null: check it first`;
  else return `a value of type ${tyName(t)} cannot be logged (integers, bool and arrays of integers can)`;
  const k = argKindFor(name, hint);
  if (typeof k === 'string') return k;
  return { kind: k.kind, size: k.size, swap: k.swap, copy: t.k === 'array' };
}

/** The source offset of character `index` of a string literal's value (exact when it has no escapes). */
function formatPos(cx: Checker, lit: Expr, index: number): number {
  const raw = cx.diags.lines.text.slice(lit.pos + 1, lit.pos + 1 + index);
  return raw.includes('\\') ? lit.pos : lit.pos + 1 + index;
}

/** `log.configure({ ringSize: N })` at module level. */
export function logConfigure(cx: Checker, e: Call): void {
  const opts = e.args[0];
  if (e.args.length !== 1 || opts.k !== 'Object') {
    cx.error('LOG', e.pos, 'log.configure takes one options object: log.configure({ ringSize: 65536 })');
    return;
  }
  if (cx.mod.logRingSize !== undefined) cx.error('LOG', e.pos, 'log.configure is called twice');
  for (const p of opts.props) {
    if (p.kind !== 'init' || p.name !== 'ringSize') {
      cx.error('LOG', p.pos, `unknown log option '${p.name}'`, 'options: ringSize (bytes of the log ring buffer)');
      continue;
    }
    const v = checkExpr(cx, p.value);
    if (v.k === 'err') continue;
    const n = v.k === 'const' && v.ty.k !== 'bool' ? v.value : undefined;
    if (n === undefined || n < MIN_RING || n > MAX_RING || (n & (n - 1n)) !== 0n) {
      cx.error('LOG', p.value.pos, `ringSize must be a constant power of 2 from ${MIN_RING} to 2^30 (bytes)${n !== undefined ? `, not ${n}` : ''}`, 'e.g. log.configure({ ringSize: 65536 })');
      continue;
    }
    cx.mod.logRingSize = Number(n);
  }
}
