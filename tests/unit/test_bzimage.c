/* Unit tests for guest/bzimage.c: the setup header of synthetic bzImages
 * (every refusal, and the fields read), where the kernel and the initrd
 * go, the zero page field by field, and Debian's cloud kernel when
 * build/linux/vmlinuz (or $LINUX_BZIMAGE) exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../guest/bzimage.h"

/* -Ilib makes <string.h> Keel's lib/string.h, which lacks this one. */
char *strstr(const char *haystack, const char *needle);

#define RAM E820_RAM
#define RES E820_RESERVED
#define SETUP_SECTS 4
#define KERNEL_BYTES 0x4000u /* protected-mode code in the synthetic image */
#define IMAGE_BYTES ((SETUP_SECTS + 1) * 512 + KERNEL_BYTES)

/* QEMU -m 1024 with Keel's region (0x3da00000, 36 MiB) carved out. */
static const struct mem_range qemu_1g[] = {
	{ 0x0, 0x9fc00, RAM },
	{ 0x9fc00, 0x400, RES },
	{ 0xf0000, 0x10000, RES },
	{ 0x100000, 0x3d900000, RAM },
	{ 0x3fe00000, 0x1e0000, RAM },
	{ 0x3ffe0000, 0x20000, RES },
	{ 0xfffc0000, 0x40000, RES },
};

static void put(u8 *f, u32 off, u64 v, int len)
{
	for (int i = 0; i < len; i++)
		f[off + i] = (u8)(v >> (8 * i));
}

static u64 get(const u8 *f, u32 off, int len)
{
	u64 v = 0;

	for (int i = 0; i < len; i++)
		v |= (u64)f[off + i] << (8 * i);
	return v;
}

/* A bzImage header as a protocol 2.15 kernel has it (values like Debian's
 * cloud kernel's, smaller), in a zero-filled image of IMAGE_BYTES. */
static u8 *make_image(void)
{
	u8 *f = calloc(1, IMAGE_BYTES);

	assert_non_null(f);
	f[BZ_SETUP_SECTS] = SETUP_SECTS;
	put(f, BZ_SYSSIZE, KERNEL_BYTES / 16, 4);
	put(f, BZ_VID_MODE, 0xFFFF, 2);
	put(f, BZ_BOOT_FLAG, 0xAA55, 2);
	f[BZ_JUMP] = 0xEB;
	f[BZ_JUMP + 1] = 0x6A; /* header to 0x26C */
	memcpy(f + BZ_HEADER, "HdrS", 4);
	put(f, BZ_VERSION, 0x020F, 2);
	f[BZ_LOADFLAGS] = BZ_LOADED_HIGH | BZ_KEEP_SEGMENTS | BZ_CAN_USE_HEAP;
	put(f, BZ_CODE32_START, 0x100000, 4);
	put(f, BZ_HEAP_END_PTR, 0xDE00, 2);
	put(f, BZ_INITRD_ADDR_MAX, 0x7FFFFFFF, 4);
	put(f, BZ_KERNEL_ALIGNMENT, 0x200000, 4);
	f[BZ_RELOCATABLE] = 1;
	f[BZ_MIN_ALIGNMENT] = 21;
	put(f, BZ_XLOADFLAGS, 0x7F, 2);
	put(f, BZ_CMDLINE_SIZE, 0x7FF, 4);
	put(f, BZ_HARDWARE_SUBARCH, 0x55, 4);
	put(f, BZ_SETUP_DATA, 0x1234, 8);
	put(f, BZ_PREF_ADDRESS, 0x1000000, 8);
	put(f, BZ_INIT_SIZE, 0x3378000, 4);
	put(f, BZ_HANDOVER_OFFSET, 0x190, 4);
	f[ZP_SENTINEL] = 0xFF; /* as in a real image: a loader must not copy it */
	return f;
}

static void parse_ok(const u8 *f, u64 size, struct bzimage_info *bi)
{
	char err[160] = "";

	if (bzimage_parse(f, size, bi, err, sizeof(err))) {
		print_error("expected the header to be accepted; it was refused: %s\n", err);
		fail();
	}
}

