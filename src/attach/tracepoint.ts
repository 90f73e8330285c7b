/**
 * Tracepoints: a `tracepoint/CATEGORY/NAME` program on the perf event of the tracepoint's id
 * (tracefs `events/CATEGORY/NAME/id`), and a `raw_tracepoint/NAME` program through
 * BPF_RAW_TRACEPOINT_OPEN (a link; the context is the tracepoint's raw arguments). Unknown names
 * are errors listing the nearest existing ones.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { E, SysError } from '../sys/bpf.js';
import { rawTracepointOpen } from '../sys/bpf-attach.js';
import { ensureTracefs } from '../sys/mount.js';
import { PERF_TYPE, perfEventOpen } from '../sys/perf-probe.js';
import { AttachError, LinkAttachment, attachFailure, nearMatches, type ProgramRef } from './common.js';
import { attachToPerfEvent } from './perf-link.js';

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Every tracepoint as `category/name` (tracefs events/), for messages. */
export function listTracepoints(root = ensureTracefs()): string[] {
  const out: string[] = [];
  for (const cat of listDir(`${root}/events`)) {
    for (const name of listDir(`${root}/events/${cat}`)) {
      if (name !== 'enable' && name !== 'filter') out.push(`${cat}/${name}`);
    }
  }
  return out;
}

/** The perf event id of tracepoint CATEGORY/NAME; an AttachError naming near matches when there is none. */
export function tracepointId(category: string, name: string): number {
  if (!/^[A-Za-z0-9_.-]+$/.test(category) || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new AttachError(`'${category}/${name}' is not a tracepoint name`, 'tracepoints are CATEGORY/NAME, e.g. syscalls/sys_enter_openat (see `ls /sys/kernel/tracing/events`)');
  }
  const root = ensureTracefs();
  let text: string;
  try {
    text = readFileSync(`${root}/events/${category}/${name}/id`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new AttachError(`cannot read the id of tracepoint '${category}/${name}' in ${root}: ${code ?? (e as Error).message}`);
    const all = listTracepoints(root);
    const near = nearMatches(`${category}/${name}`, all);
    const inCat = all.some((t) => t.startsWith(`${category}/`));
    throw new AttachError(
      `unknown tracepoint '${category}/${name}'${inCat ? '' : ` (no category '${category}')`}`,
      near.length ? `did you mean: ${near.join(', ')}?` : `see ${root}/available_events`,
    );
  }
  const id = Number(text.trim());
  if (!Number.isInteger(id) || id <= 0) throw new AttachError(`tracepoint '${category}/${name}' has a malformed id '${text.trim()}'`);
  return id;
}

/** Attaches a tracepoint program to CATEGORY/NAME (e.g. syscalls/sys_enter_openat). */
export function attachTracepoint(prog: ProgramRef, category: string, name: string): LinkAttachment {
  const id = tracepointId(category, name);
  const what = `tracepoint program '${prog.name}' to ${category}/${name}`;
  let fd: number;
  try {
    fd = perfEventOpen({ type: PERF_TYPE.TRACEPOINT, config: id, samplePeriod: 1 }, -1, 0, `tracepoint ${category}/${name}`);
  } catch (e) {
    throw attachFailure(e, what);
  }
  try {
    return attachToPerfEvent(prog, fd, 'tracepoint', `tracepoint ${category}/${name}`);
  } catch (e) {
    throw attachFailure(e, what, { [E.EINVAL]: `is '${prog.name}' a tracepoint program (SEC("tracepoint/${category}/${name}"))?` });
  }
}

/** Attaches a raw tracepoint program to tracepoint NAME (e.g. sys_enter, sched_switch). */
export function attachRawTracepoint(prog: ProgramRef, name: string): LinkAttachment {
  try {
    return new LinkAttachment('raw_tracepoint', `raw tracepoint ${name}`, rawTracepointOpen(prog.fd, name));
  } catch (e) {
    if (e instanceof SysError && e.errno === E.ENOENT) {
      const near = nearMatches(name, listTracepoints().map((t) => t.slice(t.indexOf('/') + 1)));
      throw new AttachError(`unknown raw tracepoint '${name}'`, near.length ? `did you mean: ${near.join(', ')}?` : 'raw tracepoints are named like the tracepoint without its category (sys_enter, sched_switch)', e.errno);
    }
    throw attachFailure(e, `raw tracepoint program '${prog.name}' to ${name}`);
  }
}
