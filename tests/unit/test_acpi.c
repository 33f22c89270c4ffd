/* Unit tests for lib/acpi.c: the RSDP in the EBDA or the BIOS area, the
 * RSDT (ACPI 1.0) and the XSDT (2.0+), and counting the enabled CPUs of a
 * MADT with xAPIC and x2APIC entries, disabled ones and a bad length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"

/* A fake physical memory of 1 MiB + 64 KiB: low memory, and tables at
 * TABLES. */
#define MEM_SIZE 0x110000u
#define TABLES 0x100000u
static u8 mem[MEM_SIZE];

static const void *phys(u64 pa, u32 len, void *ctx)
{
	(void)ctx;
	return pa + len <= MEM_SIZE ? mem + pa : NULL;
}

static void checksum(u8 *p, u32 len, u32 at)
{
	u8 sum = 0;

	p[at] = 0;
	for (u32 i = 0; i < len; i++)
		sum += p[i];
	p[at] = (u8)(0 - sum);
}

static u32 table(u32 at, const char *sig, const u8 *body, u32 body_len)
{
	struct acpi_header *h = (struct acpi_header *)(mem + at);

	assert_true(at + sizeof(*h) + body_len <= MEM_SIZE);
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = (u32)sizeof(*h) + body_len;
	h->revision = 1;
	memcpy(mem + at + sizeof(*h), body, body_len);
	checksum(mem + at, h->length, 9);
	return at;
}

/* A MADT: local APIC address and flags, then the entries. */
static u32 madt(u32 at, const u8 *entries, u32 len)
{
	u8 body[256] = { 0 };

	memcpy(body + 8, entries, len);
	return table(at, "APIC", body, 8 + len);
}

static void rsdp(u32 at, u8 revision, u32 rsdt, u64 xsdt)
{
	u8 *p = mem + at;

	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	p[15] = revision;
	memcpy(p + 16, &rsdt, 4);
	memcpy(p + 24, &xsdt, 8);
	checksum(p, 20, 8);
}

static const u8 two_cpus_one_off[] = {
	0, 8, 0, 0, 1, 0, 0, 0,         /* APIC ID 0, enabled */
	0, 8, 1, 1, 1, 0, 0, 0,         /* APIC ID 1, enabled */
	0, 8, 2, 2, 2, 0, 0, 0,         /* APIC ID 2, online capable only */
	1, 12, 0, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0, /* an I/O APIC: not a CPU */
	9, 16, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, /* x2APIC ID 256, enabled */
};

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	*(u16 *)(mem + BDA_EBDA_SEGMENT) = 0x9FC0;  /* EBDA at 0x9FC00 */
}

static void test_rsdt_from_bios_area(void **state)
{
	u32 m, rsdt;
	u64 r;

	(void)state;
	setup();
	m = madt(TABLES + 0x1000, two_cpus_one_off, sizeof(two_cpus_one_off));
	rsdt = table(TABLES, "RSDT", (const u8 *)&m, 4);
	rsdp(0xF5A30, 0, rsdt, 0);
	r = acpi_find_rsdp_bios(phys, NULL);
	assert_int_equal(r, 0xF5A30);
	assert_ptr_equal(acpi_rsdp_table(r, "APIC", phys, NULL), mem + m);
	assert_null(acpi_rsdp_table(r, "FACP", phys, NULL));
	assert_int_equal(acpi_madt_cpu_count(acpi_rsdp_table(r, "APIC", phys, NULL)), 3);
}

static void test_xsdt_from_ebda(void **state)
{
	u64 ents[2];
	u32 xsdt, rsdt;

	(void)state;
	setup();
	ents[0] = table(TABLES + 0x800, "FACP", (const u8 *)"x", 1);
	ents[1] = madt(TABLES + 0x1000, two_cpus_one_off, 16); /* two xAPIC CPUs */
	xsdt = table(TABLES, "XSDT", (const u8 *)ents, sizeof(ents));
	/* An RSDT that lists nothing: with revision 2, the XSDT wins. */
	rsdt = table(TABLES + 0x400, "RSDT", (const u8 *)"", 0);
	rsdp(0x9FC00 + 0x40, 2, rsdt, xsdt);
	rsdp(0xF0000, 0, rsdt, 0);      /* later in the search: never looked at */
	assert_int_equal(acpi_find_rsdp_bios(phys, NULL), 0x9FC40);
	assert_int_equal(acpi_madt_cpu_count(acpi_rsdp_table(0x9FC40, "APIC", phys, NULL)), 2);
	assert_non_null(acpi_rsdp_table(0x9FC40, "FACP", phys, NULL));
	assert_null(acpi_rsdp_table(0xF0000, "APIC", phys, NULL));
}

