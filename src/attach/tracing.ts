/**
 * BTF-based tracing programs — fentry, fexit, fmod_ret, tp_btf, lsm: their target was fixed at
 * load by the attach BTF id the loader found in /sys/kernel/btf/vmlinux, so attaching only
 * creates the link (BPF_RAW_TRACEPOINT_OPEN without a name, which every kernel with these
 * program types accepts; the trampoline is removed when the link's last fd closes).
 */
import { readFileSync } from 'node:fs';
import { E, SysError } from '../sys/bpf.js';
import { rawTracepointOpen } from '../sys/bpf-attach.js';
import { AttachError, LinkAttachment, attachFailure, type ProgramRef } from './common.js';

/** The active LSMs (securityfs), or undefined when it cannot be read. */
function activeLsms(): string[] | undefined {
  try {
    return readFileSync('/sys/kernel/security/lsm', 'utf8').trim().split(',');
  } catch {
    return undefined;
  }
}

/**
 * Attaches a loaded fentry/fexit/fmod_ret/tp_btf/lsm program. `label` describes the target for
 * messages (`fentry do_sys_openat2`, `lsm file_open`).
 */
export function attachTracing(prog: ProgramRef, label: string): LinkAttachment {
  const isLsm = label.startsWith('lsm');
  try {
    return new LinkAttachment('tracing', label, rawTracepointOpen(prog.fd));
  } catch (e) {
    if (e instanceof SysError && isLsm && (e.errno === E.EOPNOTSUPP || e.errno === E.EINVAL || e.errno === E.ENOTSUPP)) {
      const lsms = activeLsms();
      if (lsms && !lsms.includes('bpf')) {
        throw new AttachError(`cannot attach ${label} program '${prog.name}': the BPF LSM is not active (active: ${lsms.join(',')})`, 'boot with lsm=…,bpf (and CONFIG_BPF_LSM=y)', e.errno);
      }
    }
    throw attachFailure(e, `${label} program '${prog.name}'`, {
      [E.EINVAL]: 'was it loaded as a tracing program with its attach target (SEC("fentry/FUNCTION"), "fexit/…", "tp_btf/…", "lsm/…")?',
      [E.ENOTSUPP]: 'this kernel cannot build BPF trampolines for that target (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS), or the function is not traceable',
      [E.EBUSY]: 'the function already has the maximum number of trampoline programs',
    });
  }
}
