/* Unit tests for efi/efimap.c: the UEFI memory map as Keel's E820-style
 * ranges, for placing the region while boot services run and for the
 * hand-off after ExitBootServices(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../efi/efimap.h"

/* OVMF's descriptors are 48 bytes: 8 more than the structure. */
#define DSIZE 48
#define PAGE 4096ull

struct desc48 {
	struct efi_mem_desc d;
	u8 extra[DSIZE - sizeof(struct efi_mem_desc)];
};

static struct desc48 map[64];
static int nmap;

static void add(u32 type, u64 base, u64 bytes, u64 attr)
{
	memset(&map[nmap], 0, sizeof(map[nmap]));
	map[nmap].d.type = type;
	map[nmap].d.phys_start = base;
	map[nmap].d.pages = bytes / PAGE;
	map[nmap].d.attribute = attr;
	nmap++;
}

static int convert(enum efimap_view view, struct mem_range *out, int max)
{
	return efimap_convert(map, (u64)nmap * DSIZE, DSIZE, view, out, max);
}

static void assert_range(const struct mem_range *r, u64 base, u64 len, u32 type)
{
	assert_int_equal(r->base, base);
	assert_int_equal(r->len, len);
	assert_int_equal(r->type, type);
}

/* Shaped like QEMU -m 512 under OVMF, listed out of order on purpose. */
static void ovmf_512(void)
{
	nmap = 0;
	add(UEFI_BOOT_SERVICES_CODE, 0x0, 0x1000, 0);
	add(UEFI_CONVENTIONAL_MEMORY, 0x1000, 0x9f000, 0);
	add(UEFI_CONVENTIONAL_MEMORY, 0x100000, 0x706000, 0);
	add(UEFI_ACPI_MEMORY_NVS, 0x806000, 0x2000, 0);
	add(UEFI_LOADER_DATA, 0x1c800000, 0x1600000, 0);
	add(UEFI_CONVENTIONAL_MEMORY, 0x808000, 0x8000, 0);
	add(UEFI_ACPI_MEMORY_NVS, 0x810000, 0xf0000, 0);
	add(UEFI_CONVENTIONAL_MEMORY, 0x900000, 0x1bf00000, 0);
	add(UEFI_BOOT_SERVICES_DATA, 0x1de00000, 0xca0000, 0);
	add(UEFI_RUNTIME_SERVICES_DATA, 0x1eaa0000, 0x102000, UEFI_MEMORY_RUNTIME);
	add(UEFI_BOOT_SERVICES_CODE, 0x1eba2000, 0x94a000, 0);
	add(UEFI_RUNTIME_SERVICES_CODE, 0x1f4ec000, 0x280000, UEFI_MEMORY_RUNTIME);
	add(UEFI_ACPI_RECLAIM_MEMORY, 0x1f76c000, 0x12000, 0);
	add(UEFI_ACPI_MEMORY_NVS, 0x1f77e000, 0x80000, 0);
	add(UEFI_LOADER_CODE, 0x1f7fe000, 0x6f6000, 0);
	add(UEFI_RESERVED_MEMORY_TYPE, 0x1fef4000, 0x84000, 0);
	add(UEFI_ACPI_MEMORY_NVS, 0x1ff78000, 0x88000, 0);
	add(UEFI_MEMORY_MAPPED_IO, 0xffc00000, 0x400000, UEFI_MEMORY_RUNTIME);
}

static void test_after_exit_types_and_merging(void **state)
{
	struct mem_range m[MEMMAP_MAX];
	int n;

	(void)state;
	ovmf_512();
	n = convert(EFIMAP_AFTER_EXIT, m, MEMMAP_MAX);
	assert_int_equal(n, 15);
	/* Boot-services code and conventional memory join into one RAM range. */
	assert_range(&m[0], 0x0, 0xa0000, E820_RAM);
	assert_range(&m[1], 0x100000, 0x706000, E820_RAM);
	assert_range(&m[2], 0x806000, 0x2000, E820_NVS);
	assert_range(&m[3], 0x808000, 0x8000, E820_RAM);
	assert_range(&m[4], 0x810000, 0xf0000, E820_NVS);
	/* Conventional, loader data (Keel's region) and boot-services data. */
	assert_range(&m[5], 0x900000, 0x1eaa0000 - 0x900000, E820_RAM);
	assert_range(&m[6], 0x1eaa0000, 0x102000, E820_RESERVED);
	assert_range(&m[7], 0x1eba2000, 0x94a000, E820_RAM);
	assert_range(&m[8], 0x1f4ec000, 0x280000, E820_RESERVED);
	assert_range(&m[9], 0x1f76c000, 0x12000, E820_ACPI);
	assert_range(&m[10], 0x1f77e000, 0x80000, E820_NVS);
	assert_range(&m[11], 0x1f7fe000, 0x6f6000, E820_RAM);
	/* Reserved then NVS stay apart; MMIO is reserved. */
	assert_range(&m[12], 0x1fef4000, 0x84000, E820_RESERVED);
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_int_equal(n, 15);
}

static void test_after_exit_mmio_and_nvs_tail(void **state)
{
	struct mem_range m[MEMMAP_MAX];

	(void)state;
	ovmf_512();
	assert_int_equal(convert(EFIMAP_AFTER_EXIT, m, MEMMAP_MAX), 15);
	assert_range(&m[13], 0x1ff78000, 0x88000, E820_NVS);
	assert_range(&m[14], 0xffc00000, 0x400000, E820_RESERVED);
}

