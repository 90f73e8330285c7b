/**
 * Type syntax: references with type arguments, keywords, literals, unions/intersections, arrays,
 * tuples, function types, object types, `typeof`, `keyof`, indexed access. The checker decides
 * what is meaningful in a kernel program.
 */
import type { Expr, Member, Param, TypeNode, TypeParam } from './ast.js';
import { ParserBase, describe } from './parser-base.js';

const TYPE_KEYWORDS = new Set(['number', 'boolean', 'void', 'never', 'any', 'unknown', 'string', 'bigint', 'null', 'undefined', 'object', 'symbol']);

export abstract class TypeParser extends ParserBase {
  protected abstract parseParams(): Param[];

  parseType(): TypeNode {
    const pos = this.tok.pos;
    // function types: (a: T) => R
    if (this.isPunct('(')) {
      const fn = this.attempt(() => {
        const params = this.parseParams();
        this.expect('=>');
        return params;
      });
      if (fn) {
        const ret = this.parseType();
        return { k: 'TFunc', params: fn, ret, pos, end: this.prevEnd };
      }
    }
    if (this.is('new') && this.peek().text === '(') {
      this.next();
      this.skipGroup();
      this.expect('=>');
      this.parseType();
      return { k: 'TOther', what: 'constructor type', pos, end: this.prevEnd };
    }
    const t = this.parseUnion();
    if (this.is('extends') && !this.tok.nl) {
      // conditional type: parse to skip, reject later
      this.next();
      this.parseUnion();
      this.expect('?');
      this.parseType();
      this.expect(':');
      this.parseType();
      return { k: 'TOther', what: 'conditional type', pos, end: this.prevEnd };
    }
    return t;
  }

  private parseUnion(): TypeNode {
    const pos = this.tok.pos;
    this.eat('|');
    const types = [this.parseIntersection()];
    while (this.eat('|')) types.push(this.parseIntersection());
    return types.length === 1 ? types[0] : { k: 'TUnion', types, pos, end: this.prevEnd };
  }

  private parseIntersection(): TypeNode {
    const pos = this.tok.pos;
    this.eat('&');
    const types = [this.parseTypeOperator()];
    while (this.eat('&')) types.push(this.parseTypeOperator());
    return types.length === 1 ? types[0] : { k: 'TIntersection', types, pos, end: this.prevEnd };
  }

  private parseTypeOperator(): TypeNode {
    const pos = this.tok.pos;
    if ((this.is('keyof') || this.is('readonly') || this.is('unique')) && this.peek().kind !== 'punct') {
      const op = this.next().text;
      return { k: 'TOperator', op, type: this.parseTypeOperator(), pos, end: this.prevEnd };
    }
    if (this.is('infer')) {
      this.next();
      this.ident();
      return { k: 'TOther', what: 'infer type', pos, end: this.prevEnd };
    }
    let t = this.parsePrimaryType();
    while (this.isPunct('[') && !this.tok.nl) {
      this.next();
      if (this.eat(']')) t = { k: 'TArray', elem: t, pos, end: this.prevEnd };
      else {
        const index = this.parseType();
        this.expect(']');
        t = { k: 'TIndexed', obj: t, index, pos, end: this.prevEnd };
      }
    }
    return t;
  }

