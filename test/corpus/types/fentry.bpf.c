// fentry/fexit on do_sys_openat2(int dfd, const char __user *filename, struct open_how *how):
// for one process, the entry copies the path being opened and counts, the exit keeps the result.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid = 0;
__u64 entries = 0;
__u64 exits = 0;
long last_ret = 0;
char last_path[64] = {};

SEC("fentry/do_sys_openat2")
int fentry_open(__u64 *ctx)
{
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	bpf_probe_read_user_str(last_path, sizeof(last_path), (const void *)ctx[1]);
	__sync_fetch_and_add(&entries, 1);
	return 0;
}

SEC("fexit/do_sys_openat2")
int fexit_open(__u64 *ctx)
{
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	last_ret = (long)ctx[3];
	__sync_fetch_and_add(&exits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
