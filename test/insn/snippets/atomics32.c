// cpus: v3
// 32-bit atomics need -mcpu=v3 (alu32); llvm-objdump 14 decodes only `lock +=` among them.
typedef unsigned int u32;
u32 atomics32(u32 *p, u32 v) {
	__sync_fetch_and_add(p, v); __sync_fetch_and_and(p, v); __sync_fetch_and_or(p, v); __sync_fetch_and_xor(p, v);
	u32 r = __sync_fetch_and_add(p, v) + __sync_fetch_and_and(p, v) + __sync_fetch_and_or(p, v) + __sync_fetch_and_xor(p, v);
	r += __sync_lock_test_and_set(p, v);
	r += __sync_val_compare_and_swap(p, r, v);
	return r + __sync_fetch_and_sub(p, v);
}
