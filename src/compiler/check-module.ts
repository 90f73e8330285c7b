/**
 * Module level: imports from tsbpf/kernel, struct and enum declarations, compile-time constants,
 * settings (exported const → .rodata), globals (let → .data/.bss), maps, programs and local
 * functions. `check()` is the checker's entry point.
 */
import type { Expr, Func, ObjProp, SourceFile, Stmt, VarDeclarator } from './ast.js';
import { KERNEL, KERNEL_MODULE } from './builtins.js';
import { Checker, type Parts } from './check-context.js';
import { checkExpr, staticSym } from './check-expr.js';
import { checkFunction } from './check-stmt.js';
import { programBody, programDecl } from './check-program.js';
import { logConfigure } from './check-log.js';
import { declareInterface, declarePendingStruct, resolveType } from './check-types.js';
import type { Diagnostics } from './diagnostics.js';
import type { FuncInfo, GlobalDef, Module } from './typed.js';
import { INT, type MapDef, type MapKind, type Ty, fits, isAggregate, sizeOf, tyName } from './types.js';

const parts: Parts = { expr: checkExpr, resolveType, checkFunction };

export function check(sf: SourceFile, diags: Diagnostics): Module {
  const cx = new Checker(diags, parts, sf.file);
  // 1: imports and type names (usable before their declaration)
  for (const s of sf.body) {
    if (s.k === 'Import') importDecl(cx, s);
    else if (s.k === 'Interface') declareInterface(cx, s);
    else if (s.k === 'TypeAlias') typeAlias(cx, s);
  }
  // 2: functions (callable before their declaration)
  for (const s of sf.body) if (s.k === 'Func') funcDecl(cx, s);
  // 3: values in order
  for (const s of sf.body) {
    switch (s.k) {
      case 'Import':
      case 'Interface':
      case 'TypeAlias':
      case 'Func':
      case 'Empty':
      case 'ExportNames':
        break;
      case 'Enum':
        enumDecl(cx, s);
        break;
      case 'Var':
        for (const d of s.decls) varDecl(cx, s, d);
        break;
      default:
        moduleStatement(cx, s);
    }
  }
  // resolve every struct even if unused (reports their errors)
  for (const t of cx.types.values()) if (t.k === 'pending') t.resolve();
  // 4: bodies
  for (const p of cx.mod.programs) programBody(cx, p);
  for (const f of cx.mod.functions) cx.ensureChecked(f, f.pos);
  if (cx.mod.programs.length === 0 && !diags.hasErrors) {
    cx.error('NO_PROGRAM', 0, `${sf.file} declares no program`);
  }
  return cx.mod;
}

function moduleStatement(cx: Checker, s: Stmt): void {
  switch (s.k) {
    case 'Unsupported':
      cx.error(s.what.includes('class') ? 'OBJECT' : 'UNSUPPORTED', s.pos, `${s.what} is not supported in kernel programs`);
      return;
    case 'Expr': {
      const c = s.expr;
      if (c.k === 'Call' && c.callee.k === 'Member' && c.callee.name === 'configure') {
        const o = staticSym(cx, c.callee.obj);
        if (o?.k === 'builtin' && o.b.k === 'log') return logConfigure(cx, c);
      }
      cx.error('UNSUPPORTED', s.pos, 'module-level code never runs in the kernel', 'put it inside a program: export const p = xdp((ctx) => { … });');
      return;
    }
    case 'If':
    case 'For':
    case 'While':
    case 'Switch':
    case 'Block':
    case 'Return':
      cx.error('UNSUPPORTED', s.pos, 'module-level code never runs in the kernel', 'put it inside a program: export const p = xdp((ctx) => { … });');
      return;
    default:
      cx.error('UNSUPPORTED', s.pos, 'this statement is not supported at module level');
  }
}

