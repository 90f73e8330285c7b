/**
 * `attachProgram(obj, name, options)`: attaches a program of a loaded object the way its section
 * says (plan.ts), with the object's maps at hand for sk_msg/sk_skb — the one call most user
 * programs need. `planFor` gives the plan from the object model alone, before loading.
 */
import type { LoadedObject } from '../loader/index.js';
import type { BpfObject } from '../object/index.js';
import { AttachError, type Attachment } from './common.js';
import { planAttach, type AttachPlan, type AutoAttachOptions } from './plan.js';

/** The plan for program `name` of an object model (checks targets before anything is loaded). */
export function planFor(model: BpfObject, name: string, opts: AutoAttachOptions = {}): AttachPlan {
  const p = model.programs.find((x) => x.name === name);
  if (!p) throw new AttachError(`no program '${name}' in this object`, `programs: ${model.programs.map((x) => x.name).join(', ') || '(none)'}`);
  return planAttach({ name: p.name, section: p.section, type: p.type, maps: model.maps.map((m) => ({ name: m.name, type: m.type })) }, opts);
}

/** Attaches loaded program `name` of `obj` according to its section and `opts`. */
export function attachProgram(obj: LoadedObject, name: string, opts: AutoAttachOptions = {}): Attachment {
  const prog = obj.program(name);
  return planFor(obj.model, name, opts).attach({ fd: prog.fd, name }, { mapFd: (m) => obj.maps.get(m)?.fd });
}
