/**
 * Statement and declaration syntax; `parse(text)` is the front end's entry. A syntax error
 * abandons only its statement: the parser skips to the next statement and goes on, so a file
 * with several mistakes reports them all.
 */
import type { Block, Case, Expr, SourceFile, Stmt, VarDeclarator } from './ast.js';
import type { Diagnostics } from './diagnostics.js';
import { tokenize } from './lexer.js';
import { ParseAbort } from './parser-base.js';
import { DeclParser } from './parser-decl.js';

export function parse(file: string, text: string, diags: Diagnostics): SourceFile {
  const p = new Parser(tokenize(text, diags), diags);
  return { file, text, body: p.parseProgram() };
}

class Parser extends DeclParser {
  parseProgram(): Stmt[] {
    const out: Stmt[] = [];
    while (!this.atEof()) {
      const s = this.statementOrRecover(true);
      if (s) out.push(s);
    }
    return out;
  }

  private statementOrRecover(top: boolean): Stmt | undefined {
    const start = this.i;
    try {
      return this.parseStatement(top);
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
      this.recover(start);
      return undefined;
    }
  }

  /** Skips to the start of the next statement after a syntax error. */
  private recover(start: number): void {
    if (this.i === start) this.next();
    let depth = 0;
    while (!this.atEof()) {
      const t = this.tok;
      if (t.kind === 'punct') {
        if (t.text === '{' || t.text === '(' || t.text === '[') depth++;
        else if (t.text === '}' || t.text === ')' || t.text === ']') {
          if (depth === 0) return;
          depth--;
        } else if (t.text === ';' && depth === 0) {
          this.next();
          return;
        }
      } else if (depth === 0 && t.nl && t.kind === 'ident' && STATEMENT_START.has(t.text)) return;
      this.next();
    }
  }

  protected parseBlock(): Block {
    const pos = this.tok.pos;
    this.expect('{');
    const body: Stmt[] = [];
    while (!this.isPunct('}') && !this.atEof()) {
      const s = this.statementOrRecover(false);
      if (s) body.push(s);
    }
    this.expect('}', 'to close the block');
    return { k: 'Block', body, pos, end: this.prevEnd };
  }

