// Bench anchor (rows 4 and 7): a small libbpf ring-buffer consumer, the C side of the comparison
// with tsbpf's RingBuffer reader (bench/proc/ts-consumer.ts speaks the same protocol).
//   rb-consumer stream PIN  — print "ready", consume as records arrive (ring_buffer__poll) until
//                             SIGTERM, drain the rest, print one JSON line with the totals.
//   rb-consumer drain PIN   — print "ready"; for every "go" line on stdin, consume everything
//                             available now (ring_buffer__consume) and print count and time.
// Each record's first 8 bytes (the producer's sequence number) are read, as a real consumer would.
// Built at bench time: gcc -O2 rb-consumer.c -lbpf.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static uint64_t count, seq_sum;

static void on_term(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t len)
{
	(void)ctx;
	uint64_t seq;
	if (len >= sizeof(seq)) {
		memcpy(&seq, data, sizeof(seq));
		seq_sum += seq;
	}
	count++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "stream") && strcmp(argv[1], "drain"))) {
		fprintf(stderr, "usage: rb-consumer stream|drain PINNED_MAP\n");
		return 2;
	}
	int fd = bpf_obj_get(argv[2]);
	if (fd < 0) {
		fprintf(stderr, "rb-consumer: bpf_obj_get(%s): %s\n", argv[2], strerror(errno));
		return 1;
	}
	struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "rb-consumer: ring_buffer__new: %s\n", strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "stream")) {
		signal(SIGTERM, on_term);
		uint64_t first = 0, last = 0;
		printf("ready\n");
		while (!stop) {
			int n = ring_buffer__poll(rb, 50);
			if (n < 0 && n != -EINTR) {
				fprintf(stderr, "rb-consumer: ring_buffer__poll: %s\n", strerror(-n));
				return 1;
			}
			if (n > 0) {
				last = now_ns();
				if (!first) first = last;
			}
		}
		if (ring_buffer__consume(rb) > 0) last = now_ns();
		printf("{\"count\":%llu,\"first\":%llu,\"last\":%llu,\"sum\":%llu}\n", (unsigned long long)count,
		       (unsigned long long)first, (unsigned long long)last, (unsigned long long)seq_sum);
	} else {
		char line[64];
		printf("ready\n");
		while (fgets(line, sizeof(line), stdin) && strncmp(line, "quit", 4)) {
			count = 0;
			uint64_t t0 = now_ns();
			int n = ring_buffer__consume(rb);
			uint64_t t1 = now_ns();
			if (n < 0) {
				fprintf(stderr, "rb-consumer: ring_buffer__consume: %s\n", strerror(-n));
				return 1;
			}
			printf("{\"count\":%llu,\"ns\":%llu}\n", (unsigned long long)count, (unsigned long long)(t1 - t0));
		}
	}
	ring_buffer__free(rb);
	return 0;
}
