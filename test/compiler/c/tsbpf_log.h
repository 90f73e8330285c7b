// tsbpf's log ABI, version 1 (docs/architecture.md, "log"), written out by hand in C so that the
// C equivalents of examples that call log.info/warn/debug write the same records to the same
// maps as the TypeScript does: a record is the call site's u32 id followed by its arguments at
// the offsets `tsbpf build` lays out (the object's .tsbpf.log table lists them), sent with
// bpf_ringbuf_output to `tsbpf_logs`; a call runs only when its program's entry of the .rodata
// array `tsbpf_log_levels` (one u32 per logging program, declared by each file) is at least the
// call's level; a record the ring refused is counted in `tsbpf_log_lost`.
#ifndef TSBPF_LOG_H
#define TSBPF_LOG_H

#define TSBPF_LOG_ERROR 1
#define TSBPF_LOG_WARN 2
#define TSBPF_LOG_INFO 3
#define TSBPF_LOG_DEBUG 4

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tsbpf_logs SEC(".maps");

__u64 tsbpf_log_lost = 0;

static __attribute__((noinline)) void tsbpf_log_count_lost(void)
{
	__sync_fetch_and_add(&tsbpf_log_lost, 1);
}

/* Sends one record (a struct on the stack) to tsbpf_logs. */
#define tsbpf_log_output(rec)                                              \
	do {                                                               \
		if (bpf_ringbuf_output(&tsbpf_logs, &(rec), sizeof(rec), 0)) \
			tsbpf_log_count_lost();                            \
	} while (0)

#endif
