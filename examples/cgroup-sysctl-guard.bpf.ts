// A cgroup sysctl program: logs every sysctl its cgroup's processes read or write (the name and,
// for writes, the new value) and refuses writes (the writer gets EPERM) unless `allow_writes`.
import { cgroupSysctl, log, sysctl_get_name, sysctl_get_new_value, type u32 } from "tsbpf/kernel";

export const allow_writes: u32 = 0;

export const sysctl_guard = cgroupSysctl((ctx) => {
  const name = sysctl_get_name(ctx, 64);
  if (!name) return 1;
  if (ctx.write === 0) {
    log.info(ctx, "read {}", name);
    return 1;
  }
  const value = sysctl_get_new_value(ctx, 32);
  if (value) log.warn(ctx, "write {} = {}", name, value);
  return allow_writes !== 0;
});
