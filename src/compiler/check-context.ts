/**
 * State shared by the checker's parts: symbols and scopes, the current function, null-narrowing
 * facts and packet-view epochs, and the conversions every part uses.
 */
import type { Func } from './ast.js';
import type { Builtin } from './builtins.js';
import type { DiagKind, Diagnostics } from './diagnostics.js';
import { type ResvState, emptyResv } from './check-resv.js';
import type { FuncInfo, GlobalDef, LocalSym, Module, TExpr } from './typed.js';
import { ERR, INT, type IntTy, type MapDef, type StructDef, type Ty, fits, sameTy, tyName, widens } from './types.js';

export type ValueSym =
  | { k: 'local'; sym: LocalSym }
  | { k: 'const'; ty: Ty; value: bigint }
  | { k: 'global'; g: GlobalDef }
  | { k: 'map'; def: MapDef }
  | { k: 'enum'; name: string; members: Map<string, bigint> }
  | { k: 'func'; info: FuncInfo; decl: Func }
  | { k: 'builtin'; name: string; b: Builtin }
  | { k: 'namespace' }
  | { k: 'program'; name: string }
  | { k: 'license' };

export type TypeSym =
  | { k: 'ty'; ty: Ty }
  | { k: 'builtin'; name: string; b: Builtin }
  /** Declared but not resolved yet (interfaces may refer to each other in any order). */
  | { k: 'pending'; resolve: () => Ty };

/** Extra facts about locals: the upper bound of a const's value, for packet offsets and indexes. */
export interface LocalFacts {
  max?: bigint;
  /** Packet views: the packet epoch they were read in (stale after xdp_adjust_head/tail). */
  epoch?: number;
}

// Forward declarations filled by check-module.ts (to keep the parts free of import cycles).
export interface Parts {
  expr(cx: Checker, e: import('./ast.js').Expr, want?: Ty): TExpr;
  resolveType(cx: Checker, t: import('./ast.js').TypeNode): Ty;
  checkFunction(cx: Checker, info: FuncInfo, decl: Func): void;
}

export class Checker {
  readonly values = new Map<string, ValueSym>();
  readonly types = new Map<string, TypeSym>();
  private scopes: Map<string, ValueSym>[] = [];
  readonly facts = new Map<LocalSym, LocalFacts>();
  /** Locals known to be non-null on the current path. */
  nonNull = new Set<LocalSym>();
  /** Ring-buffer reservations of the current function and their state on the current path. */
  resv: { sym: LocalSym; nest: number }[] = [];
  rs: ResvState = emptyResv();
  /** Incremented by calls that change packet bounds; views from older epochs are stale. */
  packetEpoch = 0;
  /** The last call that changed them, for messages (`xdp_adjust_head`, `msg_pull_data`, a function). */
  packetChanger = '';
  fnRet: Ty | undefined;
  /** In a tc program: negative constants are returned as their 32-bit pattern (TC_ACT_UNSPEC). */
  retNegativeOk = false;
  /** In a program's body: a bool result is returned as 0/1 (cgroup verdicts). */
  retBoolOk = false;
  /** In an fexit program's body: the traced function (ctx.ret() reads after its arguments). */
  fexitTarget?: string;
  loopDepth = 0;
  switchDepth = 0;
  /** The function being checked (for recursion detection) and the call edges found so far. */
  current: FuncInfo | undefined;
  readonly calls = new Map<FuncInfo, Set<FuncInfo>>();
  private nextId = 1;
  readonly mod: Module;

  constructor(readonly diags: Diagnostics, readonly parts: Parts, file: string) {
    this.mod = { file, programs: [], functions: [], maps: [], globals: [], structs: [], license: 'GPL' };
  }

  error(kind: DiagKind, pos: number, message: string, hint?: string): void {
    this.diags.error(kind, pos, message, hint);
  }

