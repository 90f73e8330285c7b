// The C equivalent of examples/perf-event-samples.bpf.ts: counts samples per CPU and logs where
// the CPU was as the same tsbpf log record (site 0, debug).
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf_log.h"

const volatile __u32 tsbpf_log_levels[1] = { TSBPF_LOG_INFO }; /* on_sample */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} samples SEC(".maps");

/* "cpu {} ip {:x} period {}" */
struct sample_record {
	__u32 id;
	__u32 cpu;
	__u64 ip;
	__u64 period;
};

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&samples, &key);
	if (n)
		*n += 1;
	if (tsbpf_log_levels[0] >= TSBPF_LOG_DEBUG) {
		struct sample_record rec = {
			.id = 0,
			.cpu = bpf_get_smp_processor_id(),
			.ip = ctx->regs.rip,
			.period = ctx->sample_period,
		};
		tsbpf_log_output(rec);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
