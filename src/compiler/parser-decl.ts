/**
 * Declarations: import, export (of declarations and name lists), interface, type alias, enum.
 */
import type { Expr, ImportSpec, Stmt } from './ast.js';
import { describe } from './parser-base.js';
import { ExprParser } from './parser-expr.js';

export abstract class DeclParser extends ExprParser {
  protected abstract parseVar(pos: number, exported: boolean, declare: boolean): Stmt;
  protected abstract parseFunction(pos: number, exported: boolean): Stmt;
  protected abstract parseStatement(top: boolean): Stmt;

  protected parseImport(pos: number): Stmt {
    this.next();
    let typeOnly = false;
    if (this.is('type') && (this.peek().text === '{' || (this.peek().kind === 'ident' && this.peek().text !== 'from'))) {
      this.next();
      typeOnly = true;
    }
    const specs: ImportSpec[] = [];
    let defaultName: string | undefined;
    let namespace: string | undefined;
    if (this.tok.kind === 'str') {
      const s = this.next();
      this.semicolon();
      return { k: 'Import', specs, from: s.str ?? '', fromPos: s.pos, typeOnly, pos, end: this.prevEnd };
    }
    if (this.tok.kind === 'ident' && !this.is('from')) {
      defaultName = this.next().text;
      this.eat(',');
    } else if (this.tok.kind === 'ident' && this.is('from') && this.peek().text === 'from') {
      defaultName = this.next().text;
    }
    if (this.isPunct('*')) {
      this.next();
      this.expect('as');
      namespace = this.ident().text;
    } else if (this.isPunct('{')) {
      this.next();
      while (!this.isPunct('}')) {
        const spos = this.tok.pos;
        let specType = false;
        if (this.is('type') && this.peek().kind === 'ident' && this.peek().text !== 'as') {
          this.next();
          specType = true;
        }
        const name = this.next();
        if (name.kind !== 'ident' && name.kind !== 'str') this.fail(name.pos, `expected an imported name but found ${describe(name)}`);
        const local = this.eat('as') ? this.ident().text : name.text;
        specs.push({ name: name.kind === 'str' ? name.str ?? '' : name.text, local, typeOnly: typeOnly || specType, pos: spos, end: this.prevEnd });
        if (!this.eat(',')) break;
      }
      this.expect('}');
    }
    this.expect('from');
    const from = this.tok;
    if (from.kind !== 'str') this.fail(from.pos, `expected a module name but found ${describe(from)}`);
    this.next();
    if (this.is('with') || this.is('assert')) {
      this.next();
      this.skipGroup();
    }
    this.semicolon();
    return { k: 'Import', specs, from: from.str ?? '', fromPos: from.pos, defaultName, namespace, typeOnly, pos, end: this.prevEnd };
  }

  protected parseExport(pos: number): Stmt {
    this.next();
    const t = this.tok;
    if (t.text === 'default' || t.text === '=' || t.text === '*' || t.text === 'as') {
      while (!this.isPunct(';') && !this.tok.nl && !this.atEof()) {
        if (this.isPunct('{') || this.isPunct('(')) this.skipGroup();
        else this.next();
      }
      this.eat(';');
      return { k: 'Unsupported', what: `export ${t.text}`, pos, end: this.prevEnd };
    }
    if (this.isPunct('{') || (this.is('type') && this.peek().text === '{')) {
      this.eat('type');
      this.next();
      const names: { name: string; pos: number }[] = [];
      while (!this.isPunct('}')) {
        const n = this.ident('an exported name');
        if (this.eat('as')) this.ident();
        names.push({ name: n.text, pos: n.pos });
        if (!this.eat(',')) break;
      }
      this.expect('}');
      let from: string | undefined;
      if (this.eat('from')) from = this.next().str;
      this.semicolon();
      return { k: 'ExportNames', names, from, pos, end: this.prevEnd };
    }
    let declare = false;
    if (this.is('declare')) {
      this.next();
      declare = true;
    }
    switch (this.tok.text) {
      case 'const':
        if (this.peek().text === 'enum') {
          this.next();
          return this.parseEnum(pos, true, true);
        }
        return this.parseVar(pos, true, declare);
      case 'let':
      case 'var':
        return this.parseVar(pos, true, declare);
      case 'function':
      case 'async':
        return this.parseFunction(pos, true);
      case 'interface':
        return this.parseInterface(pos, true);
      case 'type':
        return this.parseTypeAlias(pos, true);
      case 'enum':
        return this.parseEnum(pos, true, false);
    }
    const inner = this.parseStatement(false);
    return inner.k === 'Unsupported' ? inner : { k: 'Unsupported', what: 'this export', pos, end: this.prevEnd };
  }

  protected parseInterface(pos: number, exported: boolean): Stmt {
    this.next();
    const nameTok = this.ident('an interface name');
    const typeParams = this.parseTypeParams();
    const ext = [];
    if (this.eat('extends')) {
      do ext.push(this.parseType());
      while (this.eat(','));
    }
    const members = this.parseMembers();
    return { k: 'Interface', name: nameTok.text, namePos: nameTok.pos, typeParams, members, exported, extends: ext, pos, end: this.prevEnd };
  }

  protected parseTypeAlias(pos: number, exported: boolean): Stmt {
    this.next();
    const nameTok = this.ident('a type name');
    const typeParams = this.parseTypeParams();
    this.expect('=');
    const type = this.parseType();
    this.semicolon();
    return { k: 'TypeAlias', name: nameTok.text, namePos: nameTok.pos, typeParams, type, exported, pos, end: this.prevEnd };
  }

  protected parseEnum(pos: number, exported: boolean, isConst: boolean): Stmt {
    this.expect('enum');
    const nameTok = this.ident('an enum name');
    this.expect('{');
    const members: { name: string; pos: number; init?: Expr }[] = [];
    while (!this.isPunct('}')) {
      const m = this.next();
      if (m.kind !== 'ident' && m.kind !== 'str') this.fail(m.pos, `expected an enum member but found ${describe(m)}`);
      const init = this.eat('=') ? this.parseAssign() : undefined;
      members.push({ name: m.kind === 'str' ? m.str ?? '' : m.text, pos: m.pos, init });
      if (!this.eat(',')) break;
    }
    this.expect('}');
    return { k: 'Enum', name: nameTok.text, namePos: nameTok.pos, isConst, members, exported, pos, end: this.prevEnd };
  }
}
