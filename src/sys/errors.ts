/**
 * Typed errors for failed system calls: `SysError` (errno + its name + the operation, with a hint
 * when we know the fix) and `VerifierError` (a program the verifier rejected: the cause line,
 * the instruction and source line it points at, and the whole log on demand).
 */
import { readFileSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { TsbpfError } from '../errors.js';

/** Errnos the bpf(2) code tests for, by name (Linux values; all architectures we support agree). */
export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENFILE: 23, EMFILE: 24,
  ENOSPC: 28, ERANGE: 34, ENOSYS: 38, EOPNOTSUPP: 95, ESTALE: 116, ENOTSUPP: 524,
} as const;

let byNumber: Map<number, [string, string]> | undefined;

function errnoTable(): Map<number, [string, string]> {
  if (!byNumber) {
    byNumber = new Map();
    // libuv's table is keyed by negative errno: [name, description].
    for (const [neg, entry] of getSystemErrorMap()) byNumber.set(-neg, entry as [string, string]);
    // Kernel-internal codes that still reach user space from bpf(2).
    byNumber.set(E.ENOTSUPP, ['ENOTSUPP', 'operation not supported by this kernel']);
    // libuv lacks ESTALE; the kernel answers it for a tcx/mprog attach whose expected revision is stale
    if (!byNumber.has(E.ESTALE)) byNumber.set(E.ESTALE, ['ESTALE', 'stale revision']);
  }
  return byNumber;
}

/** `EPERM` for 1; `E123` for numbers we do not know. */
export function errnoName(errno: number): string {
  return errnoTable().get(errno)?.[0] ?? `E${errno}`;
}

/** libc's short description, e.g. `operation not permitted`. */
export function errnoMessage(errno: number): string {
  return errnoTable().get(errno)?.[1] ?? 'unknown error';
}

const PRIVILEGE_HINT =
  'run as root, or grant CAP_BPF and CAP_NET_ADMIN (plus CAP_PERFMON for tracing programs), e.g. `sudo setcap cap_bpf,cap_net_admin,cap_perfmon+ep $(which node)`';
const MEMLOCK_HINT =
  'kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK: raise it (`ulimit -l unlimited`, or LimitMEMLOCK=infinity in a systemd unit)';

