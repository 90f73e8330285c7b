// The kernel side of __NAME__: a cgroup getsockopt program: it logs every getsockopt(2) of the cgroup's processes and lets the kernel's answer through.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts attaches it to a cgroup.
import { cgroupSockopt, log } from "tsbpf/kernel";

export const __PROG__ = cgroupSockopt("getsockopt", (ctx) => {
  log.info(ctx, "getsockopt level {} option {} ({} bytes)", ctx.level, ctx.optname, ctx.optlen);
  return 1;
});