  // ---- scopes ----
  pushScope(): void {
    this.scopes.push(new Map());
  }
  popScope(): void {
    this.scopes.pop();
  }
  lookup(name: string): ValueSym | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i].get(name);
      if (s) return s;
    }
    return this.values.get(name);
  }
  declareLocal(name: string, ty: Ty, mutable: boolean, pos: number): LocalSym {
    const sym: LocalSym = { name, ty, mutable, pos, id: this.nextId++ };
    const scope = this.scopes[this.scopes.length - 1];
    if (scope.has(name)) this.error('DUPLICATE', pos, `'${name}' is already declared in this scope`);
    scope.set(name, { k: 'local', sym });
    return sym;
  }
  /** A local `const x = <constant>` without a type: an untyped constant, like a module-level one. */
  declareLocalConst(name: string, value: bigint, ty: Ty, pos: number): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope.has(name)) this.error('DUPLICATE', pos, `'${name}' is already declared in this scope`);
    scope.set(name, { k: 'const', ty, value });
  }
  declareModule(name: string, sym: ValueSym, pos: number): void {
    if (this.values.has(name)) {
      this.error('DUPLICATE', pos, `'${name}' is already declared`);
      return;
    }
    this.values.set(name, sym);
  }

  expr(e: import('./ast.js').Expr, want?: Ty): TExpr {
    return this.parts.expr(this, e, want);
  }
  resolveType(t: import('./ast.js').TypeNode): Ty {
    return this.parts.resolveType(this, t);
  }

  // ---- conversions ----
  /** Gives an untyped constant its default type: i32, or i64/u64 when it does not fit. */
  materialize(e: TExpr): TExpr {
    if (e.ty.k !== 'lit' || e.k !== 'const') return e;
    const ty = fits(e.value, INT.i32) ? INT.i32 : fits(e.value, INT.i64) ? INT.i64 : INT.u64;
    return { ...e, ty };
  }

  /** Converts `e` to `to` where that loses nothing, else reports `what` and returns an error node. */
  coerce(e: TExpr, to: Ty, what = 'value'): TExpr {
    const from = e.ty;
    if (from.k === 'err' || to.k === 'err') return e;
    if (to.k === 'int') {
      if (from.k === 'lit' && e.k === 'const') {
        if (to.be) {
          this.error('TYPE_MISMATCH', e.pos, `a plain number is not a ${to.name} (network byte order)`, `write htons(${e.value}) / htonl(${e.value}) to convert it`);
          return err(e.pos);
        }
        if (!fits(e.value, to)) {
          this.error('CONST_RANGE', e.pos, `constant ${e.value} does not fit ${to.name}`, `use \`as ${to.name}\` to wrap it explicitly`);
          return err(e.pos);
        }
        return { ...e, ty: to };
      }
      if (from.k === 'int') {
        if (from.name === to.name) return e;
        if (widens(from, to)) return { k: 'cast', a: e, ty: to, pos: e.pos };
        this.error('TYPE_MISMATCH', e.pos, `cannot use ${tyName(from)} as ${to.name} implicitly (${what})`, from.be || to.be ? 'convert byte order with ntohs/htons/ntohl/htonl' : `convert it explicitly: (… as ${to.name})`);
        return err(e.pos);
      }
      this.error('TYPE_MISMATCH', e.pos, `expected ${to.name} but found ${tyName(from)} (${what})`);
      return err(e.pos);
    }
    if (to.k === 'bool') {
      if (from.k === 'bool') return e;
      this.error('TYPE_MISMATCH', e.pos, `expected bool but found ${tyName(from)} (${what})`, 'compare explicitly, e.g. x !== 0');
      return err(e.pos);
    }
    if (!sameTy(from, to)) {
      this.error('TYPE_MISMATCH', e.pos, `expected ${tyName(to)} but found ${tyName(from)} (${what})`);
      return err(e.pos);
    }
    return e;
  }

  private readonly busy = new Set<FuncInfo>();
  readonly funcDecls = new Map<FuncInfo, Func>();

  /** Checks a function's body the first time it is called (finding recursion on the way). */
  ensureChecked(fn: FuncInfo, pos: number): void {
    if (fn.checked) return;
    if (this.busy.has(fn)) {
      this.error('RECURSION', pos, `'${fn.name}' calls itself (directly or through other functions)`);
      fn.ret = fn.ret.k === 'void' ? fn.ret : ERR;
      return;
    }
    const decl = this.funcDecls.get(fn);
    if (!decl) return;
    this.busy.add(fn);
    const saved = [this.scopes, this.nonNull, this.packetEpoch, this.packetChanger, this.fnRet, this.loopDepth, this.switchDepth, this.current, this.resv, this.rs, this.retNegativeOk, this.fexitTarget, this.retBoolOk] as const;
    this.retNegativeOk = false;
    this.retBoolOk = false;
    this.fexitTarget = undefined;
    this.scopes = [];
    this.nonNull = new Set();
    this.resv = [];
    this.rs = emptyResv();
    this.packetEpoch = 0;
    this.loopDepth = 0;
    this.switchDepth = 0;
    this.current = fn;
    try {
      this.parts.checkFunction(this, fn, decl);
    } finally {
      fn.adjustsPacket = this.packetEpoch > 0;
      [this.scopes, this.nonNull, this.packetEpoch, this.packetChanger, this.fnRet, this.loopDepth, this.switchDepth, this.current, this.resv, this.rs, this.retNegativeOk, this.fexitTarget, this.retBoolOk] = saved;
      this.busy.delete(fn);
      fn.checked = true;
    }
  }

  structs(): StructDef[] {
    return this.mod.structs;
  }
}

export function err(pos: number): TExpr {
  return { k: 'err', ty: ERR, pos };
}

export function constOf(e: TExpr): bigint | undefined {
  return e.k === 'const' ? e.value : undefined;
}

export function asInt(t: Ty): IntTy | undefined {
  return t.k === 'int' ? t : undefined;
}
