/**
 * The checked program: every expression typed, every name resolved, implicit conversions made
 * explicit (`cast`), constants folded. The checker builds it; lowering walks it. Only programs
 * that checked without errors reach lowering, so lowering can trust it.
 */
import type { LogHint, LogKind, LogLevelName } from '../log/abi.js';
import type { ProgKind } from './program-kinds.js';
import type { Field, IntTy, MapDef, Space, StructDef, Ty } from './types.js';

export interface LocalSym {
  name: string;
  ty: Ty;
  mutable: boolean;
  pos: number;
  id: number;
  /** Views: what memory they point into (unknown for function parameters). */
  space?: Space;
  /** Constants: an upper bound of the value (packet offsets need one the verifier also sees). */
  max?: bigint;
  /** Views of memory the program may not write (a cgroup_skb packet, a tracepoint record). */
  readonly?: string;
}

export interface GlobalDef {
  name: string;
  ty: Ty;
  /** .rodata: exported const settings; .data: initialised `let`; .bss: zero `let`. */
  section: '.rodata' | '.data' | '.bss';
  /** Initial bytes (little-endian), `size` long. */
  init: Uint8Array;
  pos: number;
}

export interface FuncInfo {
  name: string;
  params: LocalSym[];
  ret: Ty;
  body: TStmt[];
  /** A bpf-to-bpf call (`/** @noinline *\/`) rather than inlined at each call. */
  noinline: boolean;
  pos: number;
  /** Filled by the checker once the body is checked (functions are checked on first use). */
  checked: boolean;
  /** Calls xdp_adjust_head/tail (directly or not): the caller's packet views are stale after it. */
  adjustsPacket: boolean;
}

export interface ProgramInfo {
  name: string;
  kind: ProgKind;
  section: string;
  /** What the declaration names (kernel function, tracepoint, direction), when it does. */
  target?: string;
  ctx: LocalSym;
  ret: Ty;
  body: TStmt[];
  pos: number;
}

export interface Module {
  file: string;
  programs: ProgramInfo[];
  functions: FuncInfo[];
  maps: MapDef[];
  globals: GlobalDef[];
  structs: StructDef[];
  license: string;
  /** `log.configure({ ringSize })`: bytes of the log ring buffer (default LOG_RINGBUF_SIZE). */
  logRingSize?: number;
}

/** One argument of a log call: how it is stored in the record (src/log layoutRecord). */
export interface LogArgInfo {
  kind: LogKind;
  hint: LogHint;
  size: number;
  offset: number;
  /** Network → host order before storing (be16/be32/be64 printed as numbers). */
  swap?: 16 | 32 | 64;
  /** Copied from memory (addresses, byte arrays) rather than stored from a register. */
  copy: boolean;
}

/** A checked `log.LEVEL(ctx, "format", …)`: everything lowering needs for the record. */
export interface LogCallInfo {
  level: LogLevelName;
  /** Literal pieces of the format, one more than the arguments. */
  text: string[];
  args: LogArgInfo[];
  /** Record length and the stack bytes it needs (layoutRecord). */
  size: number;
  stack: number;
}

interface E {
  ty: Ty;
  pos: number;
}