static void parse_fails(const u8 *f, u64 size, const char *words)
{
	struct bzimage_info bi;
	char err[160] = "";

	if (!bzimage_parse(f, size, &bi, err, sizeof(err))) {
		print_error("expected a refusal containing \"%s\"; it was accepted\n", words);
		fail();
	}
	if (!strstr(err, words)) {
		print_error("expected a refusal containing \"%s\"; saw \"%s\"\n", words, err);
		fail();
	}
}

/* ---- bzimage_parse --------------------------------------------------- */

static void test_parse_protocol_215(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.version, 0x020F);
	assert_int_equal(bi.setup_sects, SETUP_SECTS);
	assert_int_equal(bi.kernel_offset, (SETUP_SECTS + 1) * 512);
	assert_int_equal(bi.kernel_size, KERNEL_BYTES);
	assert_int_equal(bi.header_end, 0x26C);
	assert_int_equal(bi.xloadflags, 0x7F);
	assert_true(bi.xloadflags & XLF_KERNEL_64);
	assert_true(bi.relocatable);
	assert_int_equal(bi.kernel_alignment, 0x200000);
	assert_int_equal(bi.min_alignment, 21);
	assert_int_equal(bi.pref_address, 0x1000000);
	assert_int_equal(bi.init_size, 0x3378000);
	assert_int_equal(bi.initrd_addr_max, 0x7FFFFFFF);
	assert_int_equal(bi.cmdline_size, 0x7FF);
	free(f);
}

static void test_parse_zero_setup_sects_means_4(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	f[BZ_SETUP_SECTS] = 0;
	put(f, BZ_SYSSIZE, (IMAGE_BYTES - 5 * 512) / 16, 4);
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.setup_sects, 4);
	assert_int_equal(bi.kernel_offset, 5 * 512);
	free(f);
}

static void test_parse_signed_kernel_trailer_not_copied(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	/* A signed kernel's file goes on past syssize * 16. */
	put(f, BZ_SYSSIZE, (KERNEL_BYTES - 0x800) / 16, 4);
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.kernel_size, KERNEL_BYTES - 0x800);
	/* syssize 0: the rest of the file. */
	put(f, BZ_SYSSIZE, 0, 4);
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.kernel_size, KERNEL_BYTES);
	free(f);
}

/* syssize counts paragraphs rounded up (boot.rst): a file that ends
 * inside its last paragraph is whole. Debian's memtest86+ 6.10 says
 * 142784 bytes and has 142776. */
static void test_parse_file_ends_inside_last_paragraph(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	for (u32 short_by = 1; short_by < 16; short_by++) {
		parse_ok(f, IMAGE_BYTES - short_by, &bi);
		assert_int_equal(bi.kernel_size, KERNEL_BYTES - short_by);
		assert_int_equal(bi.kernel_pad, short_by);
		assert_true(bi.init_size >= KERNEL_BYTES);
	}
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.kernel_size, KERNEL_BYTES);
	assert_int_equal(bi.kernel_pad, 0);
	/* A whole paragraph short is truncated, and says by how much. */
	parse_fails(f, IMAGE_BYTES - 16, "truncated: the header says 16384 bytes of kernel "
		    "after offset 0xa00, the file has 16368");
	/* The memtest86+ numbers: 8924 paragraphs, 8 bytes short. */
	put(f, BZ_SYSSIZE, 8924, 4);
	{
		u64 size = (SETUP_SECTS + 1) * 512 + 142776;
		u8 *g = calloc(1, size);

		assert_non_null(g);
		memcpy(g, f, IMAGE_BYTES);
		parse_ok(g, size, &bi);
		assert_int_equal(bi.kernel_size, 142776);
		assert_int_equal(bi.kernel_pad, 8);
		free(g);
	}
	free(f);
}

