/**
 * Type syntax → compiler types: integer names, bool, structs (interfaces and object type
 * aliases), FixedArray<T, N> and homogeneous tuples, Ref<V>, `T | null`, enums (as integers).
 */
import type { Interface, Member, TypeNode } from './ast.js';
import type { Checker } from './check-context.js';
import * as kernel from './builtins.js';
import { ERR, INT, NULL, type StructDef, type Ty, VOID, layoutStruct, sameTy, tyName } from './types.js';

export function resolveType(cx: Checker, t: TypeNode): Ty {
  switch (t.k) {
    case 'TRef':
      return resolveRef(cx, t);
    case 'TKeyword':
      switch (t.name) {
        case 'boolean':
          return { k: 'bool' };
        case 'void':
        case 'undefined':
          return VOID;
        case 'null':
          return NULL;
        case 'number':
          cx.error('ANY', t.pos, "'number' has no width in a kernel program", 'use an integer type: u8, u16, u32, u64, i8, i16, i32 or i64');
          return ERR;
        case 'any':
        case 'unknown':
        case 'object':
          cx.error('ANY', t.pos, `'${t.name}' is not allowed in kernel programs`);
          return ERR;
        case 'string':
          cx.error('STRING', t.pos, "'string' values do not exist in kernel programs");
          return ERR;
        case 'bigint':
          cx.error('ANY', t.pos, "'bigint' is not used in kernel programs", 'u64 and i64 are exact 64-bit integers: use them');
          return ERR;
      }
      cx.error('UNSUPPORTED', t.pos, `type '${t.name}' is not supported in kernel programs`);
      return ERR;
    case 'TUnion': {
      const nonNull = t.types.filter((x) => !(x.k === 'TKeyword' && (x.name === 'null' || x.name === 'undefined')));
      if (nonNull.length === 1 && nonNull.length < t.types.length) {
        const inner = resolveType(cx, nonNull[0]);
        if (inner.k === 'struct' || inner.k === 'ref' || inner.k === 'err') return { k: 'nullable', inner, space: 'packet' };
        cx.error('UNSUPPORTED', t.pos, `'${tyName(inner)} | null' is not supported: only views (structs) can be null`);
        return ERR;
      }
      const types = t.types.map((x) => resolveType(cx, x));
      // a union of integer literal types (e.g. 0 | 1 | 2) is just an integer
      if (t.types.every((x) => x.k === 'TLiteral' && typeof x.value === 'bigint')) return INT.u32;
      if (types.every((x) => sameTy(x, types[0]))) return types[0];
      cx.error('UNSUPPORTED', t.pos, 'union types are not supported in kernel programs (except `T | null`)');
      return ERR;
    }
    case 'TLiteral':
      if (typeof t.value === 'bigint') return INT.u32;
      if (typeof t.value === 'boolean') return { k: 'bool' };
      cx.error('STRING', t.pos, 'string literal types are not supported');
      return ERR;
    case 'TArray':
      cx.error('UNSUPPORTED', t.pos, 'arrays of unknown length are not supported', 'use FixedArray<T, N> for a fixed number of elements');
      return ERR;
    case 'TTuple': {
      const elems = t.elems.map((x) => resolveType(cx, x));
      if (elems.length > 0 && elems.every((x) => sameTy(x, elems[0])) && isStorable(elems[0])) return { k: 'array', elem: elems[0], len: elems.length };
      cx.error('UNSUPPORTED', t.pos, 'tuples are supported only with one element type (as fixed arrays)', 'use FixedArray<T, N>');
      return ERR;
    }
    case 'TObject':
      cx.error('UNSUPPORTED', t.pos, 'inline object types are not supported', 'declare an interface (or `type Name = { … }`) for the struct');
      return ERR;
    case 'TFunc':
      cx.error('CLOSURE', t.pos, 'function types are not supported: functions are not values in kernel programs');
      return ERR;
    case 'TQuery':
    case 'TOperator':
    case 'TIndexed':
    case 'TIntersection':
    case 'TOther':
      cx.error('UNSUPPORTED', t.pos, `this kind of type (${t.k === 'TOther' ? t.what : t.k === 'TQuery' ? 'typeof' : t.k === 'TOperator' ? t.op : t.k === 'TIndexed' ? 'indexed access' : 'intersection'}) is not supported in kernel programs`);
      return ERR;
  }
}

