// A kprobe on the kernel's do_sys_openat2(dfd, filename, how) and a kretprobe on its return:
// logs who opens what, with the flags from the kernel's struct open_how, and failed opens.
// Arguments come from the registers of x86-64's calling convention (ctx.arg(n)).
import {
  kprobe, kretprobe, log, get_current_pid_tgid, get_current_comm, probe_read_user_str, probe_read_kernel,
  type u32, type u64, type i64,
} from "tsbpf/kernel";

/** struct open_how (include/uapi/linux/openat2.h). */
interface OpenHow {
  flags: u64;
  mode: u64;
  resolve: u64;
}

export const openat2_entry = kprobe("do_sys_openat2", (ctx) => {
  const pid = (get_current_pid_tgid() >> 32) as u32;
  const name = probe_read_user_str(ctx.arg(1), 128);
  const how = probe_read_kernel<OpenHow>(ctx.arg(2));
  if (!name || !how) return;
  log.info(ctx, "{} ({}) opens {} flags {:x}", get_current_comm(), pid, name, how.flags);
});

export const openat2_exit = kretprobe("do_sys_openat2", (ctx) => {
  const fd = ctx.ret() as i64;
  if (fd < 0) log.warn(ctx, "open failed: {}", fd);
});