  private parsePrimaryType(): TypeNode {
    const t = this.tok;
    const pos = t.pos;
    if (t.kind === 'num') {
      this.next();
      return { k: 'TLiteral', value: t.num ?? 0n, pos, end: t.end };
    }
    if (this.isPunct('-') && this.peek().kind === 'num') {
      this.next();
      const n = this.next();
      return { k: 'TLiteral', value: -(n.num ?? 0n), pos, end: n.end };
    }
    if (t.kind === 'str' || t.kind === 'template') {
      this.next();
      return { k: 'TLiteral', value: t.str ?? '', pos, end: t.end };
    }
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') {
        this.next();
        return { k: 'TLiteral', value: t.text === 'true', pos, end: t.end };
      }
      if (TYPE_KEYWORDS.has(t.text) && !(this.peek().text === '.')) {
        this.next();
        return { k: 'TKeyword', name: t.text, pos, end: t.end };
      }
      if (t.text === 'typeof') {
        this.next();
        let expr: Expr = { k: 'Ident', name: this.ident().text, pos: this.prevEnd, end: this.prevEnd };
        expr = { ...expr, pos: this.toks[this.i - 1].pos };
        while (this.isPunct('.')) {
          this.next();
          const n = this.ident();
          expr = { k: 'Member', obj: expr, name: n.text, namePos: n.pos, optional: false, pos, end: n.end };
        }
        return { k: 'TQuery', expr, pos, end: this.prevEnd };
      }
      this.next();
      let name = t.text;
      let qual: string | undefined;
      if (this.isPunct('.')) {
        this.next();
        qual = name;
        name = this.ident().text;
        while (this.eat('.')) name = `${name}.${this.ident().text}`;
      }
      const args = this.isPunct('<') && !this.tok.nl ? this.parseTypeArgs() : [];
      return { k: 'TRef', name, qual, args, pos, end: this.prevEnd };
    }
    if (this.isPunct('(')) {
      this.next();
      const inner = this.parseType();
      this.expect(')');
      return inner;
    }
    if (this.isPunct('[')) {
      this.next();
      const elems: TypeNode[] = [];
      while (!this.isPunct(']')) {
        if (this.tok.kind === 'ident' && this.peek().text === ':') { this.next(); this.next(); } // named member
        const restPos = this.tok.pos;
        if (this.eat('...')) {
          // rest element ([A, ...B]): editor-side types only (tsbpf/kernel's log formats)
          this.parseType();
          elems.push({ k: 'TOther', what: 'rest element', pos: restPos, end: this.prevEnd });
          if (!this.eat(',')) break;
          continue;
        }
        elems.push(this.parseType());
        if (!this.eat(',')) break;
      }
      this.expect(']');
      return { k: 'TTuple', elems, pos, end: this.prevEnd };
    }
    if (this.isPunct('{')) {
      return { k: 'TObject', members: this.parseMembers(), pos, end: this.prevEnd };
    }
    this.fail(pos, `expected a type but found ${describe(t)}`);
  }

  /** `<A, B>` after a type name or before call arguments. */
  parseTypeArgs(): TypeNode[] {
    this.expect('<');
    const args: TypeNode[] = [];
    while (!this.isPunct('>')) {
      args.push(this.parseType());
      if (!this.eat(',')) break;
    }
    this.expect('>');
    return args;
  }

  parseTypeParams(): TypeParam[] {
    if (!this.isPunct('<')) return [];
    this.next();
    const out: TypeParam[] = [];
    while (!this.isPunct('>')) {
      const pos = this.tok.pos;
      this.eat('const');
      const name = this.ident('a type parameter').text;
      const constraint = this.eat('extends') ? this.parseType() : undefined;
      const dflt = this.eat('=') ? this.parseType() : undefined;
      out.push({ name, constraint, dflt, pos, end: this.prevEnd });
      if (!this.eat(',')) break;
    }
    this.expect('>');
    return out;
  }

  /** `{ a: T; readonly b?: U; m(x: T): R }` — interface bodies and object types. */
  parseMembers(): Member[] {
    this.expect('{');
    const out: Member[] = [];
    while (!this.isPunct('}') && !this.atEof()) {
      const pos = this.tok.pos;
      let readonly = false;
      if (this.is('readonly') && this.peek().kind === 'ident') {
        this.next();
        readonly = true;
      }
      if (this.isPunct('[') || this.isPunct('(') || this.isPunct('<') || this.is('new')) {
        // index/call/construct signatures: skip, record as an unnamed method
        while (!this.isPunct(';') && !this.isPunct(',') && !this.isPunct('}') && !this.atEof()) {
          if (this.isPunct('(') || this.isPunct('[') || this.isPunct('{')) this.skipGroup();
          else this.next();
          if (this.tok.nl) break;
        }
        out.push({ name: '', optional: false, readonly, method: true, pos, end: this.prevEnd });
      } else {
        const nameTok = this.next();
        if (nameTok.kind !== 'ident' && nameTok.kind !== 'str' && nameTok.kind !== 'num') this.fail(nameTok.pos, `expected a member name but found ${describe(nameTok)}`);
        const name = nameTok.kind === 'str' ? nameTok.str ?? '' : nameTok.text;
        const optional = this.eat('?');
        if (this.isPunct('(') || this.isPunct('<')) {
          this.parseTypeParams();
          this.parseParams();
          const type = this.eat(':') ? this.parseType() : undefined;
          out.push({ name, type, optional, readonly, method: true, pos, end: this.prevEnd });
        } else {
          const type = this.eat(':') ? this.parseType() : undefined;
          out.push({ name, type, optional, readonly, method: false, pos, end: this.prevEnd });
        }
      }
      if (!this.eat(';') && !this.eat(',') && !this.isPunct('}') && !this.tok.nl) {
        this.fail(this.tok.pos, `expected ';' but found ${describe(this.tok)}`);
      }
    }
    this.expect('}');
    return out;
  }
}