  protected parseStatement(top: boolean): Stmt {
    const t = this.tok;
    const pos = t.pos;
    if (t.kind === 'punct') {
      if (t.text === '{') return this.parseBlock();
      if (t.text === ';') {
        this.next();
        return { k: 'Empty', pos, end: t.end };
      }
      if (t.text === '@') {
        this.next();
        this.parseExpr();
        return { k: 'Unsupported', what: 'decorators', pos, end: this.prevEnd };
      }
    }
    if (t.kind === 'ident') {
      const nt = this.peek();
      switch (t.text) {
        case 'const':
          if (nt.text === 'enum') {
            this.next();
            return this.parseEnum(pos, false, true);
          }
          return this.parseVar(pos, false, false);
        case 'let':
        case 'var':
          if (nt.kind === 'ident' || nt.text === '{' || nt.text === '[') return this.parseVar(pos, false, false);
          break;
        case 'function':
          return this.parseFunction(pos, false);
        case 'async':
          if (nt.text === 'function' && !nt.nl) return this.parseFunction(pos, false);
          break;
        case 'return': {
          this.next();
          const value = this.tok.nl || this.isPunct(';') || this.isPunct('}') || this.atEof() ? undefined : this.parseExpr();
          this.semicolon();
          return { k: 'Return', value, pos, end: this.prevEnd };
        }
        case 'if': {
          this.next();
          this.expect('(');
          const test = this.parseExpr();
          this.expect(')');
          const then = this.parseStatement(false);
          const els = this.eat('else') ? this.parseStatement(false) : undefined;
          return { k: 'If', test, then, else: els, pos, end: this.prevEnd };
        }
        case 'for':
          return this.parseFor(pos);
        case 'while': {
          this.next();
          this.expect('(');
          const test = this.parseExpr();
          this.expect(')');
          const body = this.parseStatement(false);
          return { k: 'While', test, body, doWhile: false, pos, end: this.prevEnd };
        }
        case 'do': {
          this.next();
          const body = this.parseStatement(false);
          this.expect('while');
          this.expect('(');
          const test = this.parseExpr();
          this.expect(')');
          this.eat(';');
          return { k: 'While', test, body, doWhile: true, pos, end: this.prevEnd };
        }
        case 'break':
        case 'continue': {
          this.next();
          const label = this.tok.kind === 'ident' && !this.tok.nl ? this.next().text : undefined;
          this.semicolon();
          return { k: t.text === 'break' ? 'Break' : 'Continue', label, pos, end: this.prevEnd };
        }
        case 'switch':
          return this.parseSwitch(pos);
        case 'throw': {
          this.next();
          const value = this.parseExpr();
          this.semicolon();
          return { k: 'Throw', value, pos, end: this.prevEnd };
        }
        case 'try': {
          this.next();
          this.parseBlock();
          if (this.eat('catch')) {
            if (this.isPunct('(')) this.skipGroup();
            this.parseBlock();
          }
          if (this.eat('finally')) this.parseBlock();
          return { k: 'Try', pos, end: this.prevEnd };
        }
        case 'import':
          if (nt.text !== '(' && nt.text !== '.') return this.parseImport(pos);
          break;
        case 'export':
          return this.parseExport(pos);
        case 'interface':
          if (nt.kind === 'ident') return this.parseInterface(pos, false);
          break;
        case 'type':
          if (nt.kind === 'ident' && !nt.nl) return this.parseTypeAlias(pos, false);
          break;
        case 'enum':
          if (nt.kind === 'ident') return this.parseEnum(pos, false, false);
          break;
        case 'declare':
          if (nt.kind === 'ident' && !nt.nl) {
            this.next();
            const inner = this.parseStatement(top);
            if (inner.k === 'Var') return { ...inner, declare: true, pos };
            return { k: 'Unsupported', what: `declare ${inner.k === 'Func' ? 'function' : 'declarations'}`, pos, end: this.prevEnd };
          }
          break;
        case 'class':
        case 'abstract':
        case 'namespace':
        case 'module':
          if (nt.kind === 'ident' && !nt.nl) {
            this.next();
            while (!this.isPunct('{') && !this.atEof()) this.next();
            this.skipGroup();
            return { k: 'Unsupported', what: t.text === 'abstract' ? 'class' : t.text, pos, end: this.prevEnd };
          }
          break;
        case 'debugger':
        case 'with':
          this.next();
          if (t.text === 'with') {
            this.skipGroup();
            this.parseStatement(false);
          } else this.semicolon();
          return { k: 'Unsupported', what: t.text, pos, end: this.prevEnd };
      }
      if (nt.kind === 'punct' && nt.text === ':' && !['true', 'false', 'null', 'this'].includes(t.text)) {
        this.next();
        this.next();
        const body = this.parseStatement(false);
        return { k: 'Labeled', label: t.text, body, pos, end: this.prevEnd };
      }
    }
    const expr = this.parseExpr();
    this.semicolon();
    return { k: 'Expr', expr, pos, end: this.prevEnd };
  }

  protected parseVar(pos: number, exported: boolean, declare: boolean): Stmt {
    const kind = this.next().text as 'const' | 'let' | 'var';
    const decls: VarDeclarator[] = [];
    do {
      const dpos = this.tok.pos;
      let name = '';
      let pattern: VarDeclarator['pattern'];
      if (this.isPunct('{') || this.isPunct('[')) {
        pattern = this.isPunct('{') ? 'object' : 'array';
        this.skipGroup();
      } else name = this.ident('a variable name').text;
      if (this.isPunct('!')) this.next(); // definite assignment assertion
      const type = this.eat(':') ? this.parseType() : undefined;
      const init = this.eat('=') ? this.parseAssign() : undefined;
      decls.push({ name, namePos: dpos, pattern, type, init, pos: dpos, end: this.prevEnd });
    } while (this.eat(','));
    this.semicolon();
    return { k: 'Var', kind, decls, exported, declare, pos, end: this.prevEnd };
  }

