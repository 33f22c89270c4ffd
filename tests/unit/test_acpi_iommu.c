/* Unit tests for iommu/acpi_iommu.c: the DMAR and IVRS parsers, on the
 * tables QEMU 7.2 builds for -device intel-iommu and -device amd-iommu
 * (dumped from /sys/firmware/acpi/tables under Linux), on tables built
 * here with several units and reserved ranges, and on broken ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "string.h"
#include "../../iommu/acpi_iommu.h"

/* -Ilib makes <string.h> Keel's own, which lacks this one. */
char *strstr(const char *haystack, const char *needle);

/* q35, -device intel-iommu: one DRHD at 0xfed90000 (no INCLUDE_PCI_ALL,
 * an I/O APIC and six endpoints in its scope), host address width 39. */
static const u8 qemu_dmar[] = {
	0x44, 0x4d, 0x41, 0x52, 0x78, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20,
	0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
	0x01, 0x00, 0x00, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd9, 0xfe, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x08, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x02,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x03,
};

/* q35, -device amd-iommu: one IVHD type 10h for the IOMMU at 00:02.0
 * (capability at 40h) with registers at 0xfed80000, physical address
 * size 40. */
static const u8 qemu_ivrs[] = {
	0x49, 0x56, 0x52, 0x53, 0x6c, 0x00, 0x00, 0x00, 0x01, 0x21, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20,
	0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0xd1, 0x3c, 0x00, 0x10, 0x00, 0x40, 0x00, 0x00, 0x00, 0xd8, 0xfe, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00,
	0x02, 0x10, 0x00, 0x00, 0x02, 0x18, 0x00, 0x00, 0x02, 0xf8, 0x00, 0x00, 0x02, 0xfa, 0x00, 0x00,
	0x02, 0xfb, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00, 0x01,
};

static struct iommu_acpi a;
static const char *why;

/* A table under construction: the 48-byte fixed part, then structures. */
static u8 t[4096];
static u32 tlen;

static void put(u32 off, u64 v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		t[off + i] = (u8)(v >> (8 * i));
}

static void begin(const char *sig)
{
	memset(t, 0, sizeof(t));
	memcpy(t, sig, 4);
	tlen = 48;
	put(4, tlen, 4);
}

/* Appends a structure of len bytes with a 16-bit type and length
 * (DMAR) or an 8-bit type, flags and 16-bit length (IVRS); returns its
 * offset. */
static u32 add_dmar(u16 type, u16 len)
{
	u32 off = tlen;

	put(off, type, 2);
	put(off + 2, len, 2);
	tlen += len;
	put(4, tlen, 4);
	return off;
}

static u32 add_ivrs(u8 type, u8 flags, u16 len)
{
	u32 off = tlen;

	t[off] = type;
	t[off + 1] = flags;
	put(off + 2, len, 2);
	tlen += len;
	put(4, tlen, 4);
	return off;
}

static u32 drhd(u8 flags, u8 size, u16 seg, u64 base)
{
	u32 o = add_dmar(DMAR_TYPE_DRHD, 16);

	t[o + 4] = flags;
	t[o + 5] = size;
	put(o + 6, seg, 2);
	put(o + 8, base, 8);
	return o;
}

static void rmrr(u64 base, u64 limit)
{
	u32 o = add_dmar(DMAR_TYPE_RMRR, 24);

	put(o + 8, base, 8);
	put(o + 16, limit, 8);
}

static void ivhd(u8 type, u16 devid, u64 base, u64 efr)
{
	u32 o = add_ivrs(type, 0xd1, type == IVRS_IVHD_10 ? 28 : 44);

	put(o + 4, devid, 2);
	put(o + 6, 0x40, 2);
	put(o + 8, base, 8);
	if (type != IVRS_IVHD_10)
		put(o + 24, efr, 8);
	/* One device entry: "all devices" (type 1). */
	t[o + (type == IVRS_IVHD_10 ? 24 : 40)] = 1;
}

static void ivmd(u8 type, u8 flags, u64 start, u64 len)
{
	u32 o = add_ivrs(type, flags, 32);

	put(o + 16, start, 8);
	put(o + 24, len, 8);
}

static void expect_unity(int i, u64 base, u64 end)
{
	if (a.unity[i].base != base || a.unity[i].end != end)
		fail_msg("unity[%d] = [%#llx, %#llx), expected [%#llx, %#llx)", i,
			 (unsigned long long)a.unity[i].base, (unsigned long long)a.unity[i].end,
			 (unsigned long long)base, (unsigned long long)end);
}

