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
import { FIB_LOOKUP, FUNCTIONS, HEADERS, KERNEL, TRACE_FORMATS } from '../../src/compiler/builtins.js';
import { CONTEXTS, PT_REGS } from '../../src/compiler/contexts.js';
import { PROGRAM_KINDS } from '../../src/compiler/program-kinds.js';
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

/** An interface's members with those of the interfaces it extends (TcContext extends SkBuffContext). */
function interfaceMembers(decls: Map<string, Decl>, name: string): Map<string, { type: string; readonly: boolean; method: boolean }> {
  const d = decls.get(name);
  assert.ok(d && d.stmt.k === 'Interface', `${name} is declared as an interface`);
  const out = new Map<string, { type: string; readonly: boolean; method: boolean }>();
  if (d.stmt.k !== 'Interface') return out;
  for (const base of d.stmt.extends) if (base.k === 'TRef') for (const [k, v] of interfaceMembers(decls, base.name)) out.set(k, v);
  for (const m of d.stmt.members) out.set(m.name, { type: typeText(m.type), readonly: m.readonly, method: m.method });
  return out;
}

test('program contexts: the same fields, types and writability on both sides; methods as the compiler offers them', () => {
  const decls = declarations();
  for (const desc of CONTEXTS.values()) {
    if (desc.name === 'TracepointContext') continue; // a type alias over the record (Readonly<Record>)
    const declared = interfaceMembers(decls, desc.name);
    const fields = [...declared].filter(([, m]) => !m.method);
    const expectFields = desc.fields.map((f) => f.name);
    if (desc.lenFromPacket) expectFields.unshift('len');
    assert.deepEqual(fields.map(([n]) => n).sort(), expectFields.sort(), `${desc.name}: fields`);
    for (const f of desc.fields) {
      const m = declared.get(f.name)!;
      if (f.ty.k === 'array') {
        // a view: the property is never reassigned; its elements are writable unless Readonly<…>
        assert.ok(m.readonly, `${desc.name}.${f.name}: readonly property`);
        assert.equal(m.type, f.writable ? tyName(f.ty) : `Readonly<${tyName(f.ty)}>`, `${desc.name}.${f.name}: type and writability`);
        continue;
      }
      assert.equal(m.type, tyName(f.ty), `${desc.name}.${f.name}: type`);
      assert.equal(m.readonly, f.writable !== true, `${desc.name}.${f.name}: ${f.writable ? 'writable' : 'read-only'}`);
    }
    const methods = [...declared].filter(([, m]) => m.method).map(([n]) => n).sort();
    const want = [desc.packet && 'header', desc.skbLoad && 'load', desc.args && 'arg', desc.ret !== undefined && 'ret'].filter((x): x is string => !!x).sort();
    assert.deepEqual(methods, want, `${desc.name}: methods`);
  }
});

test('PtRegs and the tracepoint formats have the same fields and types on both sides', () => {
  const decls = declarations();
  for (const [name, def] of [['PtRegs', PT_REGS] as const, ...Object.entries(TRACE_FORMATS)]) {
    const declared = [...interfaceMembers(decls, name)].map(([n, m]) => `${n}: ${m.type}`);
    assert.deepEqual(declared, def.fields.map((f) => `${f.name}: ${tyName(f.ty)}`), name);
  }
});

test('every program declaration of the compiler is a declared function', () => {
  const decls = declarations();
  for (const k of PROGRAM_KINDS.values()) assert.equal(decls.get(k.fn)?.kind, 'function', k.fn);
});