static void test_free_now_only_conventional(void **state)
{
	struct mem_range m[MEMMAP_MAX];
	int n;

	(void)state;
	ovmf_512();
	n = convert(EFIMAP_FREE_NOW, m, MEMMAP_MAX);
	assert_int_equal(n, 4);
	assert_range(&m[0], 0x1000, 0x9f000, E820_RAM);
	assert_range(&m[1], 0x100000, 0x706000, E820_RAM);
	assert_range(&m[2], 0x808000, 0x8000, E820_RAM);
	assert_range(&m[3], 0x900000, 0x1bf00000, E820_RAM);
}

static void test_type_table(void **state)
{
	(void)state;
	assert_int_equal(efimap_e820_type(UEFI_LOADER_CODE, 0), E820_RAM);
	assert_int_equal(efimap_e820_type(UEFI_LOADER_DATA, 0), E820_RAM);
	assert_int_equal(efimap_e820_type(UEFI_BOOT_SERVICES_CODE, 0), E820_RAM);
	assert_int_equal(efimap_e820_type(UEFI_BOOT_SERVICES_DATA, 0), E820_RAM);
	assert_int_equal(efimap_e820_type(UEFI_CONVENTIONAL_MEMORY, 0), E820_RAM);
	assert_int_equal(efimap_e820_type(UEFI_RUNTIME_SERVICES_CODE, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(UEFI_RUNTIME_SERVICES_DATA, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(UEFI_RESERVED_MEMORY_TYPE, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(UEFI_MEMORY_MAPPED_IO, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(UEFI_MEMORY_MAPPED_IO_PORT_SPACE, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(UEFI_PAL_CODE, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(UEFI_ACPI_RECLAIM_MEMORY, 0), E820_ACPI);
	assert_int_equal(efimap_e820_type(UEFI_ACPI_MEMORY_NVS, 0), E820_NVS);
	assert_int_equal(efimap_e820_type(UEFI_UNUSABLE_MEMORY, 0), E820_UNUSABLE);
	assert_int_equal(efimap_e820_type(UEFI_PERSISTENT_MEMORY, 0), E820_PMEM);
	assert_int_equal(efimap_e820_type(UEFI_UNACCEPTED_MEMORY, 0), E820_RESERVED);
	assert_int_equal(efimap_e820_type(0x70000001, 0), E820_RESERVED);   /* OEM */
	assert_int_equal(efimap_e820_type(0x80000001, 0), E820_RESERVED);   /* OS loader */
	/* Anything the runtime services need stays theirs. */
	assert_int_equal(efimap_e820_type(UEFI_CONVENTIONAL_MEMORY, UEFI_MEMORY_RUNTIME),
			 E820_RESERVED);
}

/* A range listed last that fills the gap between two joins all three. */
static void test_gap_filled_later_joins_three(void **state)
{
	struct mem_range m[4];

	(void)state;
	nmap = 0;
	add(UEFI_CONVENTIONAL_MEMORY, 0x100000, 0x100000, 0);
	add(UEFI_BOOT_SERVICES_DATA, 0x300000, 0x100000, 0);
	add(UEFI_LOADER_CODE, 0x200000, 0x100000, 0);
	assert_int_equal(convert(EFIMAP_AFTER_EXIT, m, 4), 1);
	assert_range(&m[0], 0x100000, 0x300000, E820_RAM);
}

static void test_too_many_ranges(void **state)
{
	struct mem_range m[3];

	(void)state;
	nmap = 0;
	for (int i = 0; i < 4; i++)
		add(i & 1 ? UEFI_ACPI_MEMORY_NVS : UEFI_CONVENTIONAL_MEMORY, (u64)i << 20, 1 << 20, 0);
	assert_int_equal(convert(EFIMAP_AFTER_EXIT, m, 3), -1);
	/* Only the free ones count while boot services run: they fit. */
	assert_int_equal(convert(EFIMAP_FREE_NOW, m, 3), 2);
}

static void test_bad_descriptor_size_and_empty(void **state)
{
	struct mem_range m[4];

	(void)state;
	nmap = 0;
	add(UEFI_CONVENTIONAL_MEMORY, 0x100000, 0, 0);     /* no pages: ignored */
	assert_int_equal(convert(EFIMAP_AFTER_EXIT, m, 4), 0);
	assert_int_equal(efimap_convert(map, DSIZE, 16, EFIMAP_AFTER_EXIT, m, 4), -1);
	/* A partial descriptor at the end is not read. */
	add(UEFI_CONVENTIONAL_MEMORY, 0x100000, 0x1000, 0);
	assert_int_equal(efimap_convert(map, 2 * DSIZE - 1, DSIZE, EFIMAP_AFTER_EXIT, m, 4), 0);
}

static void test_range_past_2_64_is_clamped(void **state)
{
	struct mem_range m[2];

	(void)state;
	nmap = 0;
	add(UEFI_RESERVED_MEMORY_TYPE, 0xfffffffffff00000ull, 0, 0);
	map[0].d.pages = 0x1000;                      /* 16 MiB from 2^64 - 1 MiB */
	assert_int_equal(convert(EFIMAP_AFTER_EXIT, m, 2), 1);
	assert_range(&m[0], 0xfffffffffff00000ull, 0x100000, E820_RESERVED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_after_exit_types_and_merging),
		cmocka_unit_test(test_after_exit_mmio_and_nvs_tail),
		cmocka_unit_test(test_free_now_only_conventional),
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_gap_filled_later_joins_three),
		cmocka_unit_test(test_too_many_ranges),
		cmocka_unit_test(test_bad_descriptor_size_and_empty),
		cmocka_unit_test(test_range_past_2_64_is_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
