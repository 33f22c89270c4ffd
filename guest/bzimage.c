/* The Linux boot protocol's pure part; the interface is in bzimage.h.
 * boot.rst = Documentation/x86/boot.rst, zero-page = zero-page.rst. */
#include "bzimage.h"
#include "../lib/format.h"
#include "../lib/string.h"

#define SECTOR 512u
#define LOW_LIMIT MiB(1)        /* below: BIOS data, the loader's own structures */
#define PREFERRED_FLOOR MiB(16) /* above ISA DMA reach, where distributions link */
#define LIMIT_4G GiB(4)
#define INITRD_ALIGN 4096u

/* Little-endian reads of header fields that may lie past the header's
 * end: a field the header does not reach reads as 0 (boot.rst: a loader
 * must not trust fields beyond the stated length). */
static u32 rd(const u8 *f, u32 end, u32 off, u32 len)
{
	u32 v = 0;

	if (off + len > end)
		return 0;
	for (u32 i = 0; i < len; i++)
		v |= (u32)f[off + i] << (8 * i);
	return v;
}

static u64 rd64(const u8 *f, u32 end, u32 off)
{
	return (u64)rd(f, end, off + 4, 4) << 32 | rd(f, end, off, 4);
}

static void wr(u8 *p, u32 off, u64 v, u32 len)
{
	for (u32 i = 0; i < len; i++)
		p[off + i] = (u8)(v >> (8 * i));
}

static bool pow2(u64 x)
{
	return x && !(x & (x - 1));
}

#define FAIL(...)                                      \
	do {                                           \
		fmt_snprintf(err, errlen, __VA_ARGS__); \
		return -1;                             \
	} while (0)

int bzimage_parse(const u8 *file, u64 size, struct bzimage_info *bi, char *err, size_t errlen)
{
	u32 end, syssize;
	u64 setup_end, have, want;

	memset(bi, 0, sizeof(*bi));
	if (size < ZP_SETUP_HEADER_END)
		FAIL("not a bzImage: %llu bytes is too short for a setup header",
		     (unsigned long long)size);
	if (rd(file, ZP_SETUP_HEADER_END, BZ_HEADER, 4) != BZ_HEADER_MAGIC)
		FAIL("not a bzImage: no \"HdrS\" at 0x202");
	if (rd(file, ZP_SETUP_HEADER_END, BZ_BOOT_FLAG, 2) != BZ_BOOT_FLAG_MAGIC)
		FAIL("not a bzImage: boot_flag at 0x1fe is not 0xaa55");
	/* boot.rst: the jump at 0x200 skips the header, so its 8-bit
	 * displacement is the header's length past 0x202. */
	end = BZ_HEADER + file[BZ_JUMP + 1];
	if (end > ZP_SETUP_HEADER_END)
		end = ZP_SETUP_HEADER_END;
	bi->header_end = end;
	bi->version = (u16)rd(file, end, BZ_VERSION, 2);
	if (bi->version < BZ_MIN_VERSION)
		FAIL("boot protocol %u.%02u is older than 2.06", bi->version >> 8,
		     bi->version & 0xFF);
	bi->loadflags = (u8)rd(file, end, BZ_LOADFLAGS, 1);
	if (!(bi->loadflags & BZ_LOADED_HIGH))
		FAIL("a zImage (loadflags lacks LOADED_HIGH): only bzImages are supported");

	/* boot.rst "The real-mode code": 0 setup sectors means 4. */
	bi->setup_sects = file[BZ_SETUP_SECTS] ? file[BZ_SETUP_SECTS] : 4;
	bi->kernel_offset = (u64)(bi->setup_sects + 1) * SECTOR;
	setup_end = bi->kernel_offset;
	syssize = rd(file, end, BZ_SYSSIZE, 4);
	if (size < setup_end)
		FAIL("truncated: %u setup sectors need %llu bytes, the file has %llu",
		     bi->setup_sects, (unsigned long long)setup_end, (unsigned long long)size);
	/* syssize counts 16-byte paragraphs of protected-mode code, rounded
	 * up (boot.rst): the file may end inside the last one, as Debian's
	 * memtest86+ 6.10 does 8 bytes early, and the loader then has the
	 * rest to zero. A signed kernel carries its signature after them,
	 * which is not copied. */
	have = size - setup_end;
	want = syssize ? (u64)syssize * 16 : have;
	if (have + BZ_PARAGRAPH - 1 < want)
		FAIL("truncated: the header says %llu bytes of kernel after offset 0x%llx, "
		     "the file has %llu", (unsigned long long)want,
		     (unsigned long long)setup_end, (unsigned long long)have);
	bi->kernel_size = have < want ? have : want;
	bi->kernel_pad = (u8)(want - bi->kernel_size);
	if (bi->kernel_size == 0)
		FAIL("truncated: no protected-mode kernel after the %u setup sectors",
		     bi->setup_sects);
	/* boot.rst: the protected-mode code runs from code32_start, 1 MiB for
	 * every bzImage, unless a loader moves it; below that is a zImage's
	 * place (or a header that is not one). */
	bi->code32_start = rd(file, end, BZ_CODE32_START, 4);
	if (bi->code32_start < LOW_LIMIT)
		FAIL("code32_start 0x%x is below 1 MiB: not a bzImage's protected-mode kernel",
		     bi->code32_start);

	bi->xloadflags = bi->version >= 0x020C ? (u16)rd(file, end, BZ_XLOADFLAGS, 2) : 0;
	bi->relocatable = rd(file, end, BZ_RELOCATABLE, 1) != 0;
	bi->kernel_alignment = rd(file, end, BZ_KERNEL_ALIGNMENT, 4);
	if (!pow2(bi->kernel_alignment) || bi->kernel_alignment < 4096)
		FAIL("kernel_alignment 0x%x is not a power of two of at least 4 KiB",
		     bi->kernel_alignment);
	bi->min_alignment = bi->version >= 0x020A ? (u8)rd(file, end, BZ_MIN_ALIGNMENT, 1) : 0;
	if (bi->min_alignment < 12 || (1u << (bi->min_alignment & 31)) > bi->kernel_alignment ||
	    bi->min_alignment > 31)
		bi->min_alignment = 0; /* absent or unusable: kernel_alignment only */
	bi->initrd_addr_max = rd(file, end, BZ_INITRD_ADDR_MAX, 4);
	bi->cmdline_size = rd(file, end, BZ_CMDLINE_SIZE, 4);
	if (bi->version >= 0x020A) {
		bi->pref_address = rd64(file, end, BZ_PREF_ADDRESS);
		bi->init_size = rd(file, end, BZ_INIT_SIZE, 4);
		/* The kernel decompresses within init_size bytes of its load
		 * address: a stated size smaller than the code itself would
		 * have Keel put the initrd over the kernel. */
		if (bi->init_size && bi->init_size < bi->kernel_size + bi->kernel_pad)
			FAIL("init_size 0x%llx is smaller than the kernel's %llu bytes",
			     (unsigned long long)bi->init_size,
			     (unsigned long long)(bi->kernel_size + bi->kernel_pad));
	} else {
		/* boot.rst: before 2.10 the kernel runs at code32_start unless
		 * moved, and its decompression space is not stated. */
		bi->pref_address = bi->code32_start;
		bi->init_size = bi->kernel_size * BZ_OLD_INIT_SIZE_FACTOR;
	}
	if (bi->init_size < bi->kernel_size + bi->kernel_pad)
		bi->init_size = bi->kernel_size + bi->kernel_pad;
	bi->init_size = ALIGN_UP(bi->init_size, 4096);
	return 0;
}