static void expect_error(int n, const char *words)
{
	if (n != -1)
		fail_msg("expected -1 (%s), got %d", words, n);
	assert_non_null(why);
	if (!strstr(why, words))
		fail_msg("reason %s lacks \"%s\"", why, words);
}

static void test_qemu_dmar(void **state)
{
	(void)state;
	assert_int_equal(dmar_parse(qemu_dmar, sizeof(qemu_dmar), &a, &why), 1);
	assert_int_equal(a.unit[0].base, 0xfed90000);
	assert_int_equal(a.unit[0].size, 4096);
	assert_int_equal(a.unit[0].flags, 0);
	assert_int_equal(a.unit[0].segment, 0);
	assert_int_equal(a.addr_bits, 39);
	assert_int_equal(a.nunity, 0);
	/* The length the caller knows bounds the table, not the other way. */
	expect_error(dmar_parse(qemu_dmar, sizeof(qemu_dmar) - 1, &a, &why), "length");
}

static void test_qemu_ivrs(void **state)
{
	(void)state;
	assert_int_equal(ivrs_parse(qemu_ivrs, sizeof(qemu_ivrs), &a, &why), 1);
	assert_int_equal(a.unit[0].base, 0xfed80000);
	assert_int_equal(a.unit[0].size, 16384);
	assert_int_equal(a.unit[0].devid, 0x0010);
	assert_int_equal(a.unit[0].cap_offset, 0x40);
	assert_int_equal(a.addr_bits, 40);
	assert_int_equal(a.nunity, 0);
	/* The wrong parser refuses the other's table. */
	expect_error(dmar_parse(qemu_ivrs, sizeof(qemu_ivrs), &a, &why), "signature");
	expect_error(ivrs_parse(qemu_dmar, sizeof(qemu_dmar), &a, &why), "signature");
}

/* Two DRHDs (one covering every other device, one with a two-page
 * register set on segment 1), RMRRs rounded outward to pages, one that
 * ends before it starts (ignored), one reaching the top of the address
 * space, and a structure type Keel does not read. */
