/* Spin locks for the state every CPU shares. Keel's CPUs run with
 * interrupts off, so a lock is held only for a few hundred instructions
 * and never across a VM entry; an NMI handler takes none of them.
 *
 * The locks, in the order a CPU may take them (never the other way):
 *   1. guest_lock  (hv/guest.c)  the sequencer: which guest runs, which
 *                                vCPUs belong to it, its first stop
 *   2. alloc_lock  (hv/mem.c)    the page allocator
 *   3. log_lock    (hv/log.c)    one log line at a time; the innermost:
 *                                nothing takes a lock while holding it
 */
#ifndef KEEL_LOCK_H
#define KEEL_LOCK_H

#include "../lib/types.h"

struct spinlock {
	volatile u32 locked;
};

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (l->locked)
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
