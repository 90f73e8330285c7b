/**
 * `tsbpf/kernel` has two faces: the declarations editors read (src/kernel/*.ts) and the table the
 * compiler uses (src/compiler/builtins.ts). This test parses the declarations with our own parser
 * and checks both agree: the same exported names, the same constant values, the same struct
 * fields (names and types); and that the examples type-check with the real TypeScript checker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Expr, Stmt, TypeNode } from '../../src/compiler/ast.js';
import { FIB_LOOKUP, FUNCTIONS, HEADERS, KERNEL } from '../../src/compiler/builtins.js';
import { Diagnostics, LineMap, formatDiagnostic } from '../../src/compiler/diagnostics.js';
import { parse } from '../../src/compiler/parser.js';
import { tyName, type StructDef } from '../../src/compiler/types.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KDIR = join(ROOT, 'src', 'kernel');

interface Decl {
  kind: 'type' | 'interface' | 'const' | 'function' | 'class';
  stmt: Stmt;
}

function declarations(): Map<string, Decl> {
  const out = new Map<string, Decl>();
  for (const f of readdirSync(KDIR).filter((x) => x.endsWith('.ts') && x !== 'index.ts')) {
    const text = readFileSync(join(KDIR, f), 'utf8');
    const d = new Diagnostics(f, new LineMap(text));
    const sf = parse(f, text, d);
    assert.deepEqual(d.list.map(formatDiagnostic), [], `our parser reads src/kernel/${f}`);
    for (const s of sf.body) {
      if (s.k === 'TypeAlias' && s.exported) out.set(s.name, { kind: 'type', stmt: s });
      else if (s.k === 'Interface' && s.exported) out.set(s.name, { kind: 'interface', stmt: s });
      else if (s.k === 'Func' && s.exported) out.set(s.name, { kind: 'function', stmt: s });
      else if (s.k === 'Var' && s.exported) for (const v of s.decls) out.set(v.name, { kind: 'const', stmt: s });
      else if (s.k === 'Unsupported' && s.what === 'class') {
        // classes are outside the subset our parser models: take the name from the text
        const m = /^class\s+(\w+)/.exec(text.slice(s.pos, s.end));
        if (m && /export\s+declare\s+$/.test(text.slice(Math.max(0, s.pos - 40), s.pos))) out.set(m[1], { kind: 'class', stmt: s });
      }
    }
  }
  return out;
}

test('src/kernel exports exactly the names the compiler knows', () => {
  const decls = declarations();
  const declared = [...decls.keys()].filter((n) => !['Ref', 'MapValue', 'MapOptions', 'PrintArg'].includes(n) || KERNEL.has(n)).sort();
  const known = [...KERNEL.keys()].sort();
  assert.deepEqual(declared.filter((n) => !KERNEL.has(n)), [], 'declared in src/kernel but unknown to the compiler');
  assert.deepEqual(known.filter((n) => !decls.has(n)), [], 'known to the compiler but not declared in src/kernel');
});

function constValue(e: Expr): bigint | undefined {
  if (e.k === 'Num') return e.value ?? undefined;
  if (e.k === 'Unary' && e.op === '-' && e.expr.k === 'Num') return -(e.expr.value ?? 0n);
  return undefined;
}

test('constant tables (XdpAction, EtherType, …) have the same values on both sides', () => {
  for (const [name, d] of declarations()) {
    if (d.kind !== 'const' || d.stmt.k !== 'Var') continue;
    const b = KERNEL.get(name)!;
    const decl = d.stmt.decls.find((x) => x.name === name)!;
    if (!decl.init) {
      // `export declare const log: Log`: an object the compiler knows as a builtin, not a table
      assert.ok(d.stmt.declare && decl.type, `${name} is declared with a type`);
      assert.equal(b.k, 'log', `${name} is the log builtin`);
      continue;
    }
    const init = decl.init;
    const obj = init.k === 'As' ? init.expr : init;
    if (obj.k === 'Object') {
      assert.equal(b.k, 'enum', `${name} is an enum for the compiler`);
      if (b.k !== 'enum') continue;
      const members = new Map(obj.props.map((p) => [p.name, constValue(p.value)]));
      assert.deepEqual(members, b.members, `members of ${name}`);
    } else {
      assert.equal(b.k, 'const', `${name} is a constant for the compiler`);
      if (b.k === 'const') assert.equal(constValue(obj), b.value, `value of ${name}`);
    }
  }
});

function typeText(t: TypeNode | undefined): string {
  if (!t) return '?';
  if (t.k === 'TRef') return t.args.length ? `${t.name}<${t.args.map(typeText).join(', ')}>` : t.name;
  if (t.k === 'TLiteral') return String(t.value);
  return t.k;
}

function compilerType(def: StructDef, field: string): string {
  const f = def.fields.find((x) => x.name === field);
  return f ? tyName(f.ty) : 'missing';
}

test('header structs and FibLookup have the same fields and types on both sides', () => {
  const decls = declarations();
  for (const [name, def] of [...Object.entries(HEADERS), ['FibLookup', FIB_LOOKUP] as const]) {
    const d = decls.get(name);
    assert.ok(d && d.stmt.k === 'Interface', `${name} is declared as an interface`);
    if (d.stmt.k !== 'Interface') continue;
    const declared = d.stmt.members.map((m) => `${m.name}: ${typeText(m.type)}`);
    const known = d.stmt.members.map((m) => `${m.name}: ${compilerType(def, m.name)}`);
    assert.deepEqual(declared, known, name);
    assert.deepEqual(d.stmt.members.map((m) => m.name).sort(), def.fields.map((f) => f.name).sort(), `${name}: no extra compiler fields`);
  }
});

test('every helper and intrinsic the compiler knows is a declared function', () => {
  const decls = declarations();
  for (const f of FUNCTIONS) assert.equal(decls.get(f)?.kind, 'function', f);
  assert.equal(decls.get('xdp')?.kind, 'function');
});

test('the examples type-check with the TypeScript compiler against tsbpf/kernel', { timeout: 60_000 }, () => {
  const require = createRequire(import.meta.url);
  const ts = require('typescript') as typeof import('typescript');
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.bpf.ts')).map((f) => join(ROOT, 'examples', f));
  assert.ok(files.length >= 5);
  const program = ts.createProgram(files, {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], skipLibCheck: true,
  });
  const diags = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  assert.deepEqual(diags, []);
});
