// lsm/file_open: counts the files one process opens (and allows them: returns 0).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid = 0;
__u64 opens = 0;

SEC("lsm/file_open")
int lsm_file_open(__u64 *ctx)
{
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	__sync_fetch_and_add(&opens, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
