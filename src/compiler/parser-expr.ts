/**
 * Expression syntax, by precedence climbing. Handles TypeScript's additions: `as`/`satisfies`,
 * non-null `!`, `<T>x` assertions, call type arguments (`m.reserve<Event>()`) and arrow functions.
 */
import type { Block, Expr, ObjProp, Param } from './ast.js';
import { TypeParser } from './parser-types.js';
import { describe } from './parser-base.js';

const BINARY_PREC: Record<string, number> = {
  '??': 1, '||': 2, '&&': 3, '|': 4, '^': 5, '&': 6,
  '==': 7, '!=': 7, '===': 7, '!==': 7,
  '<': 8, '>': 8, '<=': 8, '>=': 8, instanceof: 8, in: 8, as: 8, satisfies: 8,
  '<<': 9, '>>': 9, '>>>': 9,
  '+': 10, '-': 10, '*': 11, '/': 11, '%': 11, '**': 12,
};

const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '>>>=', '&=', '|=', '^=', '**=', '&&=', '||=', '??=']);

export abstract class ExprParser extends TypeParser {
  protected abstract parseBlock(): Block;

  parseExpr(): Expr {
    const pos = this.tok.pos;
    let e = this.parseAssign();
    while (this.isPunct(',')) {
      this.next();
      const right = this.parseAssign();
      e = { k: 'Binary', op: ',', left: e, right, pos, end: this.prevEnd };
    }
    return e;
  }

  /** The operator at the cursor, joining `>` tokens that touch into `>>`, `>=`, `>>>=` … */
  private gtOperator(): string {
    let op = '>';
    let j = this.i;
    while (this.toks[j + 1] && this.toks[j + 1].pos === this.toks[j].end && this.toks[j + 1].kind === 'punct') {
      const nt = this.toks[j + 1].text;
      if (nt === '>' && (op === '>' || op === '>>')) { op += '>'; j++; continue; }
      if (nt === '=' && !op.endsWith('=')) { op += '='; j++; break; }
      if (nt === '>=' || nt === '==' || nt === '=>') break;
      break;
    }
    return op;
  }
  private takeOperator(op: string): void {
    if (!op.startsWith('>')) { this.next(); return; }
    // consume the '>' and '=' tokens that make up op
    let len = 0;
    while (len < op.length) len += this.next().text.length;
  }
  private currentOp(): string | undefined {
    const t = this.tok;
    if (t.kind === 'punct') return t.text === '>' ? this.gtOperator() : t.text;
    if (t.kind === 'ident' && (t.text === 'as' || t.text === 'satisfies' || t.text === 'instanceof' || t.text === 'in') && !t.nl) return t.text;
    return undefined;
  }

  parseAssign(): Expr {
    const pos = this.tok.pos;
    const arrow = this.tryArrow();
    if (arrow) return arrow;
    if (this.is('yield')) {
      this.next();
      if (!this.tok.nl && !this.isPunct(')') && !this.isPunct(';') && !this.isPunct('}')) this.parseAssign();
      return { k: 'Other', what: 'yield', pos, end: this.prevEnd };
    }
    const left = this.parseConditional();
    const op = this.currentOp();
    if (op && ASSIGN_OPS.has(op)) {
      this.takeOperator(op);
      const value = this.parseAssign();
      return { k: 'Assign', op, target: left, value, pos, end: this.prevEnd };
    }
    return left;
  }

  private parseConditional(): Expr {
    const pos = this.tok.pos;
    const test = this.parseBinary(0);
    if (!this.isPunct('?')) return test;
    this.next();
    const then = this.parseAssign();
    this.expect(':', 'in conditional expression');
    const els = this.parseAssign();
    return { k: 'Cond', test, then, else: els, pos, end: this.prevEnd };
  }

  private parseBinary(minPrec: number): Expr {
    const pos = this.tok.pos;
    let left = this.parseUnary();
    while (true) {
      const op = this.currentOp();
      if (op === undefined) break;
      const prec = BINARY_PREC[op];
      if (prec === undefined || prec <= minPrec) break;
      this.takeOperator(op);
      if (op === 'as' || op === 'satisfies') {
        if (this.is('const')) {
          const c = this.next();
          left = { k: 'As', expr: left, type: { k: 'TRef', name: 'const', args: [], pos: c.pos, end: c.end }, satisfies: op === 'satisfies', pos, end: this.prevEnd };
        } else {
          left = { k: 'As', expr: left, type: this.parseType(), satisfies: op === 'satisfies', pos, end: this.prevEnd };
        }
        continue;
      }
      const right = this.parseBinary(op === '**' ? prec - 1 : prec);
      left = { k: 'Binary', op, left, right, pos, end: this.prevEnd };
    }
    return left;
  }

