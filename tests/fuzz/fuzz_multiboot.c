/* libFuzzer harness for the reading side of lib/multiboot.c, the code
 * hv/bootinfo.c trusts with stage 2's hand-off: the input is physical
 * memory from PHYS_BASE on (the multiboot_info at its start, everything it
 * points to anywhere in it), followed by zero padding so that the 24-byte
 * map entries, 16-byte modules and NUL-terminated strings a valid pointer
 * leads to can be read; a pointer outside is NULL. mb_read_mmap() must
 * stay within the map it was given, return -1 or a count <= max, and
 * mb_find_module() must return NULL or a module whose name matches. */
#include <string.h>

#include "multiboot.h"
#include "fuzz_util.h"

#define PHYS_BASE 0x10000u
#define PAD 64u

struct mem {
	uint8_t *buf;
	size_t size;		/* without the padding */
};

static const void *phys(u32 addr, void *ctx)
{
	struct mem *m = ctx;

	if (addr < PHYS_BASE || addr - PHYS_BASE > m->size)
		return NULL;
	return m->buf + (addr - PHYS_BASE);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int same_nocase(const char *a, const char *b)
{
	while (*a && lower((u8)*a) == lower((u8)*b))
		a++, b++;
	return lower((u8)*a) == lower((u8)*b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { calloc(1, size + PAD + sizeof(struct multiboot_info)), size };
	struct multiboot_info info;
	struct mem_range map[MEMMAP_MAX];
	static const char *const names[] = { "KEEL.CFG", "hello.bin", "FDOS.IMG", "" };
	int n;

	memcpy(m.buf, data, size);
	memcpy(&info, m.buf, sizeof(info));
	n = mb_read_mmap(&info, phys, &m, map, MEMMAP_MAX);
	FUZZ_CHECK(n >= -1 && n <= MEMMAP_MAX, "mb_read_mmap gave %d", n);
	if (n > 0) {
		/* Every entry came from inside mmap_addr .. + mmap_length. */
		FUZZ_CHECK((u64)info.mmap_length >= (u64)n * 24, "%d entries in %u bytes", n,
			   info.mmap_length);
		n = memmap_sanitize(map, n, MEMMAP_MAX);
		FUZZ_CHECK(n >= -1 && n <= MEMMAP_MAX, "memmap_sanitize gave %d", n);
	}
	n = mb_read_mmap(&info, phys, &m, map, 1);
	FUZZ_CHECK(n >= -1 && n <= 1, "mb_read_mmap with max 1 gave %d", n);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct multiboot_module *mod = mb_find_module(&info, phys, &m, names[i]);

		if (mod) {
			const char *s = phys(mod->string, &m);

			FUZZ_CHECK(s && same_nocase(s, names[i]), "module for '%s' is '%s'", names[i],
				   s ? s : "(null)");
		}
	}
	free(m.buf);
	return 0;
}
