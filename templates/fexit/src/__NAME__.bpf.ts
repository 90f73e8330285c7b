// The kernel side of __NAME__: an fexit program on the kernel function do_unlinkat: it logs what every removal attempt returned.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts loads and attaches it.
import { fexit, log, type i32 } from "tsbpf/kernel";

export const __PROG__ = fexit("do_unlinkat", (ctx) => {
  // the result follows the function's arguments; the build reads their number from the kernel's BTF
  log.info(ctx, "do_unlinkat returned {}", ctx.ret() as i32);
});
