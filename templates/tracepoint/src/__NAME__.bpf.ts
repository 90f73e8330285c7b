// The kernel side of __NAME__: a program on the tracepoint syscalls/sys_enter_openat: it logs every file opened, with the process.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { tracepoint, log, probe_read_user_str, get_current_pid_tgid, type TracepointContext, type SysEnterOpenat, type u32 } from "tsbpf/kernel";

// The record's fields are those of /sys/kernel/tracing/events/syscalls/sys_enter_openat/format.
export const __PROG__ = tracepoint("syscalls/sys_enter_openat", (ctx: TracepointContext<SysEnterOpenat>) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  const name = probe_read_user_str(ctx.filename, 64);
  if (name) log.info(ctx, "pid {} opens {}", pid, name);
});