static void test_dmar_units_and_rmrrs(void **state)
{
	(void)state;
	begin("DMAR");
	t[36] = 45;
	drhd(DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	drhd(0, 1, 1, 0xfed90000);
	rmrr(0x7d000800, 0x7d0fffff);
	rmrr(0x1000, 0xfff);
	rmrr(0xfffffffffffff000ull, ~0ull);	/* the last page */
	add_dmar(2, 8);				/* ATSR */
	assert_int_equal(dmar_parse(t, tlen, &a, &why), 2);
	assert_int_equal(a.addr_bits, 46);
	assert_int_equal(a.unit[0].flags, DRHD_INCLUDE_PCI_ALL);
	assert_int_equal(a.unit[1].size, 8192);
	assert_int_equal(a.unit[1].segment, 1);
	/* The last page cannot be named with an exclusive end: dropped. */
	assert_int_equal(a.nunity, 1);
	expect_unity(0, 0x7d000000, 0x7d100000);
}

static void test_dmar_broken(void **state)
{
	(void)state;
	expect_error(dmar_parse(qemu_dmar, 20, &a, &why), "header");
	begin("DMAR");
	put(4, 40, 4);
	expect_error(dmar_parse(t, 48, &a, &why), "length");
	begin("DMAR");
	put(add_dmar(DMAR_TYPE_DRHD, 16) + 2, 3, 2);
	expect_error(dmar_parse(t, tlen, &a, &why), "below 4");
	begin("DMAR");
	add_dmar(DMAR_TYPE_DRHD, 12);
	expect_error(dmar_parse(t, tlen, &a, &why), "shorter than 16");
	begin("DMAR");
	add_dmar(DMAR_TYPE_RMRR, 20);
	expect_error(dmar_parse(t, tlen, &a, &why), "shorter than 24");
	begin("DMAR");
	drhd(0, 0, 0, 0xfed90800);
	expect_error(dmar_parse(t, tlen, &a, &why), "aligned");
	begin("DMAR");
	drhd(0, 0, 0, 0);
	expect_error(dmar_parse(t, tlen, &a, &why), "is 0");
	/* A structure whose length runs past the table's end. */
	begin("DMAR");
	drhd(0, 0, 0, 0xfed90000);
	put(48 + 2, 64, 2);
	expect_error(dmar_parse(t, tlen, &a, &why), "past");
	/* Two bytes left over: no room for a structure header. */
	begin("DMAR");
	tlen += 2;
	put(4, tlen, 4);
	expect_error(dmar_parse(t, tlen, &a, &why), "header runs past");
	/* More than Keel keeps: refused rather than half read. */
	begin("DMAR");
	for (int i = 0; i <= IOMMU_MAX_UNITS; i++)
		drhd(0, 0, 0, 0xfe000000 + 0x1000 * (u64)i);
	expect_error(dmar_parse(t, tlen, &a, &why), "more remapping units");
	begin("DMAR");
	for (int i = 0; i <= IOMMU_MAX_UNITY; i++)
		rmrr(0x100000 * (u64)(i + 1), 0x100000 * (u64)(i + 1) + 0xfff);
	expect_error(dmar_parse(t, tlen, &a, &why), "reserved memory ranges");
	/* No units is not an error of the table's: 0. */
	begin("DMAR");
	assert_int_equal(dmar_parse(t, tlen, &a, &why), 0);
}

/* One IOMMU described twice (types 10h and 11h, as firmware does for
 * older and newer OSes) is one unit, with the larger window the EFR of
 * type 11h announces (performance counters); a second IOMMU; IVMD
 * blocks: unity, exclusion (mapped the same way), one with neither flag
 * (ignored), an empty one, one reaching the end of the address space. */
static void test_ivrs_units_and_ivmds(void **state)
{
	(void)state;
	begin("IVRS");
	put(36, 0x3000, 4);
	ivhd(IVRS_IVHD_10, 0x0002, 0xfeb80000, 0);
	ivhd(IVRS_IVHD_11, 0x0002, 0xfeb80000, 1u << 9);
	ivhd(IVRS_IVHD_40, 0x4002, 0xfea00000, 0);
	ivmd(IVRS_IVMD_ALL, IVMD_FLAG_UNITY | 0x6, 0x9d000000, 0x100000);
	ivmd(IVRS_IVMD_ONE, IVMD_FLAG_EXCLUSION, 0x12345, 0x10);
	ivmd(IVRS_IVMD_RANGE, 0x6, 0x50000000, 0x1000);
	ivmd(IVRS_IVMD_ALL, IVMD_FLAG_UNITY, 0x60000000, 0);
	ivmd(IVRS_IVMD_ALL, IVMD_FLAG_UNITY, 0xffffffffffff0000ull, 0x20000);
	assert_int_equal(ivrs_parse(t, tlen, &a, &why), 2);
	assert_int_equal(a.addr_bits, 0x30);
	assert_int_equal(a.unit[0].base, 0xfeb80000);
	assert_int_equal(a.unit[0].size, 512 * 1024);
	assert_int_equal(a.unit[1].base, 0xfea00000);
	assert_int_equal(a.unit[1].size, 16 * 1024);
	assert_int_equal(a.unit[1].devid, 0x4002);
	assert_int_equal(a.nunity, 3);
	expect_unity(0, 0x9d000000, 0x9d100000);
	expect_unity(1, 0x12000, 0x13000);
	expect_unity(2, 0xffffffffffff0000ull, 0xfffffffffffff000ull);
}

static void test_ivrs_broken(void **state)
{
	(void)state;
	begin("IVRS");
	add_ivrs(IVRS_IVHD_10, 0, 20);
	expect_error(ivrs_parse(t, tlen, &a, &why), "IVHD is shorter");
	begin("IVRS");
	add_ivrs(IVRS_IVHD_11, 0, 28);
	expect_error(ivrs_parse(t, tlen, &a, &why), "IVHD is shorter");
	begin("IVRS");
	add_ivrs(IVRS_IVMD_ALL, IVMD_FLAG_UNITY, 24);
	expect_error(ivrs_parse(t, tlen, &a, &why), "IVMD is shorter");
	begin("IVRS");
	put(add_ivrs(0x77, 0, 8) + 2, 2, 2);
	expect_error(ivrs_parse(t, tlen, &a, &why), "below 4");
	begin("IVRS");
	ivhd(IVRS_IVHD_10, 0x0002, 0xfeb80000, 0);
	put(48 + 2, 200, 2);
	expect_error(ivrs_parse(t, tlen, &a, &why), "past");
	begin("IVRS");
	ivhd(IVRS_IVHD_10, 0x0002, 0xfeb80100, 0);
	expect_error(ivrs_parse(t, tlen, &a, &why), "aligned");
	/* Unknown block types are skipped by their length. */
	begin("IVRS");
	add_ivrs(0x77, 0, 16);
	ivhd(IVRS_IVHD_10, 0x0002, 0xfeb80000, 0);
	assert_int_equal(ivrs_parse(t, tlen, &a, &why), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_dmar),
		cmocka_unit_test(test_qemu_ivrs),
		cmocka_unit_test(test_dmar_units_and_rmrrs),
		cmocka_unit_test(test_dmar_broken),
		cmocka_unit_test(test_ivrs_units_and_ivmds),
		cmocka_unit_test(test_ivrs_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