function importDecl(cx: Checker, s: Stmt & { k: 'Import' }): void {
  if (s.from !== KERNEL_MODULE) {
    cx.error('IMPORT', s.fromPos, `cannot import '${s.from}' into a kernel program`);
    return;
  }
  if (s.defaultName) cx.error('IMPORT', s.pos, `tsbpf/kernel has no default export`, `import { … } from "tsbpf/kernel";`);
  if (s.namespace) cx.declareModule(s.namespace, { k: 'namespace' }, s.pos);
  for (const spec of s.specs) {
    const b = KERNEL.get(spec.name);
    if (!b) {
      cx.error('IMPORT', spec.pos, `tsbpf/kernel has no export '${spec.name}'`);
      continue;
    }
    if (b.k === 'type' || b.k === 'generic' || b.k === 'editorType' || b.k === 'enum') cx.types.set(spec.local, { k: 'builtin', name: spec.name, b });
    if (b.k === 'enum') cx.declareModule(spec.local, { k: 'enum', name: spec.name, members: b.members }, spec.pos);
    else if (b.k === 'const') cx.declareModule(spec.local, { k: 'const', ty: { k: 'lit' }, value: b.value }, spec.pos);
    else if (b.k !== 'type' && b.k !== 'generic' && b.k !== 'editorType') cx.declareModule(spec.local, { k: 'builtin', name: spec.name, b }, spec.pos);
  }
}

function typeAlias(cx: Checker, s: Stmt & { k: 'TypeAlias' }): void {
  if (s.typeParams.length) cx.error('UNSUPPORTED', s.pos, 'generic type aliases are not supported');
  if (s.type.k === 'TObject') {
    const members = s.type.members;
    declarePendingStruct(cx, s.name, s.namePos, () => members, s.pos);
    return;
  }
  if (cx.types.has(s.name)) {
    cx.error('DUPLICATE', s.namePos, `type '${s.name}' is already declared`);
    return;
  }
  let state: Ty | 'busy' | undefined;
  cx.types.set(s.name, {
    k: 'pending',
    resolve: () => {
      if (state === 'busy') {
        cx.error('UNSUPPORTED', s.namePos, `type '${s.name}' refers to itself`);
        return { k: 'err' };
      }
      if (state) return state;
      state = 'busy';
      state = resolveType(cx, s.type);
      return state;
    },
  });
}

function enumDecl(cx: Checker, s: Stmt & { k: 'Enum' }): void {
  const members = new Map<string, bigint>();
  let next = 0n;
  for (const m of s.members) {
    let v = next;
    if (m.init) {
      const e = checkExpr(cx, m.init);
      if (e.k !== 'const' || e.ty.k === 'bool') {
        if (e.k !== 'err') cx.error('NOT_CONSTANT', m.init.pos, 'enum members must be integer constants');
      } else v = e.value;
    }
    if (members.has(m.name)) cx.error('DUPLICATE', m.pos, `enum member '${m.name}' is declared twice`);
    members.set(m.name, v);
    next = v + 1n;
  }
  cx.declareModule(s.name, { k: 'enum', name: s.name, members }, s.namePos);
  if (!cx.types.has(s.name)) {
    const neg = [...members.values()].some((v) => v < 0n);
    cx.types.set(s.name, { k: 'ty', ty: neg ? INT.i32 : INT.u32 });
  }
}

