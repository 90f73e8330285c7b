/**
 * Random programs inside the compiler's subset, for the property test: a small typed AST, its
 * TypeScript rendering. The evaluator that runs the same AST is property-eval.ts.
 */

export type T = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';
const TYPES: T[] = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64'];
export const bits = (t: T): number => Number(t.slice(1));
const signed = (t: T): boolean => t[0] === 'i';
export const wrap = (v: bigint, t: T): bigint => (signed(t) ? BigInt.asIntN(bits(t), v) : BigInt.asUintN(bits(t), v));

/** The header the programs read: natural C layout, 24 bytes. `e` is big-endian (read with ntohs). */
export const HEADER = `interface P {
  a: u8;
  b: u8;
  c: u16;
  d: u32;
  e: be16;
  f: u16;
  g: u64;
}`;
export const FIELDS: Record<string, { off: number; ty: T; be?: boolean }> = {
  a: { off: 0, ty: 'u8' }, b: { off: 1, ty: 'u8' }, c: { off: 2, ty: 'u16' }, d: { off: 4, ty: 'u32' },
  e: { off: 8, ty: 'u16', be: true }, f: { off: 10, ty: 'u16' }, g: { off: 16, ty: 'u64' },
};
export const HEADER_SIZE = 24;

/** The second header, read at a variable offset: 8 bytes. */
export const HEADER_Q = `interface Q {
  x: u8;
  y: u16;
  z: u32;
}`;
export const QFIELDS: Record<string, { off: number; ty: T }> = { x: { off: 0, ty: 'u8' }, y: { off: 2, ty: 'u16' }, z: { off: 4, ty: 'u32' } };
export const Q_SIZE = 8;

export type Ex =
  | { k: 'lit'; ty: T; v: bigint }
  | { k: 'var'; ty: T; name: string }
  | { k: 'field'; ty: T; f: string }
  | { k: 'len'; ty: 'u32' }
  | { k: 'bin'; ty: T; op: '+' | '-' | '*' | '&' | '|' | '^' | '/' | '%'; a: Ex; b: Ex }
  | { k: 'shift'; ty: T; op: '<<' | '>>' | '>>>'; a: Ex; n: number }
  | { k: 'un'; ty: T; op: '-' | '~'; a: Ex }
  | { k: 'cast'; ty: T; a: Ex }
  | { k: 'cond'; ty: T; c: Cond; a: Ex; b: Ex }
  /** A call of one of the program's generated functions. */
  | { k: 'call'; ty: T; fn: string; args: Ex[] }
  /** A field of `q`, the second header (read at a variable offset). */
  | { k: 'qfield'; ty: T; f: string };

export type Cond =
  | { k: 'cmp'; op: '<' | '<=' | '>' | '>=' | '===' | '!=='; a: Ex; b: Ex }
  | { k: 'and' | 'or'; a: Cond; b: Cond }
  | { k: 'not'; a: Cond };

export type St =
  | { k: 'set'; name: string; ty: T; op: '=' | '+=' | '-=' | '&=' | '|=' | '^=' | '*='; e: Ex }
  | { k: 'store'; f: string; e: Ex }
  | { k: 'if'; c: Cond; then: St[]; else: St[] }
  | { k: 'for'; iv: string; n: number; body: St[] }
  | { k: 'ret'; e: Ex }
  | { k: 'break' }
  | { k: 'continue' }
  | { k: 'out'; e: Ex }
  | { k: 'switch'; name: string; ty: T; cases: { v: bigint; body: St[]; brk: boolean }[]; dflt?: St[] }
  /** `{ const q = ctx.header<Q>(off); if (q) { body } }`, the offset computed at run time. */
  | { k: 'hdr2'; off: Ex; body: St[] }
  /** A local of a generated function. */
  | { k: 'let'; name: string; ty: T; e: Ex };

/** A generated function: integer parameters, a few statements, a result. Inlined or @noinline. */
export interface Fn {
  name: string;
  params: { name: string; ty: T }[];
  ret: T;
  noinline: boolean;
  body: St[];
  result: Ex;
}