/* The fields a loader acts on must make sense for the file. */
static void test_parse_checks_code32_start_and_init_size(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.code32_start, 0x100000);
	put(f, BZ_CODE32_START, 0x1000, 4);
	parse_fails(f, IMAGE_BYTES, "code32_start 0x1000 is below 1 MiB");
	put(f, BZ_CODE32_START, 0, 4);
	parse_fails(f, IMAGE_BYTES, "code32_start 0x0 is below 1 MiB");
	put(f, BZ_CODE32_START, 0x100000, 4);
	/* init_size must hold the kernel, its padding included. */
	put(f, BZ_INIT_SIZE, KERNEL_BYTES - 1, 4);
	parse_fails(f, IMAGE_BYTES, "init_size 0x3fff is smaller than the kernel's 16384 bytes");
	parse_fails(f, IMAGE_BYTES - 8, "init_size 0x3fff is smaller than the kernel's 16384 bytes");
	put(f, BZ_INIT_SIZE, KERNEL_BYTES, 4);
	parse_ok(f, IMAGE_BYTES - 8, &bi);
	assert_int_equal(bi.init_size, KERNEL_BYTES);
	/* Before 2.10 the kernel's place is code32_start. */
	put(f, BZ_VERSION, 0x0209, 2);
	put(f, BZ_CODE32_START, 0x200000, 4);
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.pref_address, 0x200000);
	free(f);
}

static void test_parse_refuses_no_hdrs(void **state)
{
	u8 *f = make_image();

	(void)state;
	memcpy(f + BZ_HEADER, "HdrX", 4);
	parse_fails(f, IMAGE_BYTES, "not a bzImage: no \"HdrS\"");
	free(f);
}

static void test_parse_refuses_no_boot_flag(void **state)
{
	u8 *f = make_image();

	(void)state;
	put(f, BZ_BOOT_FLAG, 0x55AA, 2);
	parse_fails(f, IMAGE_BYTES, "boot_flag");
	free(f);
}

static void test_parse_refuses_short_file(void **state)
{
	u8 *f = make_image();

	(void)state;
	parse_fails(f, 0x200, "too short");
	parse_fails(f, 0, "too short");
	free(f);
}

static void test_parse_refuses_old_protocol(void **state)
{
	u8 *f = make_image();

	(void)state;
	put(f, BZ_VERSION, 0x0205, 2);
	parse_fails(f, IMAGE_BYTES, "boot protocol 2.05 is older than 2.06");
	put(f, BZ_VERSION, 0x0102, 2);
	parse_fails(f, IMAGE_BYTES, "boot protocol 1.02 is older than 2.06");
	free(f);
}

static void test_parse_refuses_zimage(void **state)
{
	u8 *f = make_image();

	(void)state;
	f[BZ_LOADFLAGS] = 0;
	parse_fails(f, IMAGE_BYTES, "LOADED_HIGH");
	free(f);
}

static void test_parse_refuses_truncated(void **state)
{
	u8 *f = make_image();

	(void)state;
	/* The protected-mode code is cut short... */
	parse_fails(f, IMAGE_BYTES - 16, "truncated");
	/* ...or the file ends inside the setup sectors. */
	f[BZ_SETUP_SECTS] = 60;
	parse_fails(f, IMAGE_BYTES, "truncated: 60 setup sectors");
	free(f);
}

static void test_parse_refuses_bad_alignment(void **state)
{
	u8 *f = make_image();

	(void)state;
	put(f, BZ_KERNEL_ALIGNMENT, 0x300000, 4);
	parse_fails(f, IMAGE_BYTES, "kernel_alignment 0x300000");
	put(f, BZ_KERNEL_ALIGNMENT, 0, 4);
	parse_fails(f, IMAGE_BYTES, "kernel_alignment 0x0");
	free(f);
}

static void test_parse_protocol_206_defaults(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	/* 2.06 has no xloadflags, min_alignment, pref_address, init_size:
	 * whatever bytes lie there are not read. */
	put(f, BZ_VERSION, 0x0206, 2);
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.xloadflags, 0);
	assert_int_equal(bi.min_alignment, 0);
	assert_int_equal(bi.pref_address, 0x100000);
	assert_int_equal(bi.init_size, KERNEL_BYTES * BZ_OLD_INIT_SIZE_FACTOR);
	free(f);
}