export type AtomicOp = 'add' | 'and' | 'or' | 'xor' | 'xchg' | 'cmpxchg';
export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>' | '>>>';
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type TExpr =
  | (E & { k: 'const'; value: bigint })
  | (E & { k: 'local'; sym: LocalSym })
  | (E & { k: 'global'; g: GlobalDef })
  /** A field of the struct `base` points at (a place). Virtual bit fields carry `field.bits`. */
  | (E & { k: 'field'; base: TExpr; field: Field })
  /** Element of the fixed array `base` (a place); `index` is range-checked by the checker. */
  | (E & { k: 'index'; base: TExpr; index: TExpr })
  | (E & { k: 'ctxlen'; ctx: TExpr })
  /** A context field (or argument slot): a load of `load` bytes at `offset` (writable ones are places). */
  | (E & { k: 'ctxfield'; ctx: TExpr; offset: number; load: 1 | 2 | 4 | 8; writable: boolean })
  /**
   * A struct or array inside the context (`ctx.cb`, `ctx.regs`, a tracepoint record's array): a
   * view; with `deref`, of the struct the context points at from `offset` (`ctx.sk`). `maxLoad`:
   * the widest load the kernel allows in it (per-field contexts: the element's size).
   */
  | (E & { k: 'ctxview'; ctx: TExpr; offset: number; writable: boolean; deref?: boolean; maxLoad?: number })
  /**
   * A helper that fills a new stack buffer of type `inner`: ctx.load<T>(offset) (skb_load_bytes),
   * probe_read_kernel/user(_str), get_current_comm. Nullable (the helper failed: < 0) unless `sure`.
   */
  | (E & { k: 'bufcall'; name: string; args: TExpr[]; inner: Ty; sure: boolean })
  /** ctx.header<T>(offset): a nullable packet view. */
  | (E & { k: 'header'; ctx: TExpr; offset: TExpr; def: StructDef })
  | (E & { k: 'lookup'; map: MapDef; key: TExpr })
  | (E & { k: 'reserve'; map: MapDef; size: number })
  | (E & { k: 'call'; fn: FuncInfo; args: TExpr[] })
  /** A helper call or intrinsic: name from builtins.FUNCTIONS or a map method (`map.update`, …). */
  /** `max`: an upper bound of the result the helper guarantees (msg_redirect_*: SK_DROP 0 or SK_PASS 1). */
  | (E & { k: 'intrinsic'; name: string; args: TExpr[]; map?: MapDef; fmt?: string; log?: LogCallInfo; max?: bigint })
  | (E & { k: 'atomic'; op: AtomicOp; place: TExpr; args: TExpr[] })
  | (E & { k: 'bswap'; a: TExpr; bits: 16 | 32 | 64 })
  | (E & { k: 'neg'; a: TExpr })
  | (E & { k: 'bitnot'; a: TExpr })
  | (E & { k: 'binary'; op: ArithOp; a: TExpr; b: TExpr })
  /** Comparison of two operands of type `opTy` (after conversion); result bool. */
  | (E & { k: 'cmp'; op: CmpOp; a: TExpr; b: TExpr; opTy: IntTy | { k: 'bool' } })
  | (E & { k: 'not'; a: TExpr })
  | (E & { k: 'logical'; op: '&&' | '||'; a: TExpr; b: TExpr })
  /** Integer as condition (x != 0). */
  | (E & { k: 'truthy'; a: TExpr })
  /** Nullable view test: true when it is present (non-null / long enough). */
  | (E & { k: 'present'; a: TExpr })
  | (E & { k: 'cond'; test: TExpr; a: TExpr; b: TExpr })
  /** Integer conversion (truncate, sign/zero extend, reinterpret); bool → int. */
  | (E & { k: 'cast'; a: TExpr })
  | (E & { k: 'assign'; place: TExpr; op?: ArithOp; value: TExpr; used: boolean })
  | (E & { k: 'update'; place: TExpr; op: '+' | '-'; prefix: boolean; used: boolean })
  /** `{ a: 1, b: x }` typed as a struct: a new zero-filled struct on the stack. */
  | (E & { k: 'structlit'; def: StructDef; inits: { field: Field; value: TExpr }[] })
  /** Copy of an aggregate (struct/array) into a place: `eth.dest = eth.source`. */
  | (E & { k: 'copy'; place: TExpr; value: TExpr })
  | (E & { k: 'err' });

export type TStmt =
  | { k: 'let'; sym: LocalSym; init?: TExpr; pos: number }
  | { k: 'expr'; e: TExpr; pos: number }
  | { k: 'if'; test: TExpr; then: TStmt[]; else: TStmt[]; pos: number }
  /** Bounded loop; `trip` is the iteration count when the checker could compute it. */
  | { k: 'for'; init: TStmt[]; test?: TExpr; update?: TExpr; body: TStmt[]; trip?: number; pos: number }
  | { k: 'switch'; disc: TExpr; cases: { values: bigint[]; isDefault: boolean; body: TStmt[]; pos: number }[]; pos: number }
  | { k: 'return'; value?: TExpr; pos: number }
  | { k: 'break'; pos: number }
  | { k: 'continue'; pos: number }
  | { k: 'block'; body: TStmt[]; pos: number };