static void test_bad_checksum_and_none(void **state)
{
	(void)state;
	setup();
	assert_int_equal(acpi_find_rsdp_bios(phys, NULL), 0);
	rsdp(0xE0010, 0, TABLES, 0);
	mem[0xE0010 + 9] ^= 1;          /* the checksum no longer adds up */
	assert_int_equal(acpi_find_rsdp_bios(phys, NULL), 0);
	assert_null(acpi_rsdp_table(0, "APIC", phys, NULL));
	assert_int_equal(acpi_madt_cpu_count(NULL), 0);
}

static void test_madt_bad_entries(void **state)
{
	static const u8 bad[] = {
		0, 8, 0, 0, 1, 0, 0, 0,         /* one enabled CPU */
		0, 0,                           /* a zero length ends the walk */
		0, 8, 1, 1, 1, 0, 0, 0,
	};
	static const u8 past_end[] = {
		0, 8, 0, 0, 1, 0, 0, 0,
		0, 40, 1, 1, 1, 0, 0, 0,        /* longer than the table */
	};
	struct acpi_header *h;

	(void)state;
	setup();
	h = (struct acpi_header *)(mem + madt(TABLES, bad, sizeof(bad)));
	assert_int_equal(acpi_madt_cpu_count(h), 1);
	h = (struct acpi_header *)(mem + madt(TABLES, past_end, sizeof(past_end)));
	assert_int_equal(acpi_madt_cpu_count(h), 1);
	h->length = 20;                 /* shorter than a MADT's fixed part */
	assert_int_equal(acpi_madt_cpu_count(h), 0);
}

static void test_fadt_reset_reg(void **state)
{
	u8 body[244 - 36] = { 0 };
	struct acpi_reset_reg r = { 0 };
	struct acpi_header *f;

	(void)state;
	setup();
	/* ACPI 1.0's FADT, 116 bytes (QEMU's pc machine): no reset register. */
	f = (struct acpi_header *)(mem + table(TABLES, "FACP", body, 116 - 36));
	assert_false(acpi_fadt_reset_reg(f, &r));
	/* ICH9 (QEMU's q35): I/O port 0CF9h, value 06h, RESET_REG_SUP. */
	body[112 - 36 + 1] = 0x04;                      /* flags bit 10 */
	body[116 - 36] = ACPI_SPACE_IO;
	body[116 - 36 + 1] = 8;                         /* bit width */
	body[116 - 36 + 4] = 0xF9;
	body[116 - 36 + 5] = 0x0C;
	body[128 - 36] = 0x06;
	f = (struct acpi_header *)(mem + table(TABLES, "FACP", body, sizeof(body)));
	assert_true(acpi_fadt_reset_reg(f, &r));
	assert_int_equal(r.space, ACPI_SPACE_IO);
	assert_int_equal(r.address, 0xCF9);
	assert_int_equal(r.value, 0x06);
	/* Without RESET_REG_SUP the fields mean nothing. */
	body[112 - 36 + 1] = 0;
	f = (struct acpi_header *)(mem + table(TABLES, "FACP", body, sizeof(body)));
	assert_false(acpi_fadt_reset_reg(f, &r));
	assert_false(acpi_fadt_reset_reg(NULL, &r));
}

/* A DMAR with two units whose CAP registers sit in the fake memory. */
static void test_dmar_large_pages(void **state)
{
	u8 body[12 + 2 * 16] = { 38 };        /* host address width - 1 */
	const struct acpi_header *d;
	u64 cap;

	(void)state;
	setup();
	for (int i = 0; i < 2; i++) {
		u8 *drhd = body + 12 + i * 16;
		u64 base = 0x100800 + i * 0x1000;

		drhd[0] = 0;                    /* DRHD */
		drhd[2] = 16;
		memcpy(drhd + 8, &base, 8);
	}
	d = (const struct acpi_header *)(mem + table(TABLES, "DMAR", body, sizeof(body)));
	cap = (u64)3 << 34;                     /* SLLPS: 2 MiB and 1 GiB */
	memcpy(mem + 0x100808, &cap, 8);
	memcpy(mem + 0x101808, &cap, 8);
	assert_false(acpi_dmar_4k_only(d, phys, NULL));
	cap = 0;                                /* the second unit: 4 KiB only */
	memcpy(mem + 0x101808, &cap, 8);
	assert_true(acpi_dmar_4k_only(d, phys, NULL));
	assert_false(acpi_dmar_4k_only(NULL, phys, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdt_from_bios_area),
		cmocka_unit_test(test_xsdt_from_ebda),
		cmocka_unit_test(test_bad_checksum_and_none),
		cmocka_unit_test(test_madt_bad_entries),
		cmocka_unit_test(test_fadt_reset_reg),
		cmocka_unit_test(test_dmar_large_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