static void test_parse_fields_past_header_end_read_zero(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	(void)state;
	/* A header that ends at 0x236 (the jump's displacement says so): the
	 * xloadflags and cmdline_size bytes after it are not the header's. */
	f[BZ_JUMP + 1] = 0x34;
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.header_end, 0x236);
	assert_int_equal(bi.xloadflags, 0);
	assert_int_equal(bi.cmdline_size, 0);
	assert_int_equal(bi.init_size, KERNEL_BYTES); /* at least the code itself */
	/* A displacement past the setup header is held to 0x290. */
	f[BZ_JUMP + 1] = 0xFF;
	parse_ok(f, IMAGE_BYTES, &bi);
	assert_int_equal(bi.header_end, ZP_SETUP_HEADER_END);
	free(f);
}

/* ---- bzimage_place ---------------------------------------------------- */

static void place_ok(const struct bzimage_info *bi, const struct mem_range *m, int n, u64 want)
{
	char err[160] = "";
	u64 at = 0;

	if (bzimage_place(bi, m, n, &at, err, sizeof(err))) {
		print_error("expected the kernel at 0x%llx; refused: %s\n", (unsigned long long)want,
			    err);
		fail();
	}
	if (at != want) {
		print_error("expected the kernel at 0x%llx; placed at 0x%llx\n",
			    (unsigned long long)want, (unsigned long long)at);
		fail();
	}
}

static void place_fails(const struct bzimage_info *bi, const struct mem_range *m, int n)
{
	char err[160] = "";
	u64 at = 0;

	if (!bzimage_place(bi, m, n, &at, err, sizeof(err))) {
		print_error("expected no place for the kernel; placed at 0x%llx\n",
			    (unsigned long long)at);
		fail();
	}
	if (!strstr(err, "kernel cannot be loaded where Keel can put it")) {
		print_error("unexpected reason: %s\n", err);
		fail();
	}
}

static struct bzimage_info info_215(void)
{
	u8 *f = make_image();
	struct bzimage_info bi;

	parse_ok(f, IMAGE_BYTES, &bi);
	free(f);
	return bi;
}

static void test_place_at_pref_address(void **state)
{
	struct bzimage_info bi = info_215();

	(void)state;
	place_ok(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), 0x1000000);
}

static void test_place_relocates_when_pref_taken(void **state)
{
	struct bzimage_info bi = info_215();
	/* 16-19 MiB is not RAM; the next 2 MiB-aligned start is 20 MiB, and
	 * an unaligned range start is rounded up. */
	const struct mem_range m[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x100000, 0xF00000, RAM },
		{ 0x1000000, 0x300000, RES },
		{ 0x1300000, 0x40000000, RAM },
	};
	const struct mem_range m2[] = {
		{ 0x100000, 0x1000000, RAM },
		{ 0x1100000, 0x10000, RES },
		{ 0x1110000, 0x40000000, RAM },
	};

	(void)state;
	place_ok(&bi, m, ARRAY_SIZE(m), 0x1400000);
	place_ok(&bi, m2, ARRAY_SIZE(m2), 0x1200000);
}

static void test_place_below_16m_when_only_there(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range m[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x100000, 0xE00000, RAM },  /* 1-15 MiB */
		{ 0xF00000, 0x100000, RES },
	};

	(void)state;
	bi.init_size = 0x800000;
	place_ok(&bi, m, ARRAY_SIZE(m), 0x200000);
	/* Not even at 2 MiB alignment: min_alignment (2.10+) says 4 KiB will do. */
	bi.init_size = 0xD80000;
	bi.min_alignment = 12;
	place_ok(&bi, m, ARRAY_SIZE(m), 0x100000);
}

static void test_place_fails_without_room(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range small[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x100000, 0x2000000, RAM }, /* 32 MiB: less than init_size */
	};
	/* Plenty of RAM, but only above 4 GiB. */
	const struct mem_range high[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x100000000ull, 0x100000000ull, RAM },
	};

	(void)state;
	place_fails(&bi, small, ARRAY_SIZE(small));
	place_fails(&bi, high, ARRAY_SIZE(high));
}

