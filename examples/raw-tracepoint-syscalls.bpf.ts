// A raw tracepoint on sys_enter: counts the system calls of process `target_pid` by number.
// Raw tracepoints get the tracepoint's arguments as they are (TP_PROTO(struct pt_regs *regs,
// long id)): ctx.arg(1) is the syscall number.
import { rawTracepoint, get_current_pid_tgid, HashMap, UpdateFlags, atomic_add, type u32, type u64 } from "tsbpf/kernel";

export const target_pid: u32 = 0;

/** syscall number → calls. */
const syscalls = new HashMap<u64, u64>({ maxEntries: 1024 });

export const count_syscalls = rawTracepoint("sys_enter", (ctx) => {
  if (target_pid !== 0 && (get_current_pid_tgid() >> 32) as u32 !== target_pid) return;
  const id = ctx.arg(1);
  const n = syscalls.lookup(id);
  if (n) atomic_add(n.value, 1);
  else syscalls.update(id, 1, UpdateFlags.NOEXIST);
});
