/**
 * Syntax tree of the TypeScript subset. The parser accepts somewhat more than the compiler
 * supports (classes, while loops, object literals, …) so the checker can name the construct in a
 * precise diagnostic instead of a bare syntax error.
 */

export interface N {
  pos: number;
  end: number;
}

// ---- types ----
export type TypeNode =
  | (N & { k: 'TRef'; name: string; qual?: string; args: TypeNode[] })
  | (N & { k: 'TKeyword'; name: string }) // number boolean void never any unknown string bigint null undefined object
  | (N & { k: 'TLiteral'; value: bigint | string | boolean })
  | (N & { k: 'TArray'; elem: TypeNode })
  | (N & { k: 'TTuple'; elems: TypeNode[] })
  | (N & { k: 'TUnion'; types: TypeNode[] })
  | (N & { k: 'TIntersection'; types: TypeNode[] })
  | (N & { k: 'TFunc'; params: Param[]; ret: TypeNode })
  | (N & { k: 'TObject'; members: Member[] })
  | (N & { k: 'TQuery'; expr: Expr }) // typeof X
  | (N & { k: 'TOperator'; op: string; type: TypeNode }) // keyof T, readonly T[]
  | (N & { k: 'TIndexed'; obj: TypeNode; index: TypeNode })
  | (N & { k: 'TOther'; what: string }); // conditional/mapped/infer…: parsed only to be rejected

export interface Member extends N {
  name: string;
  type?: TypeNode;
  optional: boolean;
  readonly: boolean;
  /** A method signature (rejected in struct interfaces). */
  method: boolean;
}

export interface TypeParam extends N {
  name: string;
  constraint?: TypeNode;
  dflt?: TypeNode;
}

export interface Param extends N {
  name: string;
  /** Destructuring patterns, `...rest` and optional parameters are rejected by the checker. */
  pattern?: 'object' | 'array' | 'rest';
  optional: boolean;
  type?: TypeNode;
  init?: Expr;
}

// ---- expressions ----
export type Expr =
  | (N & { k: 'Ident'; name: string })
  | (N & { k: 'Num'; value: bigint | null; raw: string })
  | (N & { k: 'Str'; value: string; template?: boolean; subst?: boolean })
  | (N & { k: 'Bool'; value: boolean })
  | (N & { k: 'Null' })
  | (N & { k: 'This' })
  | (N & { k: 'Binary'; op: string; left: Expr; right: Expr })
  | (N & { k: 'Unary'; op: string; expr: Expr }) // ! - + ~ typeof void delete await
  | (N & { k: 'Update'; op: '++' | '--'; prefix: boolean; expr: Expr })
  | (N & { k: 'Assign'; op: string; target: Expr; value: Expr })
  | (N & { k: 'Cond'; test: Expr; then: Expr; else: Expr })
  | (N & { k: 'Call'; callee: Expr; typeArgs: TypeNode[]; args: Expr[]; optional: boolean })
  | (N & { k: 'New'; callee: Expr; typeArgs: TypeNode[]; args: Expr[] })
  | (N & { k: 'Member'; obj: Expr; name: string; namePos: number; optional: boolean })
  | (N & { k: 'Index'; obj: Expr; index: Expr })
  | (N & { k: 'As'; expr: Expr; type: TypeNode; satisfies?: boolean })
  | (N & { k: 'NonNull'; expr: Expr })
  | (N & { k: 'Paren'; expr: Expr })
  | (N & { k: 'Arrow'; params: Param[]; ret?: TypeNode; body: Block | Expr; async: boolean })
  | (N & { k: 'FuncExpr'; name?: string; params: Param[]; ret?: TypeNode; body: Block; async: boolean; generator: boolean })
  | (N & { k: 'Object'; props: ObjProp[] })
  | (N & { k: 'Array'; elems: Expr[] })
  | (N & { k: 'Spread'; expr: Expr })
  | (N & { k: 'Other'; what: string }); // class expressions, regexps, yield, …: parsed to be rejected

export interface ObjProp extends N {
  name: string;
  /** Shorthand `{ a }` has value = Ident a. Computed keys, methods and spreads are marked. */
  value: Expr;
  kind: 'init' | 'computed' | 'method' | 'spread' | 'accessor';
}

// ---- statements ----
export interface Block extends N {
  k: 'Block';
  body: Stmt[];
}

export interface VarDeclarator extends N {
  name: string;
  namePos: number;
  pattern?: 'object' | 'array';
  type?: TypeNode;
  init?: Expr;
}

export interface Case extends N {
  test?: Expr;
  body: Stmt[];
}

export interface ImportSpec extends N {
  name: string;
  local: string;
  typeOnly: boolean;
}

export type Stmt =
  | Block
  | (N & { k: 'Var'; kind: 'const' | 'let' | 'var'; decls: VarDeclarator[]; exported: boolean; declare: boolean })
  | (N & { k: 'Func'; name: string; namePos: number; typeParams: TypeParam[]; params: Param[]; ret?: TypeNode; body?: Block; exported: boolean; async: boolean; generator: boolean; doc?: string })
  | (N & { k: 'Return'; value?: Expr })
  | (N & { k: 'If'; test: Expr; then: Stmt; else?: Stmt })
  | (N & { k: 'For'; init?: Stmt; test?: Expr; update?: Expr; body: Stmt })
  | (N & { k: 'ForInOf'; of: boolean; body: Stmt })
  | (N & { k: 'While'; test: Expr; body: Stmt; doWhile: boolean })
  | (N & { k: 'Break'; label?: string })
  | (N & { k: 'Continue'; label?: string })
  | (N & { k: 'Switch'; disc: Expr; cases: Case[] })
  | (N & { k: 'Expr'; expr: Expr })
  | (N & { k: 'Empty' })
  | (N & { k: 'Throw'; value: Expr })
  | (N & { k: 'Try' })
  | (N & { k: 'Labeled'; label: string; body: Stmt })
  | (N & { k: 'Import'; specs: ImportSpec[]; from: string; fromPos: number; defaultName?: string; namespace?: string; typeOnly: boolean })
  | (N & { k: 'ExportNames'; names: { name: string; pos: number }[]; from?: string })
  | (N & { k: 'Interface'; name: string; namePos: number; typeParams: TypeParam[]; members: Member[]; exported: boolean; extends: TypeNode[] })
  | (N & { k: 'TypeAlias'; name: string; namePos: number; typeParams: TypeParam[]; type: TypeNode; exported: boolean })
  | (N & { k: 'Enum'; name: string; namePos: number; isConst: boolean; members: { name: string; pos: number; init?: Expr }[]; exported: boolean })
  | (N & { k: 'Unsupported'; what: string }); // class, namespace, debugger, with, export default, …

export interface SourceFile {
  file: string;
  text: string;
  body: Stmt[];
}

export type Func = Stmt & { k: 'Func' };
export type Interface = Stmt & { k: 'Interface' };