static void test_place_fails_fixed_kernel_pref_taken(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range m[] = {
		{ 0x100000, 0xF00000, RAM },
		{ 0x1000000, 0x100000, RES },
		{ 0x1100000, 0x40000000, RAM },
	};

	(void)state;
	bi.relocatable = false;
	place_fails(&bi, m, ARRAY_SIZE(m));
	place_ok(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), 0x1000000);
}

/* ---- bzimage_place_initrd -------------------------------------------- */

static u64 initrd_ok(const struct bzimage_info *bi, const struct mem_range *m, int n, u64 kernel,
		     const struct mem_range *busy, int nbusy, u64 size, u64 reach)
{
	char err[160] = "";
	u64 at = 0;

	if (bzimage_place_initrd(bi, m, n, kernel, busy, nbusy, size, reach, &at, err,
				 sizeof(err))) {
		print_error("expected a place for the initrd; refused: %s\n", err);
		fail();
	}
	assert_int_equal(at & 0xFFF, 0);
	return at;
}

static void test_initrd_highest_below_keel(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range low = { 0x20000, 0x9000, RES };
	u64 at = initrd_ok(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), 0x1000000, &low, 1, 1031505,
			   0x100000000ull);

	(void)state;
	/* The top of the RAM range above Keel's region, as under QEMU. */
	assert_int_equal(at, (0x3ffe0000 - 1031505) & ~0xFFFull);
	/* Too big for the range above Keel's region: the one below it. */
	at = initrd_ok(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), 0x1000000, &low, 1, 0x400000,
		       0x100000000ull);
	assert_int_equal(at, 0x3da00000 - 0x400000);
}

static void test_initrd_under_initrd_addr_max(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range m[] = { { 0x100000, 0xFFE00000, RAM } };
	u64 at;

	(void)state;
	bi.initrd_addr_max = 0x37FFFFFF;
	at = initrd_ok(&bi, m, 1, 0x1000000, NULL, 0, 0x123456, 0x100000000ull);
	assert_true(at + 0x123456 <= 0x38000000);
	assert_int_equal(at, (0x38000000 - 0x123456) & ~0xFFFull);
}

static void test_initrd_away_from_kernel_and_busy(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range m[] = { { 0x100000, 0x7F00000, RAM } }; /* 1-128 MiB */
	const struct mem_range busy = { 0x7000000, 0x1000000, RES };   /* 112-128 MiB */
	u64 at;

	(void)state;
	bi.init_size = 0x2000000;
	/* Kernel at 80-112 MiB, busy above it: the initrd goes below 80 MiB. */
	at = initrd_ok(&bi, m, 1, 0x5000000, &busy, 1, 0x100000, 0x100000000ull);
	assert_int_equal(at, 0x5000000 - 0x100000);
	/* No room anywhere: kernel and busy ranges cover what is left. */
	{
		const struct mem_range m2[] = { { 0x100000, 0x3000000, RAM } };
		const struct mem_range b2 = { 0x100000, 0x1000000, RES };
		char err[160] = "";

		assert_int_equal(bzimage_place_initrd(&bi, m2, 1, 0x1100000, &b2, 1, 0x1000,
						      0x100000000ull, &at, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "no room for the initrd"));
	}
}