/* Is [base, base + len) inside one RAM range of the map? */
static bool in_ram(const struct mem_range *m, int n, u64 base, u64 len)
{
	if (!len || base + len < base)
		return false;
	for (int i = 0; i < n; i++)
		if (m[i].type == E820_RAM && base >= m[i].base &&
		    base + len <= m[i].base + m[i].len && m[i].base + m[i].len >= m[i].base)
			return true;
	return false;
}

/* The lowest align-aligned A >= floor with [A, A + len) in one RAM range
 * and A + len <= limit; 0 when there is none (0 is never a candidate). */
static u64 lowest_fit(const struct mem_range *m, int n, u64 len, u64 align, u64 floor,
		      u64 limit)
{
	u64 best = 0;

	for (int i = 0; i < n; i++) {
		u64 end = m[i].base + m[i].len, a;

		if (m[i].type != E820_RAM || end < m[i].base)
			continue;
		if (end > limit)
			end = limit;
		a = ALIGN_UP(m[i].base > floor ? m[i].base : floor, align);
		if (a < floor || a >= end || end - a < len)
			continue;
		if (!best || a < best)
			best = a;
	}
	return best;
}

int bzimage_place(const struct bzimage_info *bi, const struct mem_range *guest_map, int n,
		  u64 *load_addr, char *err, size_t errlen)
{
	u64 pref = bi->pref_address, len = bi->init_size, a = 0;

	if (pref >= LOW_LIMIT && pref + len <= LIMIT_4G && in_ram(guest_map, n, pref, len)) {
		*load_addr = pref;
		return 0;
	}
	if (!bi->relocatable)
		FAIL("kernel cannot be loaded where Keel can put it: it is not relocatable "
		     "and [0x%llx, 0x%llx) is not guest RAM", (unsigned long long)pref,
		     (unsigned long long)(pref + len));
	/* boot.rst (relocatable_kernel): any address aligned to
	 * kernel_alignment; from 2.10, min_alignment at a cost in speed. */
	a = lowest_fit(guest_map, n, len, bi->kernel_alignment, PREFERRED_FLOOR, LIMIT_4G);
	if (!a)
		a = lowest_fit(guest_map, n, len, bi->kernel_alignment, LOW_LIMIT, LIMIT_4G);
	if (!a && bi->min_alignment)
		a = lowest_fit(guest_map, n, len, 1ull << bi->min_alignment, LOW_LIMIT, LIMIT_4G);
	if (!a)
		FAIL("kernel cannot be loaded where Keel can put it: no %llu KiB of guest RAM "
		     "aligned to 0x%x between 1 MiB and 4 GiB", (unsigned long long)(len >> 10),
		     bi->kernel_alignment);
	*load_addr = a;
	return 0;
}

