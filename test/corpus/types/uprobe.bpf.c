// uprobe/uretprobe programs whose target is given when attaching (sections without a target),
// plus one naming its own target in libc: counts calls of one process, keeps the first argument
// and the return value (x86-64 registers). target_tgid = 0 counts every process.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

/* Writable from user space (.bss), so a test can point it at a new child after detaching. */
volatile __u32 target_tgid = 0;
__u64 calls = 0;
__u64 returns = 0;
__u64 libc_calls = 0;
long last_arg = 0;
long last_ret = 0;

static __always_inline int mine(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("uprobe")
int uprobe_entry(struct regs *ctx)
{
	if (!mine())
		return 0;
	last_arg = ctx->di;
	__sync_fetch_and_add(&calls, 1);
	return 0;
}

SEC("uretprobe")
int uprobe_return(struct regs *ctx)
{
	if (!mine())
		return 0;
	last_ret = ctx->ax;
	__sync_fetch_and_add(&returns, 1);
	return 0;
}

SEC("uprobe/libc.so.6:getpid")
int uprobe_getpid(struct regs *ctx)
{
	if (!mine())
		return 0;
	__sync_fetch_and_add(&libc_calls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