function funcDecl(cx: Checker, s: Func): void {
  if (!s.body) {
    cx.error('UNSUPPORTED', s.pos, 'function overloads and declarations without a body are not supported');
    return;
  }
  if (s.async || s.generator) cx.error('ASYNC', s.pos, `${s.async ? 'async' : 'generator'} functions are not supported`);
  if (s.typeParams.length) cx.error('UNSUPPORTED', s.pos, 'generic functions are not supported');
  const params = s.params.map((p, i) => {
    let ty: Ty = { k: 'err' };
    if (p.pattern) cx.error('UNSUPPORTED', p.pos, p.pattern === 'rest' ? 'rest parameters are not supported' : 'destructuring parameters is not supported');
    else if (p.optional || p.init) cx.error('UNSUPPORTED', p.pos, 'optional and default parameters are not supported');
    else if (!p.type) cx.error('ANY', p.pos, `parameter '${p.name}' needs a type`);
    else ty = resolveType(cx, p.type);
    if (ty.k === 'nullable') {
      cx.error('NULLABLE', p.pos, 'parameters cannot be null: check the view before calling');
      ty = { k: 'err' };
    }
    return { name: p.name, ty, mutable: true, pos: p.pos, id: -1 - i };
  });
  const ret = s.ret ? resolveType(cx, s.ret) : { k: 'err' as const };
  if (s.ret && (isAggregate(ret) || ret.k === 'nullable' || ret.k === 'ctx')) cx.error('RETURN', s.ret.pos, 'functions return integers or bool, not views');
  const noinline = /@noinline\b/.test(s.doc ?? '');
  if (noinline && params.length > 5) cx.error('TOO_COMPLEX', s.pos, `a @noinline function takes at most 5 parameters (BPF passes them in r1–r5), not ${params.length}`);
  const info: FuncInfo = { name: s.name, params, ret, body: [], noinline, pos: s.namePos, checked: false, adjustsPacket: false };
  cx.funcDecls.set(info, s);
  cx.mod.functions.push(info);
  cx.declareModule(s.name, { k: 'func', info, decl: s }, s.namePos);
}

function varDecl(cx: Checker, s: Stmt & { k: 'Var' }, d: VarDeclarator): void {
  const pos = d.pos;
  if (d.pattern) {
    cx.error('UNSUPPORTED', pos, 'destructuring is not supported');
    return;
  }
  if (s.declare) {
    cx.error('UNSUPPORTED', pos, "'declare' variables are not supported", 'kernel programs define their own globals');
    return;
  }
  const init = d.init;
  // programs
  if (init?.k === 'Call' && init.callee.k === 'Ident' && cx.lookup(init.callee.name)?.k === 'builtin') {
    const b = cx.lookup(init.callee.name);
    if (b?.k === 'builtin' && b.b.k === 'program') {
      if (s.kind !== 'const') cx.error('PROGRAM', pos, 'declare programs with const');
      programDecl(cx, b.b.prog, d.name, d.namePos, init);
      return;
    }
  }
  // maps
  if (init?.k === 'New') {
    if (s.kind !== 'const') cx.error('MAP', pos, 'declare maps with const');
    mapDecl(cx, d.name, d.namePos, init);
    return;
  }
  // LICENSE = "GPL"
  if (d.name === 'LICENSE' && init?.k === 'Str') {
    if (!/^[\x20-\x7e]{1,127}$/.test(init.value)) cx.error('UNSUPPORTED', init.pos, 'the license must be printable ASCII');
    cx.mod.license = init.value;
    cx.declareModule(d.name, { k: 'license' }, d.namePos);
    return;
  }
  // objects as enums: const Proto = { TCP: 6, UDP: 17 } as const
  const obj = init?.k === 'As' && init.expr.k === 'Object' ? init.expr : init?.k === 'Object' ? init : undefined;
  if (obj && s.kind === 'const' && !d.type) {
    const members = new Map<string, bigint>();
    for (const p of obj.props) enumMember(cx, p, members);
    cx.declareModule(d.name, { k: 'enum', name: d.name, members }, d.namePos);
    return;
  }
  const ty = d.type ? resolveType(cx, d.type) : undefined;
  if (s.kind === 'const' && !s.exported) {
    // a compile-time constant
    if (!init) {
      cx.error('SYNTAX', pos, `const '${d.name}' needs a value`);
      return;
    }
    let e = checkExpr(cx, init, ty);
    if (ty) e = cx.coerce(e, ty, `value of '${d.name}'`);
    if (e.k === 'err') return;
    if (e.k !== 'const') {
      cx.error('NOT_CONSTANT', init.pos, `module-level const '${d.name}' must be a compile-time constant`, 'export it to make it a setting, or use let for a global variable');
      return;
    }
    cx.declareModule(d.name, { k: 'const', ty: e.ty, value: e.value }, d.namePos);
    return;
  }
  globalDecl(cx, s, d, ty);
}