int bzimage_place_initrd(const struct bzimage_info *bi, const struct mem_range *guest_map,
			 int n, u64 kernel_load, const struct mem_range *busy, int nbusy,
			 u64 size, u64 reach, u64 *initrd_addr, char *err, size_t errlen)
{
	/* Each carve splits at most one range in two. */
	struct mem_range m[MEMMAP_MAX + 8];
	int max = (int)ARRAY_SIZE(m);
	u64 limit = (u64)bi->initrd_addr_max + 1;

	if (!size)
		FAIL("the initrd is empty");
	if (n > MEMMAP_MAX || nbusy > 7)
		FAIL("too many memory ranges (%d, %d busy)", n, nbusy);
	memcpy(m, guest_map, (size_t)n * sizeof(*m));
	n = memmap_carve(m, n, max, kernel_load, bi->init_size);
	for (int i = 0; i < nbusy && n >= 0; i++)
		if (busy[i].len)
			n = memmap_carve(m, n, max, busy[i].base, busy[i].len);
	if (n < 0)
		FAIL("too many memory ranges after setting the kernel aside");

	/* boot.rst (initrd_addr_max): the highest address the initrd may
	 * occupy; below 4 GiB in any case unless the kernel says otherwise. */
	if (limit > LIMIT_4G)
		limit = LIMIT_4G;
	if (limit > reach)
		limit = reach;
	if (!memmap_find_top(m, n, size, INITRD_ALIGN, LOW_LIMIT, limit, initrd_addr))
		return 0;
	if ((bi->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G) && reach > LIMIT_4G &&
	    !memmap_find_top(m, n, size, INITRD_ALIGN, LIMIT_4G, reach, initrd_addr))
		return 0;
	FAIL("no room for the initrd (%llu KiB) in guest RAM below 0x%llx outside the kernel",
	     (unsigned long long)(size >> 10), (unsigned long long)limit);
}

void bzimage_build_zero_page(u8 zp[ZP_SIZE], const u8 *file, const struct bzimage_info *bi,
			     u64 kernel_load, u64 cmdline_gpa, u64 initrd_gpa, u64 initrd_size,
			     const struct mem_range *e820, int n)
{
	u8 *t = zp + ZP_E820_TABLE;
	u8 lf;

	/* zero-page: every field the loader does not set must be 0 (the
	 * sentinel at 0x1EF among them: the kernel then trusts the rest). */
	memset(zp, 0, ZP_SIZE);
	memcpy(zp + ZP_SETUP_HEADER, file + ZP_SETUP_HEADER, bi->header_end - ZP_SETUP_HEADER);

	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	/* KEEP_SEGMENTS asks the kernel to trust the loader's segments and is
	 * obsolete; the heap belongs to the real-mode setup Keel skips. */
	lf = (u8)(zp[BZ_LOADFLAGS] & ~(BZ_KEEP_SEGMENTS | BZ_CAN_USE_HEAP));
	zp[BZ_LOADFLAGS] = lf;
	wr(zp, BZ_HEAP_END_PTR, 0, 2);
	wr(zp, BZ_CODE32_START, kernel_load, 4);
	if (bi->header_end >= BZ_HARDWARE_SUBARCH + 4)
		wr(zp, BZ_HARDWARE_SUBARCH, 0, 4); /* a PC */
	if (bi->header_end >= BZ_SETUP_DATA + 8)
		wr(zp, BZ_SETUP_DATA, 0, 8);       /* no setup_data list */

	wr(zp, BZ_CMD_LINE_PTR, cmdline_gpa, 4);
	wr(zp, ZP_EXT_CMD_LINE_PTR, cmdline_gpa >> 32, 4);
	wr(zp, BZ_RAMDISK_IMAGE, initrd_size ? initrd_gpa : 0, 4);
	wr(zp, BZ_RAMDISK_SIZE, initrd_size, 4);
	wr(zp, ZP_EXT_RAMDISK_IMAGE, initrd_size ? initrd_gpa >> 32 : 0, 4);
	wr(zp, ZP_EXT_RAMDISK_SIZE, initrd_size >> 32, 4);

	if (n > ZP_E820_MAX)
		n = ZP_E820_MAX;
	if (n < 0)
		n = 0;
	zp[ZP_E820_ENTRIES] = (u8)n;
	for (int i = 0; i < n; i++, t += ZP_E820_ENTRY_SIZE) {
		wr(t, 0, e820[i].base, 8);
		wr(t, 8, e820[i].len, 8);
		wr(t, 16, e820[i].type, 4);
	}
}

void bzimage_set_rsdp(u8 zp[ZP_SIZE], const struct bzimage_info *bi, u64 rsdp)
{
	if (rsdp && bi->version >= BZ_RSDP_VERSION)
		wr(zp, ZP_ACPI_RSDP_ADDR, rsdp, 8);
}
