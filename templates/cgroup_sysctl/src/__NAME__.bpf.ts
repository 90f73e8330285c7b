// The kernel side of __NAME__: a cgroup sysctl program: it logs every sysctl the cgroup's processes read or write and allows it (0 would refuse it with EPERM).
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts attaches it to a cgroup.
import { cgroupSysctl, log, sysctl_get_name } from "tsbpf/kernel";

export const __PROG__ = cgroupSysctl((ctx) => {
  const name = sysctl_get_name(ctx, 64);
  if (name) log.info(ctx, "sysctl {} (write: {})", name, ctx.write);
  return 1;
});