  private parseUnary(): Expr {
    const t = this.tok;
    const pos = t.pos;
    if (t.kind === 'punct' && (t.text === '!' || t.text === '-' || t.text === '+' || t.text === '~')) {
      this.next();
      return { k: 'Unary', op: t.text, expr: this.parseUnary(), pos, end: this.prevEnd };
    }
    if (t.kind === 'punct' && (t.text === '++' || t.text === '--')) {
      this.next();
      return { k: 'Update', op: t.text, prefix: true, expr: this.parseUnary(), pos, end: this.prevEnd };
    }
    if (t.kind === 'ident' && (t.text === 'typeof' || t.text === 'void' || t.text === 'delete' || t.text === 'await')) {
      const nt = this.peek();
      if (!(nt.kind === 'punct' && /^[)\],;:=}.?]|^=>$/.test(nt.text))) {
        this.next();
        return { k: 'Unary', op: t.text, expr: this.parseUnary(), pos, end: this.prevEnd };
      }
    }
    if (t.kind === 'punct' && t.text === '<') {
      // old-style assertion <T>expr
      this.next();
      const type = this.parseType();
      this.expect('>');
      const expr = this.parseUnary();
      return { k: 'As', expr, type, pos, end: this.prevEnd };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    const pos = this.tok.pos;
    let e = this.parseCallMember();
    const t = this.tok;
    if (t.kind === 'punct' && (t.text === '++' || t.text === '--') && !t.nl) {
      this.next();
      e = { k: 'Update', op: t.text, prefix: false, expr: e, pos, end: this.prevEnd };
    }
    return e;
  }

  private parseCallMember(): Expr {
    const pos = this.tok.pos;
    let e: Expr;
    if (this.is('new')) {
      this.next();
      if (this.isPunct('.')) {
        this.next();
        this.ident();
        e = { k: 'Other', what: 'new.target', pos, end: this.prevEnd };
      } else {
        const callee = this.parseMemberOnly();
        const typeArgs = this.isPunct('<') ? this.parseTypeArgs() : [];
        const args = this.isPunct('(') ? this.parseArgs() : [];
        e = { k: 'New', callee, typeArgs, args, pos, end: this.prevEnd };
      }
    } else {
      e = this.parsePrimary();
    }
    return this.parseTail(e, pos, true);
  }

  /** The callee of `new`: member accesses without calls. */
  private parseMemberOnly(): Expr {
    const pos = this.tok.pos;
    return this.parseTail(this.parsePrimary(), pos, false);
  }

  private parseTail(e: Expr, pos: number, calls: boolean): Expr {
    while (true) {
      const t = this.tok;
      if (t.kind !== 'punct') break;
      if (t.text === '.' || t.text === '?.') {
        this.next();
        const optional = t.text === '?.';
        if (optional && (this.isPunct('(') || this.isPunct('['))) {
          if (this.isPunct('(') && calls) { e = { k: 'Call', callee: e, typeArgs: [], args: this.parseArgs(), optional: true, pos, end: this.prevEnd }; continue; }
          this.next();
          const index = this.parseExpr();
          this.expect(']');
          e = { k: 'Index', obj: e, index, pos, end: this.prevEnd };
          continue;
        }
        if (this.isPunct('#')) this.next();
        const n = this.ident('a member name');
        e = { k: 'Member', obj: e, name: n.text, namePos: n.pos, optional, pos, end: n.end };
        continue;
      }
      if (t.text === '[' ) {
        this.next();
        const index = this.parseExpr();
        this.expect(']');
        e = { k: 'Index', obj: e, index, pos, end: this.prevEnd };
        continue;
      }
      if (t.text === '!' && !t.nl && !(this.peek().kind === 'punct' && this.peek().text === '=' && this.peek().pos === t.end)) {
        this.next();
        e = { k: 'NonNull', expr: e, pos, end: this.prevEnd };
        continue;
      }
      if (!calls) break;
      if (t.text === '(') {
        e = { k: 'Call', callee: e, typeArgs: [], args: this.parseArgs(), optional: false, pos, end: this.prevEnd };
        continue;
      }
      if (t.text === '<') {
        const typeArgs = this.attempt(() => {
          const ta = this.parseTypeArgs();
          if (!this.isPunct('(')) this.fail(this.tok.pos, 'not a call');
          return ta;
        });
        if (!typeArgs) break;
        e = { k: 'Call', callee: e, typeArgs, args: this.parseArgs(), optional: false, pos, end: this.prevEnd };
        continue;
      }
      if (t.kind === 'punct' && t.text === '`') break;
      break;
    }
    if (this.tok.kind === 'template' && !this.tok.nl) {
      this.next();
      e = { k: 'Other', what: 'tagged template', pos, end: this.prevEnd };
    }
    return e;
  }

  private parseArgs(): Expr[] {
    this.expect('(');
    const args: Expr[] = [];
    while (!this.isPunct(')')) {
      if (this.isPunct('...')) {
        const p = this.next().pos;
        const expr = this.parseAssign();
        args.push({ k: 'Spread', expr, pos: p, end: this.prevEnd });
      } else args.push(this.parseAssign());
      if (!this.eat(',')) break;
    }
    this.expect(')', 'to close the argument list');
    return args;
  }

  private parsePrimary(): Expr {
    const t = this.tok;
    const pos = t.pos;
    switch (t.kind) {
      case 'num':
        this.next();
        return { k: 'Num', value: t.num ?? null, raw: t.text, pos, end: t.end };
      case 'str':
        this.next();
        return { k: 'Str', value: t.str ?? '', pos, end: t.end };
      case 'template':
        this.next();
        return { k: 'Str', value: t.str ?? '', template: true, subst: t.subst, pos, end: t.end };
      case 'ident':
        return this.parseIdentPrimary();
      case 'punct':
        break;
      default:
        this.fail(pos, `expected an expression but found ${describe(t)}`);
    }
    if (t.text === '(') {
      this.next();
      const expr = this.parseExpr();
      this.expect(')');
      return { k: 'Paren', expr, pos, end: this.prevEnd };
    }
    if (t.text === '[') {
      this.next();
      const elems: Expr[] = [];
      while (!this.isPunct(']')) {
        if (this.isPunct(',')) { this.next(); continue; }
        if (this.isPunct('...')) {
          const p = this.next().pos;
          elems.push({ k: 'Spread', expr: this.parseAssign(), pos: p, end: this.prevEnd });
        } else elems.push(this.parseAssign());
        if (!this.eat(',')) break;
      }
      this.expect(']');
      return { k: 'Array', elems, pos, end: this.prevEnd };
    }
    if (t.text === '{') return this.parseObject();
    if (t.text === '/' || t.text === '/=') {
      this.fail(pos, 'regular expressions are not supported in kernel programs', 'UNSUPPORTED');
    }
    this.fail(pos, `expected an expression but found ${describe(t)}`);
  }

  private parseIdentPrimary(): Expr {
    const t = this.tok;
    const pos = t.pos;
    switch (t.text) {
      case 'true':
      case 'false':
        this.next();
        return { k: 'Bool', value: t.text === 'true', pos, end: t.end };
      case 'null':
        this.next();
        return { k: 'Null', pos, end: t.end };
      case 'this':
        this.next();
        return { k: 'This', pos, end: t.end };
      case 'function': {
        this.next();
        const generator = this.eat('*');
        const name = this.tok.kind === 'ident' && !this.isPunct('(') ? this.next().text : undefined;
        this.parseTypeParams();
        const params = this.parseParams();
        const ret = this.eat(':') ? this.parseType() : undefined;
        const body = this.parseBlock();
        return { k: 'FuncExpr', name, params, ret, body, async: false, generator, pos, end: this.prevEnd };
      }
      case 'async':
        if (this.peek().text === 'function' && !this.peek().nl) {
          this.next();
          const f = this.parseIdentPrimary();
          if (f.k === 'FuncExpr') f.async = true;
          return { ...f, pos };
        }
        break;
      case 'class': {
        this.next();
        while (!this.isPunct('{') && !this.atEof()) this.next();
        this.skipGroup();
        return { k: 'Other', what: 'class expression', pos, end: this.prevEnd };
      }
      case 'super':
      case 'import':
        this.next();
        return { k: 'Other', what: t.text, pos, end: t.end };
    }
    this.next();
    return { k: 'Ident', name: t.text, pos, end: t.end };
  }

  private parseObject(): Expr {
    const pos = this.tok.pos;
    this.expect('{');
    const props: ObjProp[] = [];
    while (!this.isPunct('}') && !this.atEof()) {
      const ppos = this.tok.pos;
      if (this.isPunct('...')) {
        this.next();
        props.push({ name: '', value: this.parseAssign(), kind: 'spread', pos: ppos, end: this.prevEnd });
      } else if (this.isPunct('[')) {
        this.next();
        this.parseAssign();
        this.expect(']');
        this.expect(':');
        props.push({ name: '', value: this.parseAssign(), kind: 'computed', pos: ppos, end: this.prevEnd });
      } else {
        const nt = this.next();
        if (nt.kind !== 'ident' && nt.kind !== 'str' && nt.kind !== 'num') this.fail(nt.pos, `expected a property name but found ${describe(nt)}`);
        const name = nt.kind === 'str' ? nt.str ?? '' : nt.text;
        if ((name === 'get' || name === 'set' || name === 'async') && nt.kind === 'ident' && this.tok.kind === 'ident') {
          this.next();
          this.skipGroup();
          this.skipGroup();
          props.push({ name, value: { k: 'Other', what: 'accessor', pos: ppos, end: this.prevEnd }, kind: 'accessor', pos: ppos, end: this.prevEnd });
        } else if (this.isPunct('(')) {
          this.skipGroup();
          if (this.eat(':')) this.parseType();
          this.skipGroup();
          props.push({ name, value: { k: 'Other', what: 'method', pos: ppos, end: this.prevEnd }, kind: 'method', pos: ppos, end: this.prevEnd });
        } else if (this.eat(':')) {
          props.push({ name, value: this.parseAssign(), kind: 'init', pos: ppos, end: this.prevEnd });
        } else {
          props.push({ name, value: { k: 'Ident', name, pos: nt.pos, end: nt.end }, kind: 'init', pos: ppos, end: this.prevEnd });
        }
      }
      if (!this.eat(',')) break;
    }
    this.expect('}', 'to close the object literal');
    return { k: 'Object', props, pos, end: this.prevEnd };
  }

  /** Arrow functions: `x => …`, `(a: T, b) => …`, `async (…) => …`, with optional return type. */
  private tryArrow(): Expr | undefined {
    const t = this.tok;
    const pos = t.pos;
    let async = false;
    if (t.kind === 'ident' && t.text === 'async' && !this.peek().nl && (this.peek().text === '(' || this.peek().kind === 'ident') && this.peek().text !== 'function') {
      async = true;
    }
    const start = async ? this.peek() : t;
    if (start.kind === 'ident' && !async && this.peek().text === '=>' && !this.peek().nl) {
      this.next();
      this.next();
      const params: Param[] = [{ name: t.text, optional: false, pos, end: t.end }];
      return { k: 'Arrow', params, body: this.parseArrowBody(), async, pos, end: this.prevEnd };
    }
    if (!(start.kind === 'punct' && (start.text === '(' || start.text === '<'))) {
      if (async && start.kind === 'ident' && this.peek(2).text === '=>') {
        this.next();
        const p = this.next();
        this.next();
        return { k: 'Arrow', params: [{ name: p.text, optional: false, pos: p.pos, end: p.end }], body: this.parseArrowBody(), async, pos, end: this.prevEnd };
      }
      return undefined;
    }
    const head = this.attempt(() => {
      if (async) this.next();
      this.parseTypeParams();
      const params = this.parseParams();
      const ret = this.isPunct(':') ? (this.next(), this.parseType()) : undefined;
      if (!this.isPunct('=>') || this.tok.nl) this.fail(this.tok.pos, 'not an arrow');
      this.next();
      return { params, ret };
    });
    if (!head) return undefined;
    return { k: 'Arrow', params: head.params, ret: head.ret, body: this.parseArrowBody(), async, pos, end: this.prevEnd };
  }

  private parseArrowBody(): Block | Expr {
    return this.isPunct('{') ? this.parseBlock() : this.parseAssign();
  }

  /** `(a: T, b?: U, ...rest)` */
  protected parseParams(): Param[] {
    this.expect('(');
    const out: Param[] = [];
    while (!this.isPunct(')')) {
      const pos = this.tok.pos;
      while (this.tok.kind === 'ident' && ['public', 'private', 'protected', 'readonly'].includes(this.tok.text) && this.peek().kind === 'ident') this.next();
      let pattern: Param['pattern'];
      let name = '';
      if (this.isPunct('...')) {
        this.next();
        pattern = 'rest';
        name = this.ident('a parameter name').text;
      } else if (this.isPunct('{') || this.isPunct('[')) {
        pattern = this.isPunct('{') ? 'object' : 'array';
        this.skipGroup();
      } else {
        name = this.ident('a parameter name').text;
      }
      const optional = this.eat('?');
      const type = this.eat(':') ? this.parseType() : undefined;
      const init = this.eat('=') ? this.parseAssign() : undefined;
      out.push({ name, pattern, optional, type, init, pos, end: this.prevEnd });
      if (!this.eat(',')) break;
    }
    this.expect(')', 'to close the parameter list');
    return out;
  }
}
