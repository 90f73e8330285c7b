/**
 * Assignments (plain, compound, struct/array copies), `as` conversions and struct literals.
 */
import type { Expr } from './ast.js';
import { type Checker, err } from './check-context.js';
import { checkExpr } from './check-expr.js';
import { arith, checkPlace } from './check-ops.js';
import type { ArithOp, TExpr } from './typed.js';
import { INT, type Field, type Ty, isAggregate, sameTy, tyName, wrap } from './types.js';

const COMPOUND: Record<string, ArithOp> = {
  '+=': '+', '-=': '-', '*=': '*', '/=': '/', '%=': '%', '&=': '&', '|=': '|', '^=': '^', '<<=': '<<', '>>=': '>>', '>>>=': '>>>',
};

export function assign(cx: Checker, e: Expr & { k: 'Assign' }): TExpr {
  const pos = e.pos;
  const place = checkExpr(cx, e.target);
  if (!checkPlace(cx, place, 'assign to')) {
    checkExpr(cx, e.value);
    return err(pos);
  }
  if (e.op === '=') {
    const v = checkExpr(cx, e.value, place.ty);
    if (isAggregate(place.ty)) {
      if (v.k === 'err') return v;
      if (!sameTy(v.ty, place.ty) || place.k === 'local') {
        cx.error('TYPE_MISMATCH', pos, place.k === 'local' ? 'a struct variable cannot be reassigned; assign its fields' : `cannot assign ${tyName(v.ty)} to ${tyName(place.ty)}`);
        return err(pos);
      }
      return { k: 'copy', place, value: v, ty: place.ty, pos };
    }
    if (place.ty.k === 'nullable') {
      cx.error('UNSUPPORTED', pos, 'views cannot be reassigned', 'declare a new const for the new view');
      return err(pos);
    }
    const value = cx.coerce(v, place.ty, 'assignment');
    if (value.k === 'err') return value;
    return { k: 'assign', place, value, used: true, ty: place.ty, pos };
  }
  const op = COMPOUND[e.op];
  if (!op) {
    cx.error('UNSUPPORTED', pos, `'${e.op}' is not supported`);
    return err(pos);
  }
  const v = checkExpr(cx, e.value, place.ty);
  const r = arith(cx, op, { ...place, pos: place.pos }, v, pos, place.ty);
  if (r.k === 'err') return r;
  if (r.ty.k !== 'int' || place.ty.k !== 'int' || r.ty.name !== place.ty.name) {
    cx.error('TYPE_MISMATCH', pos, `'${e.op}' would give ${tyName(r.ty)}, which does not fit back into ${tyName(place.ty)}`, `convert the right side explicitly: (… as ${tyName(place.ty)})`);
    return err(pos);
  }
  const value = op === '<<' || op === '>>' || op === '>>>' ? (v.ty.k === 'lit' ? { ...v, ty: INT.u32 } : v) : cx.coerce(v, place.ty);
  return { k: 'assign', place, op, value, used: true, ty: place.ty, pos };
}

export function cast(cx: Checker, e: Expr & { k: 'As' }): TExpr {
  const pos = e.pos;
  if (e.type.k === 'TRef' && e.type.name === 'const') return checkExpr(cx, e.expr);
  const to = cx.resolveType(e.type);
  const a = checkExpr(cx, e.expr, to);
  if (a.k === 'err' || to.k === 'err') return err(pos);
  if (e.satisfies) return cx.coerce(a, to, 'satisfies');
  if (to.k === 'int') {
    if (a.k === 'const' && (a.ty.k === 'lit' || a.ty.k === 'int' || a.ty.k === 'bool')) return { k: 'const', value: wrap(a.value, to), ty: to, pos };
    if (a.ty.k === 'int' || a.ty.k === 'bool') return a.ty.k === 'int' && a.ty.name === to.name ? a : { k: 'cast', a, ty: to, pos };
  }
  if (to.k === 'bool' && a.ty.k === 'bool') return a;
  if (sameTy(a.ty, to) && a.ty.k !== 'nullable') return a;
  if (a.ty.k === 'nullable') {
    cx.error('NULLABLE', pos, "'as' cannot remove null: the verifier needs a real check", 'check it first: if (!x) return …;');
    return err(pos);
  }
  cx.error('TYPE_MISMATCH', pos, `cannot convert ${tyName(a.ty)} to ${tyName(to)}`, a.ty.k === 'int' && to.k === 'bool' ? 'compare instead: x !== 0' : undefined);
  return err(pos);
}

export function structLit(cx: Checker, e: Expr & { k: 'Object' }, want?: Ty): TExpr {
  const pos = e.pos;
  if (want?.k !== 'struct') {
    cx.error('OBJECT', pos, 'object literals are supported only as struct values with a declared type');
    return err(pos);
  }
  const def = want.def;
  const inits: { field: Field; value: TExpr }[] = [];
  const seen = new Set<string>();
  for (const p of e.props) {
    if (p.kind !== 'init') {
      cx.error('OBJECT', p.pos, 'only `field: value` entries are allowed in a struct literal');
      continue;
    }
    const f = def.fields.find((x) => x.name === p.name);
    if (!f || f.bits) {
      cx.error('UNKNOWN_MEMBER', p.pos, `'${def.name}' has no field '${p.name}'`);
      continue;
    }
    if (seen.has(p.name)) cx.error('DUPLICATE', p.pos, `field '${p.name}' is given twice`);
    seen.add(p.name);
    if (isAggregate(f.ty)) {
      // a nested struct or array is copied into the new struct
      const a = checkExpr(cx, p.value, f.ty);
      if (a.k === 'err') continue;
      if (!sameTy(a.ty, f.ty)) {
        cx.error('TYPE_MISMATCH', p.value.pos, `field '${p.name}' is ${tyName(f.ty)}, not ${tyName(a.ty)}`);
        continue;
      }
      inits.push({ field: f, value: a });
      continue;
    }
    const v = cx.coerce(checkExpr(cx, p.value, f.ty), f.ty, `field ${p.name}`);
    if (v.k !== 'err') inits.push({ field: f, value: v });
  }
  return { k: 'structlit', def, inits, ty: want, pos };
}