function isStorable(t: Ty): boolean {
  return t.k === 'int' || t.k === 'bool' || t.k === 'struct' || t.k === 'array';
}

function resolveRef(cx: Checker, t: TypeNode & { k: 'TRef' }): Ty {
  let name = t.name;
  if (t.qual) {
    const ns = cx.values.get(t.qual);
    if (ns?.k !== 'namespace') {
      cx.error('UNKNOWN_TYPE', t.pos, `unknown type '${t.qual}.${t.name}'`);
      return ERR;
    }
    const { KERNEL } = kernel;
    const b = KERNEL.get(t.name);
    if (!b) {
      cx.error('UNKNOWN_TYPE', t.pos, `tsbpf/kernel has no type '${t.name}'`);
      return ERR;
    }
    return fromBuiltin(cx, t, b, name);
  }
  const sym = cx.types.get(name);
  if (!sym) {
    if (name === 'Array' || name === 'Uint8Array') cx.error('UNSUPPORTED', t.pos, `'${name}' is not supported`, 'use FixedArray<T, N>');
    else if (name === 'Record' || name === 'Map' || name === 'Set' || name === 'Object') cx.error('OBJECT', t.pos, `'${name}' is not available in kernel programs`, 'use a BPF map (HashMap, ArrayMap, …) declared at module level');
    else cx.error('UNKNOWN_TYPE', t.pos, `unknown type '${name}'`, KERNEL_TYPE_HINT(name));
    return ERR;
  }
  if (sym.k === 'pending') {
    const ty = sym.resolve();
    if (t.args.length) cx.error('UNSUPPORTED', t.pos, `'${name}' takes no type arguments`);
    return ty;
  }
  if (sym.k === 'ty') {
    if (t.args.length) cx.error('UNSUPPORTED', t.pos, `'${name}' takes no type arguments`);
    return sym.ty;
  }
  return fromBuiltin(cx, t, sym.b, name);
}


function KERNEL_TYPE_HINT(name: string): string | undefined {
  return kernel.KERNEL.has(name) ? `import it: import { ${name} } from "tsbpf/kernel";` : undefined;
}