static void test_initrd_above_4g_only_when_allowed(void **state)
{
	struct bzimage_info bi = info_215();
	const struct mem_range m[] = {
		{ 0x100000, 0x3F00000, RAM },           /* 1-64 MiB: the kernel fills it */
		{ 0x100000000ull, 0x40000000, RAM },    /* 4-5 GiB */
	};
	char err[160] = "";
	u64 at = 0;

	(void)state;
	bi.init_size = 0x3F00000;
	bi.initrd_addr_max = 0xFFFFFFFF;
	at = initrd_ok(&bi, m, ARRAY_SIZE(m), 0x100000, NULL, 0, 0x100000, 0x200000000ull);
	assert_int_equal(at, 0x140000000ull - 0x100000);
	/* Keel itself reaches only 4 GiB. */
	assert_int_equal(bzimage_place_initrd(&bi, m, ARRAY_SIZE(m), 0x100000, NULL, 0, 0x100000,
					      0x100000000ull, &at, err, sizeof(err)), -1);
	/* Without XLF_CAN_BE_LOADED_ABOVE_4G, never above 4 GiB. */
	bi.xloadflags &= (u16)~XLF_CAN_BE_LOADED_ABOVE_4G;
	assert_int_equal(bzimage_place_initrd(&bi, m, ARRAY_SIZE(m), 0x100000, NULL, 0, 0x100000,
					      0x200000000ull, &at, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no room for the initrd"));
	assert_int_equal(bzimage_place_initrd(&bi, m, ARRAY_SIZE(m), 0x100000, NULL, 0, 0,
					      0x200000000ull, &at, err, sizeof(err)), -1);
}

/* ---- bzimage_build_zero_page ------------------------------------------ */

static void test_zero_page_fields(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;
	static u8 zp[ZP_SIZE];

	(void)state;
	parse_ok(f, IMAGE_BYTES, &bi);
	memset(zp, 0xCC, sizeof(zp));
	bzimage_build_zero_page(zp, f, &bi, 0x1000000, 0x21000, 0x13fee4000ull, 0x1000000123ull,
				qemu_1g, ARRAY_SIZE(qemu_1g));

	/* The setup header, copied where it was, and nothing before it. */
	assert_int_equal(zp[ZP_SENTINEL], 0);
	assert_int_equal(get(zp, BZ_BOOT_FLAG, 2), 0xAA55);
	assert_memory_equal(zp + BZ_HEADER, "HdrS", 4);
	assert_int_equal(get(zp, BZ_VERSION, 2), 0x020F);
	assert_int_equal(get(zp, BZ_VID_MODE, 2), 0xFFFF);
	assert_int_equal(get(zp, BZ_INIT_SIZE, 4), 0x3378000);
	assert_int_equal(get(zp, BZ_HANDOVER_OFFSET, 4), 0x190);
	assert_int_equal(get(zp, BZ_CMDLINE_SIZE, 4), 0x7FF);
	for (u32 i = 0; i < ZP_SETUP_HEADER; i++)
		if (i != ZP_E820_ENTRIES && (i < ZP_EXT_RAMDISK_IMAGE || i >= ZP_EXT_CMD_LINE_PTR + 4))
			assert_int_equal(zp[i], 0);
	for (u32 i = bi.header_end; i < ZP_E820_TABLE; i++)
		assert_int_equal(zp[i], 0);

	/* What the loader writes. */
	assert_int_equal(zp[BZ_TYPE_OF_LOADER], 0xFF);
	assert_int_equal(zp[BZ_LOADFLAGS], BZ_LOADED_HIGH);
	assert_int_equal(get(zp, BZ_HEAP_END_PTR, 2), 0);
	assert_int_equal(get(zp, BZ_CODE32_START, 4), 0x1000000);
	assert_int_equal(get(zp, BZ_HARDWARE_SUBARCH, 4), 0);
	assert_int_equal(get(zp, BZ_SETUP_DATA, 8), 0);
	assert_int_equal(get(zp, BZ_CMD_LINE_PTR, 4), 0x21000);
	assert_int_equal(get(zp, ZP_EXT_CMD_LINE_PTR, 4), 0);
	assert_int_equal(get(zp, BZ_RAMDISK_IMAGE, 4), 0x3fee4000);
	assert_int_equal(get(zp, ZP_EXT_RAMDISK_IMAGE, 4), 1);
	assert_int_equal(get(zp, BZ_RAMDISK_SIZE, 4), 0x123);
	assert_int_equal(get(zp, ZP_EXT_RAMDISK_SIZE, 4), 0x10);

	/* The e820 table, 20 bytes an entry. */
	assert_int_equal(zp[ZP_E820_ENTRIES], ARRAY_SIZE(qemu_1g));
	for (u32 i = 0; i < ARRAY_SIZE(qemu_1g); i++) {
		const u8 *e = zp + ZP_E820_TABLE + i * ZP_E820_ENTRY_SIZE;

		assert_int_equal(get(e, 0, 8), qemu_1g[i].base);
		assert_int_equal(get(e, 8, 8), qemu_1g[i].len);
		assert_int_equal(get(e, 16, 4), qemu_1g[i].type);
	}
	for (u32 i = ZP_E820_TABLE + ARRAY_SIZE(qemu_1g) * ZP_E820_ENTRY_SIZE; i < ZP_SIZE; i++)
		assert_int_equal(zp[i], 0);
	free(f);
}

static void test_zero_page_without_initrd(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;
	static u8 zp[ZP_SIZE];

	(void)state;
	parse_ok(f, IMAGE_BYTES, &bi);
	bzimage_build_zero_page(zp, f, &bi, 0x1400000, 0x21000, 0x3fee4000, 0, qemu_1g, 0);
	assert_int_equal(get(zp, BZ_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(get(zp, BZ_RAMDISK_SIZE, 4), 0);
	assert_int_equal(get(zp, ZP_EXT_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(get(zp, BZ_CODE32_START, 4), 0x1400000);
	assert_int_equal(zp[ZP_E820_ENTRIES], 0);
	free(f);
}

static void test_zero_page_e820_limit(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;
	static u8 zp[ZP_SIZE];
	static struct mem_range many[130];

	(void)state;
	for (int i = 0; i < 130; i++)
		many[i] = (struct mem_range){ (u64)i << 20, 0x1000, RAM };
	parse_ok(f, IMAGE_BYTES, &bi);
	bzimage_build_zero_page(zp, f, &bi, 0x1000000, 0x21000, 0, 0, many, 130);
	assert_int_equal(zp[ZP_E820_ENTRIES], ZP_E820_MAX);
	assert_int_equal(get(zp, ZP_E820_TABLE + 127 * ZP_E820_ENTRY_SIZE, 8), 127ull << 20);
	free(f);
}

/* acpi_rsdp_addr: written for protocol 2.14+ only, and only when known. */
static void test_zero_page_rsdp(void **state)
{
	u8 *f = make_image();
	struct bzimage_info bi;
	static u8 zp[ZP_SIZE];

	(void)state;
	parse_ok(f, IMAGE_BYTES, &bi);
	bzimage_build_zero_page(zp, f, &bi, 0x1000000, 0x21000, 0, 0, qemu_1g, 0);
	bzimage_set_rsdp(zp, &bi, 0x1f77d014);
	assert_int_equal(get(zp, ZP_ACPI_RSDP_ADDR, 8), 0x1f77d014);
	memset(zp + ZP_ACPI_RSDP_ADDR, 0, 8);
	bzimage_set_rsdp(zp, &bi, 0);
	assert_int_equal(get(zp, ZP_ACPI_RSDP_ADDR, 8), 0);
	bi.version = 0x020D;
	bzimage_set_rsdp(zp, &bi, 0x1f77d014);
	assert_int_equal(get(zp, ZP_ACPI_RSDP_ADDR, 8), 0);
	free(f);
}

/* ---- Debian's cloud kernel ---------------------------------------------- */

static u8 *read_file(const char *path, u64 *size)
{
	FILE *fp = fopen(path, "rb");
	u8 *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*size = (u64)n;
	return buf;
}

static void test_debian_cloud_kernel(void **state)
{
	const char *path = getenv("LINUX_BZIMAGE");
	struct bzimage_info bi;
	u64 size = 0, at = 0, initrd = 0;
	char err[160] = "";
	u8 *f;

	(void)state;
	if (!path || !*path)
		path = "build/linux/vmlinuz";
	f = read_file(path, &size);
	if (!f) {
		printf("    skipped: %s is missing (make linux fetches it)\n", path);
		skip();
	}
	parse_ok(f, size, &bi);
	printf("    %s: protocol %u.%02u, xloadflags 0x%x, init_size 0x%llx, align 0x%x\n", path,
	       bi.version >> 8, bi.version & 0xFF, bi.xloadflags,
	       (unsigned long long)bi.init_size, bi.kernel_alignment);
	assert_true(bi.version >= 0x020F);
	assert_true(bi.xloadflags & XLF_KERNEL_64);
	assert_true(bi.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G);
	assert_true(bi.relocatable);
	assert_true(bi.kernel_offset + bi.kernel_size <= size);
	assert_true(bi.init_size >= bi.kernel_size);
	assert_true(bi.cmdline_size >= 255);
	place_ok(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), bi.pref_address);
	at = bi.pref_address;
	assert_int_equal(bzimage_place_initrd(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), at, NULL, 0,
					      0x100000, 0x100000000ull, &initrd, err, sizeof(err)), 0);
	assert_true(initrd >= at + bi.init_size || initrd + 0x100000 <= at);
	free(f);
}

/* Debian's memtest86+ (package memtest86+, unpacked by
 * tools/fetch-memtest.sh), whose file ends 8 bytes into its last paragraph. */
static void test_debian_memtest86plus(void **state)
{
	const char *path = "build/memtest/memtest86+x64.bin";
	struct bzimage_info bi;
	u64 size = 0;
	u8 *f;

	(void)state;
	f = read_file(path, &size);
	if (!f) {
		printf("    skipped: %s is missing (tools/fetch-memtest.sh fetches it)\n", path);
		skip();
	}
	parse_ok(f, size, &bi);
	printf("    %s: protocol %u.%02u, kernel %llu bytes + %u zeroed, init_size 0x%llx\n", path,
	       bi.version >> 8, bi.version & 0xFF, (unsigned long long)bi.kernel_size,
	       bi.kernel_pad, (unsigned long long)bi.init_size);
	assert_true(bi.kernel_offset + bi.kernel_size == size);
	assert_true(bi.kernel_pad < 16);
	assert_int_equal(bi.code32_start, 0x100000);
	place_ok(&bi, qemu_1g, ARRAY_SIZE(qemu_1g), 0x100000);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_protocol_215),
		cmocka_unit_test(test_parse_zero_setup_sects_means_4),
		cmocka_unit_test(test_parse_signed_kernel_trailer_not_copied),
		cmocka_unit_test(test_parse_file_ends_inside_last_paragraph),
		cmocka_unit_test(test_parse_checks_code32_start_and_init_size),
		cmocka_unit_test(test_parse_refuses_no_hdrs),
		cmocka_unit_test(test_parse_refuses_no_boot_flag),
		cmocka_unit_test(test_parse_refuses_short_file),
		cmocka_unit_test(test_parse_refuses_old_protocol),
		cmocka_unit_test(test_parse_refuses_zimage),
		cmocka_unit_test(test_parse_refuses_truncated),
		cmocka_unit_test(test_parse_refuses_bad_alignment),
		cmocka_unit_test(test_parse_protocol_206_defaults),
		cmocka_unit_test(test_parse_fields_past_header_end_read_zero),
		cmocka_unit_test(test_place_at_pref_address),
		cmocka_unit_test(test_place_relocates_when_pref_taken),
		cmocka_unit_test(test_place_below_16m_when_only_there),
		cmocka_unit_test(test_place_fails_without_room),
		cmocka_unit_test(test_place_fails_fixed_kernel_pref_taken),
		cmocka_unit_test(test_initrd_highest_below_keel),
		cmocka_unit_test(test_initrd_under_initrd_addr_max),
		cmocka_unit_test(test_initrd_away_from_kernel_and_busy),
		cmocka_unit_test(test_initrd_above_4g_only_when_allowed),
		cmocka_unit_test(test_zero_page_fields),
		cmocka_unit_test(test_zero_page_without_initrd),
		cmocka_unit_test(test_zero_page_e820_limit),
		cmocka_unit_test(test_zero_page_rsdp),
		cmocka_unit_test(test_debian_cloud_kernel),
		cmocka_unit_test(test_debian_memtest86plus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