function enumMember(cx: Checker, p: ObjProp, members: Map<string, bigint>): void {
  if (p.kind !== 'init') {
    cx.error('OBJECT', p.pos, 'objects at module level can hold only named constants (enum style)');
    return;
  }
  const e = checkExpr(cx, p.value);
  if (e.k !== 'const' || e.ty.k === 'bool') {
    if (e.k !== 'err') cx.error('NOT_CONSTANT', p.value.pos, `'${p.name}' must be an integer constant`, 'objects are supported only as sets of constants; use a map or globals for data');
    return;
  }
  if (members.has(p.name)) cx.error('DUPLICATE', p.pos, `'${p.name}' appears twice`);
  members.set(p.name, e.value);
}

function globalDecl(cx: Checker, s: Stmt & { k: 'Var' }, d: VarDeclarator, declared: Ty | undefined): void {
  const pos = d.pos;
  if (s.kind === 'var') cx.error('UNSUPPORTED', pos, "'var' is not supported", 'use let');
  let ty = declared;
  let value: bigint | undefined;
  let fieldInits: { offset: number; ty: Ty; value: bigint }[] = [];
  if (d.init) {
    const e = checkExpr(cx, d.init, ty);
    const c = ty ? (isAggregate(ty) ? e : cx.coerce(e, ty, `value of '${d.name}'`)) : cx.materialize(e);
    if (c.k === 'err') {
      // still declare it (with its declared type) so its uses do not report unknown names
      if (ty) cx.declareModule(d.name, { k: 'global', g: { name: d.name, ty, section: s.kind === 'const' ? '.rodata' : '.bss', init: new Uint8Array(sizeOf(ty)), pos: d.namePos } }, d.namePos);
      return;
    }
    ty ??= c.ty;
    if (c.k === 'const') value = c.value;
    else if (c.k === 'structlit' && c.inits.every((x) => x.value.k === 'const')) {
      fieldInits = c.inits.map((x) => ({ offset: x.field.offset, ty: x.field.ty, value: (x.value as { value: bigint }).value }));
    } else {
      cx.error('NOT_CONSTANT', d.init.pos, `the initial value of global '${d.name}' must be a constant`);
      return;
    }
  }
  if (!ty) {
    cx.error('ANY', pos, `global '${d.name}' needs a type`);
    return;
  }
  if (ty.k !== 'int' && ty.k !== 'bool' && ty.k !== 'struct' && ty.k !== 'array') {
    if (ty.k !== 'err') cx.error('UNSUPPORTED', pos, `a global cannot hold ${tyName(ty)}`);
    return;
  }
  const size = sizeOf(ty);
  const bytes = new Uint8Array(size);
  const put = (off: number, t: Ty, v: bigint): void => {
    const n = sizeOf(t);
    let x = BigInt.asUintN(n * 8, v); // registers hold be16/be32 as loaded: little-endian like the rest
    for (let i = 0; i < n; i++) {
      bytes[off + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  };
  if (value !== undefined) put(0, ty, value);
  for (const f of fieldInits) put(f.offset, f.ty, f.value);
  const zero = bytes.every((b) => b === 0);
  const section: GlobalDef['section'] = s.kind === 'const' ? '.rodata' : zero ? '.bss' : '.data';
  if (s.kind === 'const' && !d.init) cx.error('SYNTAX', pos, `const '${d.name}' needs a value`);
  const g: GlobalDef = { name: d.name, ty, section, init: bytes, pos: d.namePos };
  cx.mod.globals.push(g);
  cx.declareModule(d.name, { k: 'global', g }, d.namePos);
}

const MAP_PROPS = new Set(['maxEntries', 'flags', 'pinning']);

function mapDecl(cx: Checker, name: string, namePos: number, e: Expr & { k: 'New' }): void {
  const b = e.callee.k === 'Ident' ? cx.lookup(e.callee.name) : undefined;
  if (b?.k !== 'builtin' || b.b.k !== 'mapClass') {
    cx.error('OBJECT', e.pos, "'new' creates only maps (HashMap, ArrayMap, RingBuf, …)");
    return;
  }
  const cls = b.b;
  const kind: MapKind = cls.kind;
  const targs = e.typeArgs.map((t) => resolveType(cx, t));
  if (targs.length !== cls.typeArgs) {
    const form = cls.typeArgs === 2 ? '<Key, Value>' : kind === 'sockhash' ? '<Key>' : cls.typeArgs === 1 ? '<Value>' : '';
    cx.error('MAP', e.pos, `${b.name} takes ${cls.typeArgs} type argument${cls.typeArgs === 1 ? '' : 's'}: new ${b.name}${form}({ maxEntries: N })`);
    return;
  }
  let key: Ty | undefined;
  let value: Ty | undefined;
  if (cls.typeArgs === 2) [key, value] = targs;
  else if (kind === 'sockhash') [key, value] = [targs[0], INT.u32];
  else if (cls.typeArgs === 1) [key, value] = [INT.u32, targs[0]];
  else if (kind !== 'ringbuf') [key, value] = [INT.u32, INT.u32];
  for (const t of [key, value]) {
    if (t && t.k !== 'int' && t.k !== 'bool' && t.k !== 'struct' && t.k !== 'array' && t.k !== 'err') {
      cx.error('MAP', e.pos, `map keys and values are integers or structs, not ${tyName(t)}`);
      return;
    }
  }
  const def: MapDef = { name, kind, key, value, maxEntries: 0, flags: 0, pinning: false, pos: namePos };
  const opts = e.args[0];
  if (e.args.length !== 1 || opts.k !== 'Object') {
    cx.error('MAP', e.pos, `${b.name} takes one options object: new ${b.name}(…)({ maxEntries: N })`.replace('(…)', ''));
    return;
  }
  for (const p of opts.props) {
    if (p.kind !== 'init' || !MAP_PROPS.has(p.name)) {
      cx.error('MAP', p.pos, `unknown map option '${p.name}'`, 'options: maxEntries, flags, pinning');
      continue;
    }
    if (p.name === 'pinning') {
      if (p.value.k === 'Str' && p.value.value === 'byName') def.pinning = true;
      else cx.error('MAP', p.value.pos, "pinning can only be 'byName'");
      continue;
    }
    const v = checkExpr(cx, p.value);
    if (v.k !== 'const' || v.ty.k === 'bool' || v.value < 0n || !fits(v.value, INT.u32)) {
      if (v.k !== 'err') cx.error('NOT_CONSTANT', p.value.pos, `${p.name} must be a constant between 0 and 2^32-1`);
      continue;
    }
    if (p.name === 'maxEntries') def.maxEntries = Number(v.value);
    else def.flags = Number(v.value);
  }
  if (def.maxEntries <= 0) cx.error('MAP', opts.pos, 'maxEntries must be given and greater than 0');
  if (kind === 'ringbuf' && def.maxEntries > 0 && (def.maxEntries % 4096 !== 0 || (def.maxEntries & (def.maxEntries - 1)) !== 0)) {
    cx.error('MAP', opts.pos, `a RingBuf size must be a power of two and a multiple of 4096 (the page size), not ${def.maxEntries}`);
  }
  if (kind === 'lpm_trie') {
    if ((def.flags & 1) === 0) cx.error('MAP', opts.pos, 'an LpmTrie needs flags: 1 (BPF_F_NO_PREALLOC)');
    if (key && (key.k !== 'struct' || key.def.fields[0]?.name !== 'prefixlen' || key.def.fields[0].ty.k !== 'int' || key.def.fields[0].ty.name !== 'u32')) {
      cx.error('MAP', e.pos, 'an LpmTrie key is a struct whose first field is prefixlen: u32');
    }
  }
  cx.mod.maps.push(def);
  cx.declareModule(name, { k: 'map', def }, namePos);
}
