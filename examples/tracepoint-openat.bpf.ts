// A tracepoint program on syscalls/sys_enter_openat: counts the openat(2) calls of process
// `target_pid` (0: every process) by their flags and logs each file name, read from the
// caller's memory. The record's fields are the format file's
// (/sys/kernel/tracing/events/syscalls/sys_enter_openat/format) after the common header.
import {
  tracepoint, log, probe_read_user_str, get_current_pid_tgid, HashMap, UpdateFlags, atomic_add,
  type TracepointContext, type SysEnterOpenat, type u32, type u64,
} from "tsbpf/kernel";

export const target_pid: u32 = 0;

/** openat flags → calls. */
const opens = new HashMap<u64, u64>({ maxEntries: 1024 });

export const openat_log = tracepoint("syscalls/sys_enter_openat", (ctx: TracepointContext<SysEnterOpenat>) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  if (target_pid !== 0 && pid !== target_pid) return;
  const flags = ctx.flags as u64;
  const n = opens.lookup(flags);
  if (n) atomic_add(n.value, 1);
  else opens.update(flags, 1, UpdateFlags.NOEXIST);
  const name = probe_read_user_str(ctx.filename, 128);
  if (name) log.info(ctx, "pid {} opens {} (flags {:x})", pid, name, flags);
});