/** The hint we can give for an errno from an operation, when there is a useful one. */
/** The active kernel lockdown mode ('integrity' or 'confidentiality'), or undefined when off/unknown. */
export function lockdownMode(): string | undefined {
  try {
    const m = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/security/lockdown', 'utf8'));
    return m && m[1] !== 'none' ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

export function hintFor(op: string, errno: number): string | undefined {
  const isBpf = op.startsWith('bpf(');
  switch (errno) {
    case E.EPERM:
    case E.EACCES:
      if (isBpf && errno === E.EPERM && /(UPDATE|DELETE)_(ELEM|BATCH)/.test(op)) {
        return 'the map is frozen: read-only from user space (like .rodata after load), or created with BPF_F_RDONLY';
      }
      if (process.getuid?.() !== 0) return PRIVILEGE_HINT;
      // Root getting EPERM from bpf(2) means memlock (old kernels) or lockdown, not capabilities.
      if (isBpf && errno === E.EPERM) {
        const mode = lockdownMode();
        // Lockdown refuses some program kinds (e.g. fentry/fexit/lsm trampolines) whatever the capabilities.
        if (mode) return `the kernel is in lockdown mode '${mode}' (/sys/kernel/security/lockdown), which refuses this even for root; boot with lockdown=none to allow it`;
        return `${MEMLOCK_HINT}; otherwise the kernel may be in lockdown mode (cat /sys/kernel/security/lockdown)`;
      }
      return isBpf ? undefined : PRIVILEGE_HINT;
    case E.ENOENT:
      if (/GET_FD_BY_ID/.test(op)) return 'no object has that id any more (it was unloaded); list current ones with `bpftool prog show` / `bpftool map show`';
      if (/OBJ_GET|OBJ_PIN/.test(op)) return 'nothing is pinned at that path, or its directory does not exist in a bpffs mount';
      return undefined;
    case E.E2BIG:
      if (/UPDATE_ELEM|UPDATE_BATCH/.test(op)) return 'the map is full (max_entries reached); delete entries or create it bigger';
      return 'the kernel rejected a size: a field this kernel does not know is non-zero, or a key/value/program is too large';
    case E.ENOSPC:
      return 'a buffer passed to the kernel was too small for its answer';
    case E.ENOMEM:
      return `the kernel could not allocate memory for the object; lower max_entries, or: ${MEMLOCK_HINT}`;
    case E.EBADF:
      return 'a file descriptor passed to the kernel is closed or is not the kind of BPF object expected';
    case E.EOPNOTSUPP:
    case E.ENOTSUPP:
      return 'this kernel, map type or program type does not support the operation';
    case E.ENOSYS:
      return 'the kernel was built without bpf(2) support (CONFIG_BPF_SYSCALL)';
    case E.EMFILE:
    case E.ENFILE:
      return 'out of file descriptors: close unused objects or raise `ulimit -n`';
    default:
      return undefined;
  }
}

/** A system call failed. `op` names it, e.g. `bpf(BPF_MAP_CREATE) for map 'drops'`. */
export class SysError extends TsbpfError {
  readonly errno: number;
  /** The errno's name, e.g. `EPERM`. */
  readonly code: string;
  readonly op: string;

  constructor(op: string, errno: number, detail?: string, hint?: string) {
    const code = errnoName(errno);
    super('SYS', `${op} failed: ${code} (${errnoMessage(errno)})${detail ? `: ${detail}` : ''}`, hint ?? hintFor(op, errno));
    this.errno = errno;
    this.code = code;
    this.op = op;
  }
}

/** What the verifier log says went wrong, picked out of the whole log. */
export interface VerifierDiagnosis {
  /** The cause line, e.g. `R1 invalid mem access 'scalar'`. */
  reason: string;
  /** Index of the instruction the verifier was at (in the program as loaded, after linking). */
  insn?: number;
  /** The source line the kernel printed for it (`; text @ file.c:12` comments, from BTF line info). */
  source?: string;
}

const STAT_LINE = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|propagate|mark_precise|Func#|func#|from \d+ to \d+:|last_idx|parent |regs=|frame\d+:|\s*$)/;
const INSN_LINE = /^(\d+): \(([0-9a-f]{2})\)/;
const STATE_LINE = /^\d+: (R\d|frame|\(|safe)|^\d+:\s*$/;

/** Finds the cause, instruction and source line in a verifier log (the cause is the last meaningful line). */
export function diagnoseVerifierLog(log: string): VerifierDiagnosis {
  const lines = log.split('\n').map((l) => l.replace(/\s+$/, ''));
  let causeAt = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (STAT_LINE.test(l) || l.startsWith(';') || INSN_LINE.test(l) || STATE_LINE.test(l)) continue;
    causeAt = i;
    break;
  }
  if (causeAt < 0) return { reason: 'the verifier gave no reason (empty log)' };
  // Some causes span two lines ("invalid access to packet, off=0 size=1, R2(...)" then "R2 offset is
  // outside of the packet"): keep both, most specific last.
  let reason = lines[causeAt].trim();
  const prev = lines[causeAt - 1];
  if (prev !== undefined && prev.trim() && !STAT_LINE.test(prev) && !prev.startsWith(';') && !INSN_LINE.test(prev) && !STATE_LINE.test(prev)) {
    reason = `${prev.trim()}: ${reason}`;
    causeAt--;
  }
  let insn: number | undefined;
  let insnAt = -1;
  for (let i = causeAt - 1; i >= 0; i--) {
    const m = INSN_LINE.exec(lines[i]);
    if (m) { insn = Number(m[1]); insnAt = i; break; }
  }
  let source: string | undefined;
  // The kernel prints `; text @ file.c:N` only when the line changes: the nearest one above applies.
  for (let i = (insnAt >= 0 ? insnAt : causeAt) - 1; i >= 0; i--) {
    if (lines[i].startsWith(';')) { source = lines[i].slice(1).trim(); break; }
  }
  return { reason, insn, source };
}

/** The verifier rejected a program. `message` is the cause (+ source line); `log` is the full log. */
export class VerifierError extends TsbpfError {
  readonly program: string;
  readonly errno: number;
  readonly log: string;
  /** The cause line of the log (named `reason`: `Error.cause` means something else). */
  readonly reason: string;
  readonly insn?: number;
  readonly source?: string;
  /** True when the log buffer was too small and the head of the log was lost (the cause is at the tail). */
  readonly truncated: boolean;

  constructor(program: string, errno: number, log: string, truncated = false) {
    const d = diagnoseVerifierLog(log);
    const where = d.insn !== undefined ? ` (insn ${d.insn})` : '';
    const src = d.source ? `; source: ${d.source}` : '';
    super(
      'VERIFIER',
      `verifier rejected program '${program}': ${d.reason}${where}${src}`,
      'the full verifier log is on the error (`.log`; `--verbose` in the CLI)',
    );
    this.program = program;
    this.errno = errno;
    this.log = log;
    this.reason = d.reason;
    this.insn = d.insn;
    this.source = d.source;
    this.truncated = truncated;
  }
}
