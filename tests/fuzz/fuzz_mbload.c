/* libFuzzer harness for guest/mbload.c mb_load_kernel(): the input is a
 * kernel file (ELF32 or a.out kludge with a Multiboot header), loaded into
 * a fake guest memory of 4 MiB (guest-physical 0..4 MiB with the legacy
 * hole at A0000h-FFFFFh not RAM, as in tests/unit/test_mbload.c) by way of
 * mb_guest_mem. Guest memory and the kernel are separate heap blocks, so
 * ASan reports any access past either. Checks: a refusal leaves guest
 * memory untouched (mbload.h promises it) and a NUL-terminated reason; a
 * load puts the entry point, the image's first and last bytes inside guest
 * RAM (segments may lie on both sides of the legacy hole) and the info
 * structure at info_gpa. */
#include <string.h>

#include "../guest/mbload.h"
#include "fuzz_util.h"

#define GUEST_SIZE 0x400000u
#define HOLE_START 0xA0000u
#define HOLE_END 0x100000u
#define INFO_GPA 0x10000u
#define INFO_SIZE 0x1000u
#define FILL 0xAA

static uint8_t *guest;
static bool dirty = true;	/* guest memory holds a loaded kernel */

static bool fake_is_ram(void *ctx, u64 gpa, u64 len)
{
	(void)ctx;
	if (gpa > GUEST_SIZE || len > GUEST_SIZE - gpa)
		return false;
	return gpa + len <= HOLE_START || gpa >= HOLE_END;
}

static void *fake_ptr(void *ctx, u64 gpa)
{
	(void)ctx;
	FUZZ_CHECK(gpa < GUEST_SIZE, "pointer to gpa 0x%llx", (unsigned long long)gpa);
	return guest + gpa;
}

static const struct mb_guest_mem mem = { fake_is_ram, fake_ptr, NULL };

static const struct mem_range map[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xf0000, 0x10000, E820_RESERVED },
	{ 0x100000, 0x300000, E820_RAM },
	{ 0xfffc0000, 0x40000, E820_RESERVED },
};

static bool untouched(void)
{
	for (u32 i = 0; i < GUEST_SIZE; i += 4096)
		for (u32 k = 0; k < 4096; k += 512)
			if (guest[i + k] != FILL)
				return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = malloc(size ? size : 1);
	struct mb_load_result res;
	char err[128];
	int rc;

	if (!guest)
		guest = malloc(GUEST_SIZE);
	/* A refused kernel leaves guest memory as it was (checked below), so
	 * it needs refilling only after a load. */
	if (dirty)
		memset(guest, FILL, GUEST_SIZE);
	dirty = false;
	memcpy(file, data, size);
	memset(err, 'x', sizeof(err));
	rc = mb_load_kernel(file, size, "fuzz cmdline", map, (int)(sizeof(map) / sizeof(map[0])),
			    &mem, INFO_GPA, INFO_SIZE, &res, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc) {
		FUZZ_CHECK(memchr(err, 0, sizeof(err)) && err[0], "reason not a string");
		FUZZ_CHECK(untouched(), "a refused kernel wrote to guest memory (\"%s\")", err);
	} else {
		dirty = true;
		FUZZ_CHECK(res.info_gpa == INFO_GPA, "info at 0x%x", res.info_gpa);
		FUZZ_CHECK(res.load_start < res.load_end && fake_is_ram(NULL, res.load_start, 1) &&
				   fake_is_ram(NULL, res.load_end - 1, 1),
			   "image 0x%x-0x%x not in RAM", res.load_start, res.load_end);
		FUZZ_CHECK(fake_is_ram(NULL, res.entry, 1), "entry 0x%x not in RAM", res.entry);
	}
	free(file);
	return 0;
}
