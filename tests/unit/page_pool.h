/* A pool of host pages that pretends to sit at physical POOL_PHYS, for the
 * table builders' alloc and ptr callbacks (hv/ptbuild.h). The test defines
 * POOL_PAGES, allocates pool_mem before its tests and sets pool_used to 0
 * before each build; pool_ptr() fails the test on an address that is not
 * a page the pool handed out. */
#ifndef KEEL_TEST_PAGE_POOL_H
#define KEEL_TEST_PAGE_POOL_H

#define POOL_PHYS 0x100000ull
#define PG 0x1000ull

static u8 *pool_mem;
static unsigned pool_used;

static hpa_t pool_alloc(void *ctx)
{
	(void)ctx;
	if (pool_used >= POOL_PAGES)
		return 0;
	memset(pool_mem + pool_used * PG, 0, PG);
	return POOL_PHYS + pool_used++ * PG;
}

static void *pool_ptr(hpa_t pa, void *ctx)
{
	(void)ctx;
	if (pa < POOL_PHYS || pa >= POOL_PHYS + pool_used * PG || (pa & (PG - 1)))
		fail_msg("ptr(%#llx): not a table page", (unsigned long long)pa);
	return pool_mem + (pa - POOL_PHYS);
}

#endif
