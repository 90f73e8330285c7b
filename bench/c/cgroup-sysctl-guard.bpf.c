// The C equivalent of examples/cgroup-sysctl-guard.bpf.ts: logs every sysctl read (site 0, info)
// and write (site 1, warn) as the same tsbpf log records, and refuses writes unless allow_writes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf_log.h"

const volatile __u32 allow_writes = 0;
const volatile __u32 tsbpf_log_levels[1] = { TSBPF_LOG_INFO }; /* sysctl_guard */

/* "read {}" */
struct read_record {
	__u32 id;
	char name[64];
};

/* "write {} = {}" */
struct write_record {
	__u32 id;
	char name[64];
	char value[32];
};

SEC("cgroup/sysctl")
int sysctl_guard(struct bpf_sysctl *ctx)
{
	/* aligned as tsbpf aligns them: copied 4 bytes at a time (the record's fields are at 4 and 68) */
	char name[64] __attribute__((aligned(8))), value[32] __attribute__((aligned(8)));
	if (bpf_sysctl_get_name(ctx, name, sizeof(name), 0) < 0)
		return 1;
	if (ctx->write == 0) {
		if (tsbpf_log_levels[0] >= TSBPF_LOG_INFO) {
			struct read_record rec;
			rec.id = 0;
			__builtin_memcpy(rec.name, name, sizeof(name));
			tsbpf_log_output(rec);
		}
		return 1;
	}
	if (bpf_sysctl_get_new_value(ctx, value, sizeof(value)) >= 0 && tsbpf_log_levels[0] >= TSBPF_LOG_WARN) {
		struct write_record rec;
		rec.id = 1;
		__builtin_memcpy(rec.name, name, sizeof(name));
		__builtin_memcpy(rec.value, value, sizeof(value));
		tsbpf_log_output(rec);
	}
	return allow_writes != 0;
}

char LICENSE[] SEC("license") = "GPL";
