/**
 * Whole-table BTF checks run after decoding: every type id refers to an existing type of an
 * allowed kind, and no chain of by-value references loops back on itself (a struct containing
 * itself, a typedef of itself). Walks are iterative so deep chains cannot overflow the stack.
 */
import type { BtfType } from './types.js';

type Fail = (t: BtfType, why: string) => Error;

/** Ids a type refers to by value (its size depends on them). Pointers break cycles legitimately. */
function valueEdges(t: BtfType): number[] {
  switch (t.kind) {
    case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': case 'VAR': case 'FUNC':
      return [t.type];
    case 'ARRAY': return [t.type];
    case 'STRUCT': case 'UNION': return t.members.map((m) => m.type);
    case 'DATASEC': return t.vars.map((v) => v.type);
    case 'FUNC_PROTO': return [t.returnType, ...t.params.map((p) => p.type)];
    case 'DECL_TAG': return [t.type];
    default: return [];
  }
}

export function checkTypes(types: BtfType[], fail: Fail): void {
  const n = types.length;
  const get = (id: number): BtfType | undefined => (id >= 1 && id <= n ? types[id - 1] : undefined);
  const ref = (t: BtfType, id: number, what: string, allowVoid: boolean): BtfType | undefined => {
    if (id === 0) {
      if (!allowVoid) throw fail(t, `${what} is void (type id 0)`);
      return undefined;
    }
    const target = get(id);
    if (!target) throw fail(t, `${what} refers to type id ${id}, which does not exist (last id is ${n})`);
    return target;
  };
  for (const t of types) {
    switch (t.kind) {
      case 'PTR': ref(t, t.type, 'pointee', true); break;
      case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': ref(t, t.type, 'target', true); break;
      case 'ARRAY':
        ref(t, t.type, 'element type', false);
        ref(t, t.indexType, 'index type', false);
        break;
      case 'STRUCT': case 'UNION':
        t.members.forEach((m, i) => ref(t, m.type, `member ${i} '${m.name}'`, false));
        break;
      case 'FUNC': {
        const proto = ref(t, t.type, 'prototype', false);
        if (proto && proto.kind !== 'FUNC_PROTO') throw fail(t, `prototype [${proto.id}] is a ${proto.kind}, expected FUNC_PROTO`);
        break;
      }
      case 'FUNC_PROTO':
        ref(t, t.returnType, 'return type', true);
        t.params.forEach((p, i) => {
          // A trailing void parameter marks a variadic function.
          ref(t, p.type, `parameter ${i}`, i === t.params.length - 1);
        });
        break;
      case 'VAR': ref(t, t.type, 'variable type', false); break;
      case 'DATASEC':
        t.vars.forEach((v, i) => {
          const target = ref(t, v.type, `variable ${i}`, false)!;
          if (target.kind !== 'VAR' && target.kind !== 'FUNC') throw fail(t, `variable ${i} refers to [${target.id}] ${target.kind}, expected VAR or FUNC`);
        });
        break;
      case 'DECL_TAG': {
        const target = ref(t, t.type, 'tagged type', false)!;
        if (t.componentIdx < -1) throw fail(t, `component_idx ${t.componentIdx} is invalid`);
        if (t.componentIdx >= 0) {
          const count = target.kind === 'STRUCT' || target.kind === 'UNION' ? target.members.length
            : target.kind === 'FUNC' ? (get(target.type)?.kind === 'FUNC_PROTO' ? (get(target.type) as { params: unknown[] }).params.length : 0) : 0;
          if (t.componentIdx >= count) throw fail(t, `component_idx ${t.componentIdx} is beyond the ${count} components of [${target.id}] ${target.kind}`);
        }
        break;
      }
      default: break;
    }
  }
  findLoop(types, fail);
}

/** Iterative three-colour DFS over by-value edges. */
function findLoop(types: BtfType[], fail: Fail): void {
  const n = types.length;
  const colour = new Uint8Array(n + 1); // 0 new, 1 on the stack, 2 done
  const stackId: number[] = [];
  const stackEdges: number[][] = [];
  const stackPos: number[] = [];
  for (let root = 1; root <= n; root++) {
    if (colour[root] !== 0) continue;
    colour[root] = 1;
    stackId.push(root); stackEdges.push(valueEdges(types[root - 1]!)); stackPos.push(0);
    while (stackId.length > 0) {
      const top = stackId.length - 1;
      const edges = stackEdges[top]!;
      const pos = stackPos[top]!;
      if (pos >= edges.length) {
        colour[stackId[top]!] = 2;
        stackId.pop(); stackEdges.pop(); stackPos.pop();
        continue;
      }
      stackPos[top] = pos + 1;
      const next = edges[pos]!;
      if (next === 0 || next > n) continue;
      if (colour[next] === 1) throw fail(types[next - 1]!, `type reference loop through [${stackId[top]}] back to [${next}]`);
      if (colour[next] === 0) {
        colour[next] = 1;
        stackId.push(next); stackEdges.push(valueEdges(types[next - 1]!)); stackPos.push(0);
      }
    }
  }
}
