// syscalls/sys_enter_getppid: counts the calls of one process (target_tgid, set at load; 0 = all)
// and prints the caller's tgid.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid = 0;
__u64 hits = 0;

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_getppid(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (target_tgid && tgid != target_tgid)
		return 0;
	__sync_fetch_and_add(&hits, 1);
	bpf_printk("tsbpf tracepoint getppid tgid=%u", tgid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