function fromBuiltin(cx: Checker, t: TypeNode & { k: 'TRef' }, b: kernel.Builtin, name: string): Ty {
  switch (b.k) {
    case 'type':
      if (t.args.length) cx.error('UNSUPPORTED', t.pos, `'${name}' takes no type arguments`);
      return b.ty;
    case 'enum':
      return INT.u32;
    case 'generic': {
      if (b.name === 'FixedArray') {
        const [et, nt] = t.args;
        if (!et || !nt || t.args.length !== 2) {
          cx.error('UNKNOWN_TYPE', t.pos, 'FixedArray needs two type arguments: FixedArray<T, N>');
          return ERR;
        }
        const elem = resolveType(cx, et);
        if (nt.k !== 'TLiteral' || typeof nt.value !== 'bigint' || nt.value <= 0n || nt.value > 4096n) {
          cx.error('NOT_CONSTANT', nt.pos, 'the length of a FixedArray must be a number literal between 1 and 4096');
          return ERR;
        }
        if (elem.k === 'err') return ERR;
        if (!isStorable(elem)) {
          cx.error('UNSUPPORTED', et.pos, `arrays of ${tyName(elem)} are not supported`);
          return ERR;
        }
        return { k: 'array', elem, len: Number(nt.value) };
      }
      if (b.name === 'Ref') {
        if (t.args.length !== 1) {
          cx.error('UNKNOWN_TYPE', t.pos, 'Ref needs one type argument: Ref<u64>');
          return ERR;
        }
        const inner = resolveType(cx, t.args[0]);
        if (inner.k !== 'int' && inner.k !== 'err' && inner.k !== 'bool') {
          cx.error('UNSUPPORTED', t.pos, 'Ref<V> holds an integer; a struct value is viewed as the struct itself');
          return ERR;
        }
        return { k: 'ref', inner };
      }
      if (b.name === 'TracepointContext') {
        if (t.args.length === 0) return { k: 'ctx', ctx: 'TracepointContext' };
        const rec = t.args.length === 1 ? resolveType(cx, t.args[0]) : ERR;
        if (rec.k === 'struct') return { k: 'ctx', ctx: 'TracepointContext', rec: rec.def };
        if (rec.k !== 'err' || t.args.length !== 1) cx.error('UNKNOWN_TYPE', t.pos, "TracepointContext takes the record's struct: TracepointContext<SysEnterOpenat>", "declare an interface with the fields of the tracepoint's format file after the common header");
        return ERR;
      }
      cx.error('UNSUPPORTED', t.pos, `'${name}' is for editors only; write the value type itself`);
      return ERR;
    }
    case 'editorType':
      cx.error('UNSUPPORTED', t.pos, `'${name}' is for editors only and has no meaning inside kernel code`);
      return ERR;
    default:
      cx.error('UNKNOWN_TYPE', t.pos, `'${name}' is a value, not a type`);
      return ERR;
  }
}

/** Builds the struct for an interface (or `type X = { … }`), reporting unsupported members. */
export function structFromMembers(cx: Checker, name: string, members: Member[], pos: number): StructDef {
  const fields: { name: string; ty: Ty; readonly: boolean }[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (m.method || m.name === '') {
      cx.error('OBJECT', m.pos, `struct '${name}' can hold only fields, not methods or signatures`);
      continue;
    }
    if (seen.has(m.name)) cx.error('DUPLICATE', m.pos, `field '${m.name}' is declared twice`);
    seen.add(m.name);
    if (m.optional) cx.error('UNSUPPORTED', m.pos, `optional field '${m.name}?': struct fields are always present`);
    if (!m.type) {
      cx.error('ANY', m.pos, `field '${m.name}' needs a type`);
      continue;
    }
    const ty = resolveType(cx, m.type);
    if (ty.k === 'err') continue;
    if (!isStorable(ty)) {
      cx.error('UNSUPPORTED', m.type.pos, `a struct field cannot be ${tyName(ty)}`);
      continue;
    }
    fields.push({ name: m.name, ty, readonly: m.readonly });
  }
  const def = layoutStruct(name, fields, false, pos);
  cx.mod.structs.push(def);
  return def;
}

/** Registers an interface so that it can be used before its declaration and refer to others. */
export function declareInterface(cx: Checker, s: Interface): void {
  if (s.typeParams.length) cx.error('UNSUPPORTED', s.pos, 'generic interfaces are not supported');
  if (s.extends.length) cx.error('UNSUPPORTED', s.extends[0].pos, "'extends' is not supported for structs", 'list the fields in one interface');
  declarePendingStruct(cx, s.name, s.namePos, () => s.members, s.pos);
}

export function declarePendingStruct(cx: Checker, name: string, namePos: number, members: () => Member[], pos: number): void {
  if (cx.types.has(name)) {
    cx.error('DUPLICATE', namePos, `type '${name}' is already declared`);
    return;
  }
  let state: 'todo' | 'busy' | Ty = 'todo';
  cx.types.set(name, {
    k: 'pending',
    resolve: () => {
      if (state === 'busy') {
        cx.error('UNSUPPORTED', namePos, `struct '${name}' contains itself`);
        return ERR;
      }
      if (state !== 'todo') return state;
      state = 'busy';
      const def = structFromMembers(cx, name, members(), pos);
      state = { k: 'struct', def };
      return state;
    },
  });
}