export interface Prog {
  name: string;
  fns: Fn[];
  off: number;
  vars: { name: string; ty: T; init: Ex }[];
  body: St[];
  ret: Ex;
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  private vars: { name: string; ty: T }[] = [];
  private loopVars: string[] = [];
  /** No conditional expressions (bodies of long loops: see stmt()). */
  private straight = false;
  /** Inside a function body: no packet, no context, no globals. */
  private inFn = false;
  /** Inside `if (q)`: q's fields are readable. */
  private inQ = false;
  private fns: Fn[] = [];
  constructor(private readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<X>(xs: readonly X[]): X {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  lit(ty: T): Ex {
    const b = BigInt(bits(ty));
    const choices = [0n, 1n, 2n, 3n, 7n, 255n, 256n, 0xffffn, 0x7fffffffn, 0xffffffffn, (1n << b) - 1n, 1n << (b - 1n), BigInt(this.int(1000))];
    let v = this.pick(choices);
    if (this.chance(0.3)) v = -v;
    return { k: 'lit', ty, v: wrap(v, ty) };
  }

  expr(ty: T, depth: number): Ex {
    const leafs: (() => Ex)[] = [() => this.lit(ty)];
    const vs = this.vars.filter((v) => v.ty === ty);
    if (vs.length) leafs.push(() => ({ k: 'var', ty, name: this.pick(vs).name }));
    const fs = Object.entries(FIELDS).filter(([, f]) => f.ty === ty);
    if (fs.length && !this.inFn) leafs.push(() => ({ k: 'field', ty, f: this.pick(fs)[0] }));
    const qs = Object.entries(QFIELDS).filter(([, f]) => f.ty === ty);
    if (qs.length && this.inQ) leafs.push(() => ({ k: 'qfield', ty, f: this.pick(qs)[0] }));
    const callable = this.fns.filter((f) => f.ret === ty);
    if (callable.length && !this.inFn && !this.straight && depth > 0 && this.chance(0.3)) {
      const f = this.pick(callable);
      return { k: 'call', ty, fn: f.name, args: f.params.map((p) => this.expr(p.ty, depth - 1)) };
    }
    if (ty === 'u32' && !this.inFn) {
      leafs.push(() => ({ k: 'len', ty: 'u32' }));
      if (this.loopVars.length) leafs.push(() => ({ k: 'var', ty: 'u32', name: this.pick(this.loopVars) }));
    }
    if (depth <= 0 || this.chance(0.3)) return this.pick(leafs)();
    const d = depth - 1;
    switch (this.int(this.straight ? 5 : 6)) {
      case 0:
      case 1: {
        const ops = signed(ty) ? (['+', '-', '*', '&', '|', '^'] as const) : (['+', '-', '*', '&', '|', '^', '/', '%'] as const);
        return { k: 'bin', ty, op: this.pick(ops), a: this.expr(ty, d), b: this.expr(ty, d) };
      }
      case 2:
        return { k: 'shift', ty, op: this.pick(['<<', '>>', '>>>'] as const), a: this.expr(ty, d), n: this.int(bits(ty)) };
      case 3:
        return { k: 'un', ty, op: this.pick(['-', '~'] as const), a: this.expr(ty, d) };
      case 4:
        return { k: 'cast', ty, a: this.expr(this.pick(TYPES), d) };
      default:
        return { k: 'cond', ty, c: this.cond(d), a: this.expr(ty, d), b: this.expr(ty, d) };
    }
  }

  cond(depth: number): Cond {
    if (depth > 0 && this.chance(0.3)) {
      const k = this.pick(['and', 'or', 'not'] as const);
      if (k === 'not') return { k, a: this.cond(depth - 1) };
      return { k, a: this.cond(depth - 1), b: this.cond(depth - 1) };
    }
    const ty = this.pick(TYPES);
    return { k: 'cmp', op: this.pick(['<', '<=', '>', '>=', '===', '!=='] as const), a: this.expr(ty, Math.min(depth, 1)), b: this.expr(ty, Math.min(depth, 1)) };
  }

  stmts(n: number, depth: number, inLoop: boolean): St[] {
    const out: St[] = [];
    for (let i = 0; i < n; i++) out.push(this.stmt(depth, inLoop));
    return out;
  }

  stmt(depth: number, inLoop: boolean): St {
    if (this.inFn) return this.fnStmt(depth);
    const roll = this.int(12);
    if (roll === 10 && depth > 0) {
      const v = this.pick(this.vars);
      const cases: { v: bigint; body: St[]; brk: boolean }[] = [];
      const used = new Set<bigint>();
      for (let n = 1 + this.int(3); n > 0; n--) {
        const c = this.lit(v.ty) as { v: bigint };
        if (used.has(c.v)) continue;
        used.add(c.v);
        cases.push({ v: c.v, body: this.stmts(this.int(2), depth - 1, inLoop), brk: this.chance(0.7) });
      }
      return { k: 'switch', name: v.name, ty: v.ty, cases, dflt: this.chance(0.6) ? this.stmts(1, depth - 1, inLoop) : undefined };
    }
    if (roll === 11 && depth > 0 && !inLoop && !this.inQ) {
      const offs: (() => Ex)[] = [
        () => ({ k: 'bin', ty: 'u8', op: '+', a: { k: 'bin', ty: 'u8', op: '*', a: { k: 'bin', ty: 'u8', op: '&', a: { k: 'field', ty: 'u8', f: 'a' }, b: { k: 'lit', ty: 'u8', v: 15n } }, b: { k: 'lit', ty: 'u8', v: 4n } }, b: { k: 'lit', ty: 'u8', v: BigInt(this.int(20)) } }),
        () => ({ k: 'bin', ty: 'u32', op: '&', a: { k: 'len', ty: 'u32' }, b: { k: 'lit', ty: 'u32', v: BigInt(this.pick([7, 15, 63])) } }),
        () => ({ k: 'var', ty: 'u32', name: this.vars.find((x) => x.ty === 'u32')?.name ?? 'v0' }),
        () => ({ k: 'lit', ty: 'u32', v: BigInt(this.int(64)) }),
      ];
      let off = this.pick(offs)();
      if (off.k === 'var' && !this.vars.some((x) => x.ty === 'u32')) off = { k: 'lit', ty: 'u32', v: 3n };
      this.inQ = true;
      const body = this.stmts(1 + this.int(3), depth - 1, false);
      this.inQ = false;
      return { k: 'hdr2', off, body };
    }
    if (roll <= 3 || depth <= 0) {
      const v = this.pick(this.vars);
      const ops = ['=', '+=', '-=', '&=', '|=', '^=', '*='] as const;
      return { k: 'set', name: v.name, ty: v.ty, op: this.pick(ops), e: this.expr(v.ty, 2) };
    }
    if (roll === 4) {
      const [f, spec] = this.pick(Object.entries(FIELDS));
      return { k: 'store', f, e: this.expr(spec.ty, 2) };
    }
    if (roll === 5 || roll === 6) {
      const then = this.stmts(1 + this.int(2), depth - 1, inLoop);
      if (inLoop && this.chance(0.3)) then.push(this.chance(0.5) ? { k: 'break' } : { k: 'continue' });
      return { k: 'if', c: this.cond(2), then, else: this.chance(0.5) ? this.stmts(1 + this.int(2), depth - 1, inLoop) : [] };
    }
    if (roll === 7 && !inLoop) {
      const iv = `i${this.loopVars.length}`;
      this.loopVars.push(iv);
      const n = this.pick([1, 2, 3, 4, 6, 10, 17, 30]);
      let body: St[];
      if (n <= 6) body = this.stmts(1 + this.int(3), depth - 1, true);
      else {
        // long loops stay loops: keep their bodies straight-line (plus an early exit), so the
        // verifier's state pruning works (data-dependent branches in every iteration would make
        // it walk 2^n paths — a limit of bounded loops, not of the compiler)
        body = [];
        this.straight = true;
        for (let k = 1 + this.int(3); k > 0; k--) {
          const v = this.pick(this.vars);
          body.push(this.chance(0.7) ? { k: 'set', name: v.name, ty: v.ty, op: this.pick(['+=', '^=', '|=', '-='] as const), e: this.expr(v.ty, 1) } : { k: 'out', e: this.expr('u64', 1) });
        }
        if (this.chance(0.5)) body.push({ k: 'if', c: this.cond(0), then: [{ k: 'break' }], else: [] });
        this.straight = false;
      }
      this.loopVars.pop();
      return { k: 'for', iv, n, body };
    }
    if (roll === 8) return { k: 'out', e: this.expr('u64', 2) };
    return { k: 'ret', e: this.expr('u32', 2) };
  }

  /** Statements of a generated function: locals, assignments, early returns. */
  private fnStmt(depth: number): St {
    const roll = this.int(6);
    if (roll <= 2 || depth <= 0) {
      const v = this.pick(this.vars);
      return { k: 'set', name: v.name, ty: v.ty, op: this.pick(['=', '+=', '^=', '*=', '-='] as const), e: this.expr(v.ty, 2) };
    }
    if (roll === 3) return { k: 'ret', e: this.expr(this.fnRet!, 2) };
    return { k: 'if', c: this.cond(1), then: this.stmts(1, depth - 1, false), else: this.chance(0.5) ? this.stmts(1, depth - 1, false) : [] };
  }
  private fnRet?: T;

  private fn(name: string): Fn {
    const saved = this.vars;
    this.inFn = true;
    const params = Array.from({ length: 1 + this.int(3) }, (_, i) => ({ name: `a${i}`, ty: this.pick(TYPES) }));
    const ret = this.pick(TYPES);
    this.fnRet = ret;
    const noinline = this.chance(0.4);
    this.vars = params.map((p) => ({ ...p }));
    const lt = this.pick(TYPES);
    const body: St[] = [{ k: 'let', name: 't0', ty: lt, e: this.expr(lt, 2) }];
    this.vars.push({ name: 't0', ty: lt });
    body.push(...this.stmts(1 + this.int(3), 2, false));
    const result = this.expr(ret, 2);
    this.vars = saved;
    this.inFn = false;
    this.fnRet = undefined;
    return { name, params, ret, noinline, body, result };
  }

  program(name: string): Prog {
    this.fns = [];
    for (let i = this.int(3); i > 0; i--) this.fns.push(this.fn(`${name}_f${this.fns.length}`));
    const nvars = 2 + this.int(4);
    const vars: Prog['vars'] = [];
    for (let i = 0; i < nvars; i++) {
      const ty = this.pick(TYPES);
      const init = this.expr(ty, 1);
      vars.push({ name: `v${i}`, ty, init });
      this.vars.push({ name: `v${i}`, ty });
    }
    const body = this.stmts(2 + this.int(5), 3, false);
    return { name, fns: this.fns, off: this.pick([0, 2, 14, 20, 34]), vars, body, ret: this.expr('u32', 3) };
  }
}

// ---------------------------------------------------------------- rendering

function rex(e: Ex): string {
  switch (e.k) {
    case 'lit':
      return `(${e.v} as ${e.ty})`;
    case 'var':
      return e.name;
    case 'field':
      return FIELDS[e.f].be ? `ntohs(h.${e.f})` : `h.${e.f}`;
    case 'len':
      return 'ctx.len';
    case 'bin':
      return `(${rex(e.a)} ${e.op} ${rex(e.b)})`;
    case 'shift':
      return `(${rex(e.a)} ${e.op} ${e.n})`;
    case 'un':
      return `(${e.op}${rex(e.a)})`;
    case 'cast':
      return `(${rex(e.a)} as ${e.ty})`;
    case 'cond':
      return `(${rcond(e.c)} ? ${rex(e.a)} : ${rex(e.b)})`;
    case 'call':
      return `${e.fn}(${e.args.map(rex).join(', ')})`;
    case 'qfield':
      return `q.${e.f}`;
  }
}

function rcond(c: Cond): string {
  if (c.k === 'cmp') return `${rex(c.a)} ${c.op} ${rex(c.b)}`;
  if (c.k === 'not') return `!(${rcond(c.a)})`;
  return `(${rcond(c.a)}) ${c.k === 'and' ? '&&' : '||'} (${rcond(c.b)})`;
}

function rst(s: St, ind: string): string[] {
  switch (s.k) {
    case 'set':
      return [`${ind}${s.name} ${s.op} ${rex(s.e)};`];
    case 'store':
      return [`${ind}h.${s.f} = ${FIELDS[s.f].be ? `htons(${rex(s.e)})` : rex(s.e)};`];
    case 'if': {
      const out = [`${ind}if (${rcond(s.c)}) {`, ...s.then.flatMap((x) => rst(x, ind + '  '))];
      if (s.else.length) out.push(`${ind}} else {`, ...s.else.flatMap((x) => rst(x, ind + '  ')));
      out.push(`${ind}}`);
      return out;
    }
    case 'for':
      return [`${ind}for (let ${s.iv}: u32 = 0; ${s.iv} < ${s.n}; ${s.iv}++) {`, ...s.body.flatMap((x) => rst(x, ind + '  ')), `${ind}}`];
    case 'ret':
      return [`${ind}return ${rex(s.e)};`];
    case 'break':
      return [`${ind}break;`];
    case 'continue':
      return [`${ind}continue;`];
    case 'out':
      return [`${ind}g_out = ${rex(s.e)};`];
    case 'let':
      return [`${ind}let ${s.name}: ${s.ty} = ${rex(s.e)};`];
    case 'switch': {
      const out = [`${ind}switch (${s.name}) {`];
      for (const c of s.cases) {
        out.push(`${ind}  case (${c.v} as ${s.ty}):`, ...c.body.flatMap((x) => rst(x, ind + '    ')));
        if (c.brk) out.push(`${ind}    break;`);
      }
      if (s.dflt) out.push(`${ind}  default:`, ...s.dflt.flatMap((x) => rst(x, ind + '    ')));
      out.push(`${ind}}`);
      return out;
    }
    case 'hdr2':
      return [`${ind}{`, `${ind}  const q = ctx.header<Q>(${rex(s.off)});`, `${ind}  if (q) {`, ...s.body.flatMap((x) => rst(x, ind + '    ')), `${ind}  }`, `${ind}}`];
  }
}

export function render(progs: Prog[]): string {
  const lines = [
    'import { xdp, ntohs, htons, type u8, type u16, type u32, type u64, type i8, type i16, type i32, type i64, type be16 } from "tsbpf/kernel";',
    HEADER,
    HEADER_Q,
    'let g_out: u64 = 0;',
  ];
  for (const p of progs) {
    for (const f of p.fns) {
      if (f.noinline) lines.push('/** @noinline */');
      lines.push(`function ${f.name}(${f.params.map((x) => `${x.name}: ${x.ty}`).join(', ')}): ${f.ret} {`);
      for (const st of f.body) lines.push(...rst(st, '  '));
      lines.push(`  return ${rex(f.result)};`, '}');
    }
    lines.push(`export const ${p.name} = xdp((ctx) => {`, `  const h = ctx.header<P>(${p.off});`, '  if (!h) return 77;');
    for (const v of p.vars) lines.push(`  let ${v.name}: ${v.ty} = ${rex(v.init)};`);
    for (const s of p.body) lines.push(...rst(s, '  '));
    lines.push(`  return ${rex(p.ret)};`, '});');
  }
  return lines.join('\n') + '\n';
}

