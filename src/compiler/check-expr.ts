/**
 * Expression checking: names, members (struct fields, context fields, enum members), indexing,
 * unary/binary operators, assignment, conditionals, casts, struct literals. Calls are in
 * check-call.ts. Everything outside the subset gets a diagnostic naming the construct.
 */
import type { Expr } from './ast.js';
import { KERNEL } from './builtins.js';
import { ctxMember } from './check-ctxcall.js';
import { type Checker, type ValueSym, err } from './check-context.js';
import { checkCall } from './check-call.js';
import { assign, cast, structLit } from './check-assign.js';
import { checkUse } from './check-resv.js';
import { arith, checkPlace, compare, factsOf, maxOf, spaceOf, toCond, union } from './check-ops.js';
import type { ArithOp, CmpOp, TExpr } from './typed.js';
import { BOOL, INT, type Field, type Ty, isAggregate, sameTy, tyName, wrap } from './types.js';

const ARITH = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>', '>>>']);
const CMP: Record<string, CmpOp> = { '==': '==', '===': '==', '!=': '!=', '!==': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** Resolves `Name` or `ns.Name` to its symbol without typing it (enums, maps, functions, builtins). */
export function staticSym(cx: Checker, e: Expr): ValueSym | undefined {
  if (e.k === 'Ident') return cx.lookup(e.name);
  if (e.k === 'Paren') return staticSym(cx, e.expr);
  if (e.k === 'Member' && e.obj.k === 'Ident' && cx.lookup(e.obj.name)?.k === 'namespace') {
    const b = KERNEL.get(e.name);
    return b ? (b.k === 'enum' ? { k: 'enum', name: e.name, members: b.members } : b.k === 'const' ? { k: 'const', ty: { k: 'lit' }, value: b.value } : { k: 'builtin', name: e.name, b }) : undefined;
  }
  return undefined;
}

export function checkExpr(cx: Checker, e: Expr, want?: Ty): TExpr {
  const pos = e.pos;
  switch (e.k) {
    case 'Num':
      if (e.value === null) {
        cx.error('FLOAT', pos, `'${e.raw}' is not an integer`);
        return err(pos);
      }
      return { k: 'const', value: e.value, ty: { k: 'lit' }, pos };
    case 'Bool':
      return { k: 'const', value: e.value ? 1n : 0n, ty: BOOL, pos };
    case 'Str':
      cx.error('STRING', pos, e.subst ? 'template strings are not supported' : 'strings can only be printk format literals');
      return err(pos);
    case 'Null':
      cx.error('BAD_OPERAND', pos, "'null' can only be compared with a view (x === null)");
      return err(pos);
    case 'Ident':
      return ident(cx, e.name, pos);
    case 'Member':
      return member(cx, e);
    case 'Index':
      return index(cx, e);
    case 'Call':
      return checkCall(cx, e);
    case 'New':
      cx.error('MAP', pos, 'maps are declared with new only at module level');
      return err(pos);
    case 'Paren':
      return checkExpr(cx, e.expr, want);
    case 'Binary':
      return binary(cx, e, want);
    case 'Unary':
      return unary(cx, e, want);
    case 'Update': {
      const place = checkExpr(cx, e.expr);
      if (!checkPlace(cx, place, e.op === '++' ? 'increment' : 'decrement')) return err(pos);
      if (place.ty.k !== 'int' || place.ty.be) {
        cx.error('BAD_OPERAND', pos, `'${e.op}' needs an integer, not ${tyName(place.ty)}`);
        return err(pos);
      }
      return { k: 'update', place, op: e.op === '++' ? '+' : '-', prefix: e.prefix, used: true, ty: place.ty, pos };
    }
    case 'Assign':
      return assign(cx, e);
    case 'Cond': {
      const test = toCond(cx, checkExpr(cx, e.test));
      const f = factsOf(test);
      const before = cx.nonNull;
      cx.nonNull = union(before, f.t);
      let a = checkExpr(cx, e.then, want);
      cx.nonNull = union(before, f.f);
      let b = checkExpr(cx, e.else, want);
      cx.nonNull = before;
      if (a.k === 'err' || b.k === 'err' || test.k === 'err') return err(pos);
      if (isAggregate(a.ty) || isAggregate(b.ty) || a.ty.k === 'nullable' || b.ty.k === 'nullable') {
        cx.error('UNSUPPORTED', pos, 'a conditional cannot choose between views', 'use if/else');
        return err(pos);
      }
      if (a.ty.k === 'lit' && b.ty.k === 'lit') {
        if (want?.k === 'int') {
          a = cx.coerce(a, want);
          b = cx.coerce(b, want);
        } else {
          a = cx.materialize(a);
          b = cx.coerce(b, a.ty);
        }
      } else if (a.ty.k === 'lit') a = cx.coerce(a, b.ty);
      else if (b.ty.k === 'lit') b = cx.coerce(b, a.ty);
      if (a.k === 'err' || b.k === 'err') return err(pos);
      if (a.ty.k === 'int' && b.ty.k === 'int' && a.ty.name !== b.ty.name) {
        const r = arith(cx, '|', a, b, pos); // reuses the unification rules for the error message
        if (r.k === 'err') return r;
        a = cx.coerce(a, r.ty);
        b = cx.coerce(b, r.ty);
      } else if (!sameTy(a.ty, b.ty)) {
        cx.error('TYPE_MISMATCH', pos, `the branches have different types: ${tyName(a.ty)} and ${tyName(b.ty)}`);
        return err(pos);
      }
      if (test.k === 'const') return test.value ? a : b;
      return { k: 'cond', test, a, b, ty: a.ty, pos };
    }
    case 'As':
      return cast(cx, e);
    case 'NonNull': {
      const inner = checkExpr(cx, e.expr, want);
      if (inner.ty.k === 'nullable') {
        cx.error('NULLABLE', pos, "'!' does not check anything: the verifier needs a real check here");
        return err(pos);
      }
      return inner;
    }
    case 'Object':
      return structLit(cx, e, want);
    case 'Array':
      cx.error('UNSUPPORTED', pos, 'array literals are not supported', 'declare a FixedArray field and set its elements');
      return err(pos);
    case 'Arrow':
    case 'FuncExpr':
      cx.error(e.async ? 'ASYNC' : 'CLOSURE', pos, e.async ? 'async functions are not supported' : 'function expressions (closures) are not supported inside kernel code');
      return err(pos);
    case 'This':
      cx.error('UNSUPPORTED', pos, "'this' is not available in kernel programs");
      return err(pos);
    case 'Spread':
      cx.error('UNSUPPORTED', pos, 'spread (...) is not supported');
      return err(pos);
    case 'Other':
      cx.error(e.what === 'yield' ? 'ASYNC' : 'UNSUPPORTED', pos, `${e.what} is not supported in kernel programs`);
      return err(pos);
  }
}

function ident(cx: Checker, name: string, pos: number): TExpr {
  if (name === 'undefined' || name === 'NaN' || name === 'Infinity') {
    cx.error(name === 'undefined' ? 'UNSUPPORTED' : 'FLOAT', pos, `'${name}' is not available in kernel programs`);
    return err(pos);
  }
  const s = cx.lookup(name);
  if (!s) {
    const hint = KERNEL.has(name) ? `import it: import { ${name} } from "tsbpf/kernel";` : name === 'console' ? 'use printk("…") to print to the trace pipe' : name === 'Math' ? 'BPF has no floating point; write integer arithmetic' : undefined;
    cx.error('UNKNOWN_NAME', pos, `cannot find name '${name}'`, hint);
    return err(pos);
  }
  switch (s.k) {
    case 'local': {
      let ty = s.sym.ty;
      if (ty.k === 'nullable' && cx.nonNull.has(s.sym)) ty = ty.inner;
      if (cx.resv.some((r) => r.sym === s.sym) && !checkUse(cx, s.sym, pos)) return err(pos);
      const f = cx.facts.get(s.sym);
      if (f?.epoch !== undefined && f.epoch < cx.packetEpoch) {
        cx.error('STALE_VIEW', pos, `'${name}' was read before the packet changed (${cx.packetChanger}) and is no longer valid`);
        return err(pos);
      }
      return { k: 'local', sym: s.sym, ty, pos };
    }
    case 'const':
      return { k: 'const', value: s.value, ty: s.ty, pos };
    case 'global':
      return { k: 'global', g: s.g, ty: s.g.ty, pos };
    case 'map':
      cx.error('BAD_OPERAND', pos, `map '${name}' is used through its methods (${name}.lookup(key), …) or passed to a helper`);
      return err(pos);
    case 'enum':
      cx.error('BAD_OPERAND', pos, `'${name}' is a set of constants: use one of its members (${name}.${[...s.members.keys()][0] ?? 'X'})`);
      return err(pos);
    case 'func':
      cx.error('CLOSURE', pos, `function '${name}' can only be called, not used as a value`);
      return err(pos);
    default:
      cx.error('BAD_OPERAND', pos, `'${name}' is not a value here`);
      return err(pos);
  }
}

function member(cx: Checker, e: Expr & { k: 'Member' }): TExpr {
  const pos = e.pos;
  if (e.optional) {
    cx.error('NULLABLE', pos, "optional chaining '?.' is not supported", 'check the view first: if (!x) return …;');
    return err(pos);
  }
  const s = staticSym(cx, e.obj);
  if (s?.k === 'enum') {
    const v = s.members.get(e.name);
    if (v === undefined) {
      cx.error('UNKNOWN_MEMBER', e.namePos, `'${s.name}' has no member '${e.name}'`, `members: ${[...s.members.keys()].join(', ')}`);
      return err(pos);
    }
    return { k: 'const', value: v, ty: { k: 'lit' }, pos };
  }
  const ms = staticSym(cx, e);
  if (ms?.k === 'const') return { k: 'const', value: ms.value, ty: ms.ty, pos };
  if (ms?.k === 'enum') {
    cx.error('BAD_OPERAND', pos, `'${e.name}' is a set of constants: use one of its members`);
    return err(pos);
  }
  if (s?.k === 'map') {
    cx.error('BAD_OPERAND', pos, `'${e.name}' of a map can only be called: ${e.obj.k === 'Ident' ? e.obj.name : 'map'}.${e.name}(…)`);
    return err(pos);
  }
  if (s?.k === 'builtin' && s.b.k === 'log') {
    cx.error('BAD_OPERAND', pos, `log.${e.name} can only be called: log.${e.name}(ctx, "…")`);
    return err(pos);
  }
  const base = checkExpr(cx, e.obj);
  return memberOf(cx, base, e.name, e.namePos, pos);
}

export function memberOf(cx: Checker, base: TExpr, name: string, namePos: number, pos: number): TExpr {
  const t = base.ty;
  switch (t.k) {
    case 'err':
      return err(pos);
    case 'ctx':
      return ctxMember(cx, base, t, name, namePos, pos);
    case 'struct': {
      const f = t.def.fields.find((x) => x.name === name);
      if (!f) {
        cx.error('UNKNOWN_MEMBER', namePos, `'${t.def.name}' has no field '${name}'`, `fields: ${t.def.fields.map((x) => x.name).join(', ')}`);
        return err(pos);
      }
      return { k: 'field', base, field: f, ty: f.ty, pos };
    }
    case 'ref': {
      if (name !== 'value') {
        cx.error('UNKNOWN_MEMBER', namePos, `${tyName(t)} has only the field 'value'`);
        return err(pos);
      }
      const f: Field = { name: 'value', ty: t.inner, offset: 0, readonly: false };
      return { k: 'field', base, field: f, ty: t.inner, pos };
    }
    case 'array':
      if (name === 'length') return { k: 'const', value: BigInt(t.len), ty: { k: 'lit' }, pos };
      cx.error('UNKNOWN_MEMBER', namePos, `arrays have no member '${name}' here (only length and [index])`);
      return err(pos);
    case 'nullable':
      cx.error('NULLABLE', base.pos, `${base.k === 'local' ? `'${base.sym.name}'` : 'this view'} may be null${t.space === 'packet' ? ' (the packet may be too short)' : ''}`);
      return err(pos);
    default:
      cx.error('UNKNOWN_MEMBER', namePos, `${tyName(t)} has no member '${name}'`);
      return err(pos);
  }
}

function index(cx: Checker, e: Expr & { k: 'Index' }): TExpr {
  const base = checkExpr(cx, e.obj);
  let idx = checkExpr(cx, e.index);
  if (base.k === 'err' || idx.k === 'err') return err(e.pos);
  if (base.ty.k !== 'array') {
    if (base.ty.k === 'nullable') return memberOf(cx, base, '[]', e.pos, e.pos);
    cx.error('BAD_OPERAND', e.pos, `cannot index ${tyName(base.ty)}`);
    return err(e.pos);
  }
  const len = base.ty.len;
  if (idx.ty.k === 'lit' || idx.k === 'const') {
    if (idx.k !== 'const' || idx.value < 0n || idx.value >= BigInt(len)) {
      cx.error('CONST_RANGE', e.index.pos, `index ${idx.k === 'const' ? idx.value : ''} is outside 0…${len - 1}`);
      return err(e.pos);
    }
    idx = { ...idx, ty: INT.u32 };
  } else if (spaceOf(base) === 'packet') {
    cx.error('UNSUPPORTED', e.index.pos, 'packet bytes cannot be indexed with a variable', 'use a constant index, or read a header at a variable offset with ctx.header<T>(offset)');
    return err(e.pos);
  } else if (idx.ty.k !== 'int' || idx.ty.signed || idx.ty.be) {
    cx.error('BAD_OPERAND', e.index.pos, `an index must be an unsigned integer, not ${tyName(idx.ty)}`);
    return err(e.pos);
  } else if (maxOf(cx, idx) >= BigInt(len)) {
    cx.error('CONST_RANGE', e.index.pos, `the index may be ${maxOf(cx, idx)}, past the end of ${tyName(base.ty)}`, `bound it: use (i & ${pow2Mask(len)}) or a loop whose bound is ${len}`);
    return err(e.pos);
  }
  return { k: 'index', base, index: idx, ty: base.ty.elem, pos: e.pos };
}

function pow2Mask(len: number): string {
  let p = 1;
  while (p * 2 <= len) p *= 2;
  return `${p - 1}`;
}

function binary(cx: Checker, e: Expr & { k: 'Binary' }, want?: Ty): TExpr {
  const pos = e.pos;
  const op = e.op;
  if (op === '&&' || op === '||') {
    const a = toCond(cx, checkExpr(cx, e.left));
    const f = factsOf(a);
    const before = cx.nonNull;
    cx.nonNull = union(before, op === '&&' ? f.t : f.f);
    const b = toCond(cx, checkExpr(cx, e.right));
    cx.nonNull = before;
    if (a.k === 'err' || b.k === 'err') return err(pos);
    if (a.k === 'const') return (op === '&&') === (a.value !== 0n) ? b : a;
    return { k: 'logical', op, a, b, ty: BOOL, pos };
  }
  if (op in CMP && (e.left.k === 'Null' || e.right.k === 'Null')) {
    const other = e.left.k === 'Null' ? e.right : e.left;
    const v = checkExpr(cx, other);
    if (v.k === 'err') return v;
    const cop = CMP[op];
    if ((v.ty.k !== 'nullable' && !isAggregate(v.ty)) || (cop !== '==' && cop !== '!=')) {
      cx.error('BAD_OPERAND', pos, `cannot compare ${tyName(v.ty)} with null`);
      return err(pos);
    }
    const present = toCond(cx, v);
    return cop === '!=' ? present : present.k === 'const' ? { ...present, value: 1n - present.value } : { k: 'not', a: present, ty: BOOL, pos };
  }
  if (op in CMP) return compare(cx, CMP[op], checkExpr(cx, e.left), checkExpr(cx, e.right), pos);
  if (ARITH.has(op)) {
    const a = checkExpr(cx, e.left, want);
    const b = checkExpr(cx, e.right, op === '<<' || op === '>>' || op === '>>>' ? undefined : want);
    return arith(cx, op as ArithOp, a, b, pos, want);
  }
  if (op === '**') {
    const a = checkExpr(cx, e.left);
    const b = checkExpr(cx, e.right);
    if (a.k === 'const' && b.k === 'const' && a.ty.k === 'lit' && b.ty.k === 'lit' && b.value >= 0n && b.value < 128n) return { k: 'const', value: a.value ** b.value, ty: a.ty, pos };
    cx.error('UNSUPPORTED', pos, "'**' works only on constants", 'multiply or shift instead');
    return err(pos);
  }
  if (op === '??') cx.error('NULLABLE', pos, "'??' is not supported", 'check the view with if (…) and use a default in the else branch');
  else if (op === ',') cx.error('UNSUPPORTED', pos, 'the comma operator is not supported');
  else cx.error('OBJECT', pos, `'${op}' works on objects, which kernel programs do not have`);
  return err(pos);
}

function unary(cx: Checker, e: Expr & { k: 'Unary' }, want?: Ty): TExpr {
  const pos = e.pos;
  switch (e.op) {
    case '!': {
      const a = toCond(cx, checkExpr(cx, e.expr));
      if (a.k === 'err') return a;
      if (a.k === 'const') return { ...a, value: 1n - a.value, pos };
      return { k: 'not', a, ty: BOOL, pos };
    }
    case '+':
      return checkExpr(cx, e.expr, want);
    case '-':
    case '~': {
      let a = checkExpr(cx, e.expr, want);
      if (a.k === 'err') return a;
      if (a.ty.k === 'lit' && a.k === 'const') {
        if (e.op === '~' && want?.k === 'int' && !want.be) a = cx.coerce(a, want);
        else return { k: 'const', value: e.op === '-' ? -a.value : ~a.value, ty: a.ty, pos };
        if (a.k === 'err') return a;
      }
      if (a.ty.k !== 'int') {
        cx.error('BAD_OPERAND', pos, `'${e.op}' needs an integer, not ${tyName(a.ty)}`);
        return err(pos);
      }
      if (a.ty.be && e.op === '-') {
        cx.error('BAD_OPERAND', pos, `cannot negate a ${a.ty.name} (network byte order)`);
        return err(pos);
      }
      if (a.k === 'const') return { k: 'const', value: wrap(e.op === '-' ? -a.value : ~a.value, a.ty), ty: a.ty, pos };
      return e.op === '-' ? { k: 'neg', a, ty: a.ty, pos } : { k: 'bitnot', a, ty: a.ty, pos };
    }
    case 'await':
      cx.error('ASYNC', pos, "'await' is not supported: kernel programs run to completion");
      return err(pos);
    default:
      cx.error('UNSUPPORTED', pos, `'${e.op}' is not supported in kernel programs`);
      return err(pos);
  }
}