  protected parseFunction(pos: number, exported: boolean): Stmt {
    const doc = this.tok.doc ?? this.toks[Math.max(0, this.i - 1)]?.doc;
    const async = this.eat('async');
    this.expect('function');
    const generator = this.eat('*');
    const nameTok = this.ident('a function name');
    const typeParams = this.parseTypeParams();
    const params = this.parseParams();
    const ret = this.eat(':') ? this.parseType() : undefined;
    let body: Block | undefined;
    if (this.isPunct('{')) body = this.parseBlock();
    else this.semicolon(); // overload signature
    return { k: 'Func', name: nameTok.text, namePos: nameTok.pos, typeParams, params, ret, body, exported, async, generator, doc, pos, end: this.prevEnd };
  }

  private parseFor(pos: number): Stmt {
    this.next();
    if (this.is('await')) this.next();
    this.expect('(');
    let init: Stmt | undefined;
    if (this.is('const') || this.is('let') || this.is('var')) {
      const nt = this.peek(2);
      if (nt.kind === 'ident' && (nt.text === 'of' || nt.text === 'in')) {
        this.next();
        this.next();
        return this.finishForInOf(pos);
      }
      const ipos = this.tok.pos;
      const kind = this.next().text as 'const' | 'let' | 'var';
      const decls: VarDeclarator[] = [];
      do {
        const dpos = this.tok.pos;
        const name = this.ident('a variable name').text;
        const type = this.eat(':') ? this.parseType() : undefined;
        const init2 = this.eat('=') ? this.parseAssign() : undefined;
        decls.push({ name, namePos: dpos, type, init: init2, pos: dpos, end: this.prevEnd });
      } while (this.eat(','));
      init = { k: 'Var', kind, decls, exported: false, declare: false, pos: ipos, end: this.prevEnd };
    } else if (!this.isPunct(';')) {
      const ipos = this.tok.pos;
      if (this.tok.kind === 'ident' && (this.peek().text === 'of' || this.peek().text === 'in')) {
        this.next();
        return this.finishForInOf(pos);
      }
      const expr = this.parseExpr();
      init = { k: 'Expr', expr, pos: ipos, end: this.prevEnd };
    }
    this.expect(';', 'in for statement');
    const test = this.isPunct(';') ? undefined : this.parseExpr();
    this.expect(';', 'in for statement');
    const update = this.isPunct(')') ? undefined : this.parseExpr();
    this.expect(')');
    const body = this.parseStatement(false);
    return { k: 'For', init, test, update, body, pos, end: this.prevEnd };
  }

  private finishForInOf(pos: number): Stmt {
    const of = this.next().text === 'of';
    this.parseExpr();
    this.expect(')');
    const body = this.parseStatement(false);
    return { k: 'ForInOf', of, body, pos, end: this.prevEnd };
  }

  private parseSwitch(pos: number): Stmt {
    this.next();
    this.expect('(');
    const disc = this.parseExpr();
    this.expect(')');
    this.expect('{');
    const cases: Case[] = [];
    while (!this.isPunct('}') && !this.atEof()) {
      const cpos = this.tok.pos;
      let test: Expr | undefined;
      if (this.eat('case')) test = this.parseExpr();
      else this.expect('default', "(or 'case')");
      this.expect(':');
      const body: Stmt[] = [];
      while (!this.is('case') && !this.is('default') && !this.isPunct('}') && !this.atEof()) {
        const s = this.statementOrRecover(false);
        if (s) body.push(s);
      }
      cases.push({ test, body, pos: cpos, end: this.prevEnd });
    }
    this.expect('}');
    return { k: 'Switch', disc, cases, pos, end: this.prevEnd };
  }
}

const STATEMENT_START = new Set([
  'const', 'let', 'var', 'function', 'return', 'if', 'for', 'while', 'do', 'switch', 'break', 'continue',
  'throw', 'try', 'import', 'export', 'interface', 'type', 'enum', 'class', 'declare',
]);
