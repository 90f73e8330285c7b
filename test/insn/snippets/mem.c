// cpus: v1 v2 v3
// Loads, stores, atomics and calls of every size clang 14 emits.
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
struct s { u8 a; u16 b; u32 c; u64 d; };
u64 g64; u32 g32;

u64 loads(struct s *p) { return p->a + p->b + p->c + p->d; }
void stores(struct s *p, u64 v) { p->a = v; p->b = v; p->c = v; p->d = v; }
void stores_neg(struct s *p) { p[-1].a = 1; p[-2].b = 2; p[-3].c = 3; p[-4].d = 4; }
u64 stack(u64 v) { volatile u64 x[4]; volatile u8 y = v; x[1] = v; x[3] = y; return x[1] + x[3]; }
u64 atomics64(u64 *p, u64 v) {
	__sync_fetch_and_add(p, v); __sync_fetch_and_and(p, v); __sync_fetch_and_or(p, v); __sync_fetch_and_xor(p, v);
	u64 r = __sync_fetch_and_add(p, v) + __sync_fetch_and_and(p, v) + __sync_fetch_and_or(p, v) + __sync_fetch_and_xor(p, v);
	r += __sync_lock_test_and_set(p, v);
	r += __sync_val_compare_and_swap(p, r, v);
	return r + __sync_fetch_and_sub(p, v);
}
u64 globals(void) { g64 += 3; g32 = 9; return g64; }

static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;
static __attribute__((noinline)) u64 sub(u64 a) { return a * 3; }
u64 calls(u64 a) { bpf_trace_printk("x%d", 4, a); return sub(a) + sub(a + 1); }

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");
u64 legacy(void *skb, u64 off) {
	return load_byte(skb, 12) + load_half(skb, 14) + load_word(skb, 26) + load_byte(skb, off) + load_half(skb, off) + load_word(skb, off);
}
