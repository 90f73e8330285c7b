// perf_event: counts the samples of a sampling event (e.g. cpu-clock on every CPU).
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>

__u64 samples = 0;

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__sync_fetch_and_add(&samples, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
