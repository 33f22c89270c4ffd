/* Unit tests for lib/multiboot.c: the builder writes into a host buffer
 * that pretends to live at a fake physical address, and the reading side
 * gets that address translated back by buf_to_ptr(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "multiboot.h"

#define FAKE_PHYS 0x00090000u
#define INFO_SIZE 88u
#define MODS_OFF INFO_SIZE
#define HEAD (INFO_SIZE + MB_MAX_MODULES * 16u)

struct fake_mem {
	u8 *buf;
	u32 phys;
	u32 size;
};

/* Physical address -> pointer into the buffer; NULL outside it, so a
 * stray pointer in the structure fails the test instead of reading host
 * memory. */
static const void *buf_to_ptr(u32 phys, void *ctx)
{
	struct fake_mem *fm = ctx;

	if (phys < fm->phys || phys - fm->phys >= fm->size)
		return NULL;
	return fm->buf + (phys - fm->phys);
}

static const char *str_at(struct fake_mem *fm, u32 phys)
{
	const char *s = buf_to_ptr(phys, fm);

	assert_non_null(s);
	return s;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static const struct mem_range qemu_512[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xf0000, 0x10000, E820_RESERVED },
	{ 0x100000, 0x1fee0000, E820_RAM },
	{ 0x1ffe0000, 0x20000, E820_RESERVED },
	{ 0xfffc0000, 0x40000, E820_RESERVED },
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_layout(void **state)
{
	(void)state;
	/* Multiboot 0.6.96, 3.3: the offsets docs/handoff.md lists. */
	assert_int_equal(sizeof(struct multiboot_info), INFO_SIZE);
	assert_int_equal(offsetof(struct multiboot_info, flags), 0);
	assert_int_equal(offsetof(struct multiboot_info, mem_lower), 4);
	assert_int_equal(offsetof(struct multiboot_info, mem_upper), 8);
	assert_int_equal(offsetof(struct multiboot_info, boot_device), 12);
	assert_int_equal(offsetof(struct multiboot_info, cmdline), 16);
	assert_int_equal(offsetof(struct multiboot_info, mods_count), 20);
	assert_int_equal(offsetof(struct multiboot_info, mods_addr), 24);
	assert_int_equal(offsetof(struct multiboot_info, mmap_length), 44);
	assert_int_equal(offsetof(struct multiboot_info, mmap_addr), 48);
	assert_int_equal(offsetof(struct multiboot_info, boot_loader_name), 64);
	assert_int_equal(offsetof(struct multiboot_info, vbe_mode), 80);
	assert_int_equal(sizeof(struct multiboot_module), 16);
	assert_int_equal(sizeof(struct multiboot_mmap_entry), 24);
}

static void test_init(void **state)
{
	static u8 buf[1024];
	struct mb_builder b;
	size_t i;

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	assert_ptr_equal(b.info, buf);
	assert_ptr_equal(b.mods, buf + MODS_OFF);
	assert_int_equal(b.used, HEAD);
	assert_int_equal(b.buf_phys, FAKE_PHYS);
	/* The info structure and module table start zeroed: no flags. */
	for (i = 0; i < HEAD; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[HEAD], 0xcc);

	/* Too small for the header, or addresses past 4 GiB. */
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, HEAD - 1), -1);
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, HEAD), 0);
	assert_int_equal(mb_init(&b, buf, 0xffffffffu - HEAD + 2, HEAD), -1);
	assert_int_equal(mb_init(&b, buf, 0xffffffffu - HEAD + 1, HEAD), 0);
}

static void test_fields_and_flags(void **state)
{
	static u8 buf[2048];
	struct fake_mem fm = { buf, FAKE_PHYS, sizeof(buf) };
	const char cfg[] = "guest flat file=T.BIN load=0x10000\nafter poweroff\n# not this";
	size_t cmd_len = strlen(cfg) - strlen("# not this");
	struct multiboot_info *info;
	struct mb_builder b;
	u32 used;

	(void)state;
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	info = b.info;

	mb_set_memory(&b, 639, 523136);
	assert_int_equal(info->flags, MULTIBOOT_INFO_MEMORY);
	assert_int_equal(info->mem_lower, 639);
	assert_int_equal(info->mem_upper, 523136);

	mb_set_boot_device(&b, 0x80ffffffu);
	assert_int_equal(info->flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_BOOTDEV);
	assert_int_equal(info->boot_device, 0x80ffffffu);

	/* The command line is a slice: only cmd_len bytes and a NUL. */
	used = b.used;
	assert_int_equal(mb_set_cmdline(&b, cfg, cmd_len), 0);
	assert_true(info->flags & MULTIBOOT_INFO_CMDLINE);
	assert_int_equal(info->cmdline, FAKE_PHYS + used);
	assert_int_equal(b.used, used + cmd_len + 1);
	assert_string_equal(str_at(&fm, info->cmdline),
			    "guest flat file=T.BIN load=0x10000\nafter poweroff\n");

	used = b.used;
	assert_int_equal(mb_set_loader_name(&b, "Keel"), 0);
	assert_true(info->flags & MULTIBOOT_INFO_LOADER_NAME);
	assert_int_equal(info->boot_loader_name, FAKE_PHYS + used);
	assert_string_equal(str_at(&fm, info->boot_loader_name), "Keel");

	assert_int_equal(info->flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_BOOTDEV |
				      MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_LOADER_NAME);
	/* Untouched parts stay zero. */
	assert_int_equal(info->mods_count, 0);
	assert_int_equal(info->mods_addr, 0);
	assert_int_equal(info->mmap_length, 0);
	assert_int_equal(info->mmap_addr, 0);
	assert_int_equal(info->syms[0] | info->syms[1] | info->syms[2] | info->syms[3], 0);
	assert_int_equal(info->drives_length | info->config_table | info->apm_table, 0);
}

static void test_mmap_written(void **state)
{
	static u8 buf[1024];
	struct mb_builder b;
	const u8 *e;
	u32 off;
	int i;

	(void)state;
	/* An odd buf_phys: the map must still start 8-aligned physically. */
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS + 1, sizeof(buf)), 0);
	assert_int_equal(mb_set_loader_name(&b, "Keel"), 0);
	assert_int_equal(mb_set_mmap(&b, qemu_512, N(qemu_512)), 0);
	assert_true(b.info->flags & MULTIBOOT_INFO_MEM_MAP);
	assert_int_equal(b.info->mmap_length, N(qemu_512) * 24);
	assert_int_equal(b.info->mmap_addr % 8, 0);
	assert_true(b.info->mmap_addr >= FAKE_PHYS + 1 + HEAD + 5);
	off = b.info->mmap_addr - (FAKE_PHYS + 1);
	assert_int_equal(b.used, off + N(qemu_512) * 24);
	for (i = 0; i < N(qemu_512); i++) {
		e = buf + off + (u32)i * 24;
		assert_int_equal(rd32(e), 20);
		assert_true(rd64(e + 4) == qemu_512[i].base);
		assert_true(rd64(e + 12) == qemu_512[i].len);
		assert_int_equal(rd32(e + 20), qemu_512[i].type);
	}
}

static void test_modules(void **state)
{
	static u8 buf[2048];
	struct fake_mem fm = { buf, FAKE_PHYS, sizeof(buf) };
	static const char *names[] = { "HV.ELF", "FDOS.IMG", "BZIMAGE", "INITRD" };
	const struct multiboot_module *mod;
	struct mb_builder b;
	int i;

	(void)state;
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(mb_add_module(&b, 0x200000u * (u32)(i + 1),
					       0x200000u * (u32)(i + 1) + 0x1234u * (u32)(i + 1),
					       names[i]), 0);
	assert_int_equal(b.info->flags, MULTIBOOT_INFO_MODS);
	assert_int_equal(b.info->mods_count, 4);
	assert_int_equal(b.info->mods_addr, FAKE_PHYS + MODS_OFF);
	/* In the order added, each string right after the previous one. */
	for (i = 0; i < 4; i++) {
		mod = buf_to_ptr(b.info->mods_addr + (u32)i * 16, &fm);
		assert_non_null(mod);
		assert_int_equal(mod->mod_start, 0x200000u * (u32)(i + 1));
		assert_int_equal(mod->mod_end, 0x200000u * (u32)(i + 1) + 0x1234u * (u32)(i + 1));
		assert_int_equal(mod->reserved, 0);
		assert_string_equal(str_at(&fm, mod->string), names[i]);
		if (i > 0)
			assert_int_equal(mod->string, (mod - 1)->string + strlen(names[i - 1]) + 1);
	}

	/* Lookup is case-insensitive and needs the whole name. */
	mod = mb_find_module(b.info, buf_to_ptr, &fm, "fdos.img");
	assert_ptr_equal(mod, buf + MODS_OFF + 16);
	mod = mb_find_module(b.info, buf_to_ptr, &fm, "InitRD");
	assert_ptr_equal(mod, buf + MODS_OFF + 48);
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "FDOS"));
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "FDOS.IMGX"));
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, ""));

	/* Without the flag, the table is not looked at. */
	b.info->flags &= ~MULTIBOOT_INFO_MODS;
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "HV.ELF"));
	b.info->flags |= MULTIBOOT_INFO_MODS;
	/* A table that would run past 4 GiB, or points outside memory. */
	b.info->mods_addr = 0xfffffff0u;
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "HV.ELF"));
	b.info->mods_addr = 0x1000;
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "HV.ELF"));
}

/* An entry that loads no file (guest bios partition=N): the list is
 * still there, valid and empty, and later modules fill it as usual. */
static void test_modules_empty_list(void **state)
{
	static u8 buf[1024];
	struct fake_mem fm = { buf, FAKE_PHYS, sizeof(buf) };
	struct mb_builder b;

	(void)state;
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	mb_begin_modules(&b);
	assert_int_equal(b.info->flags, MULTIBOOT_INFO_MODS);
	assert_int_equal(b.info->mods_count, 0);
	assert_int_equal(b.info->mods_addr, FAKE_PHYS + MODS_OFF);
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "BZIMAGE"));
	assert_int_equal(mb_add_module(&b, 0x200000, 0x201000, "BZIMAGE"), 0);
	assert_int_equal(b.info->mods_count, 1);
	assert_int_equal(b.info->mods_addr, FAKE_PHYS + MODS_OFF);
	assert_ptr_equal(mb_find_module(b.info, buf_to_ptr, &fm, "BZIMAGE"), buf + MODS_OFF);
}

static void test_module_table_full(void **state)
{
	static u8 buf[4096];
	struct fake_mem fm = { buf, FAKE_PHYS, sizeof(buf) };
	char name[13];
	struct mb_builder b;
	u32 used;
	int i;

	(void)state;
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	for (i = 0; i < MB_MAX_MODULES; i++) {
		memcpy(name, "FILE00.BIN", 11);
		name[4] = (char)('0' + i / 10);
		name[5] = (char)('0' + i % 10);
		assert_int_equal(mb_add_module(&b, (u32)i << 20, ((u32)i << 20) + 1, name), 0);
	}
	used = b.used;
	assert_int_equal(mb_add_module(&b, 0, 1, "ONEMORE"), -1);
	/* Nothing changed by the failed call. */
	assert_int_equal(b.info->mods_count, MB_MAX_MODULES);
	assert_int_equal(b.used, used);
	assert_non_null(mb_find_module(b.info, buf_to_ptr, &fm, "file15.bin"));
	assert_null(mb_find_module(b.info, buf_to_ptr, &fm, "ONEMORE"));
}

static void test_buffer_full(void **state)
{
	static u8 buf[HEAD + 16];
	struct mb_builder b;

	(void)state;
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	/* 16 bytes left: "Keel" (5) fits, 11 bytes left. */
	assert_int_equal(mb_set_loader_name(&b, "Keel"), 0);
	assert_int_equal(b.used, HEAD + 5);
	/* A name of 11 bytes needs 12 with its NUL. */
	assert_int_equal(mb_add_module(&b, 0, 1, "ABCDEFGHIJK"), -1);
	assert_int_equal(b.info->mods_count, 0);
	assert_false(b.info->flags & MULTIBOOT_INFO_MODS);
	assert_int_equal(mb_set_cmdline(&b, "0123456789abcdef", 11), -1);
	assert_false(b.info->flags & MULTIBOOT_INFO_CMDLINE);
	assert_int_equal(mb_set_mmap(&b, qemu_512, 1), -1);
	assert_false(b.info->flags & MULTIBOOT_INFO_MEM_MAP);
	assert_int_equal(b.used, HEAD + 5);
	/* Exactly full is fine: 10 bytes and the NUL. */
	assert_int_equal(mb_set_cmdline(&b, "0123456789abcdef", 10), 0);
	assert_int_equal(b.used, sizeof(buf));
	assert_int_equal(mb_set_loader_name(&b, ""), -1);
	assert_int_equal(mb_set_mmap(&b, qemu_512, 0), 0);
}

static void test_mmap_round_trip(void **state)
{
	static u8 buf[2048];
	struct fake_mem fm = { buf, FAKE_PHYS, sizeof(buf) };
	static const struct mem_range wide[] = {
		{ 0x0, 0x9fc00, E820_RAM },
		{ 0x100000000ULL, 0x3c0000000ULL, E820_RAM },
		{ 0xfffffffffffff000ULL, 0x1000, E820_UNUSABLE },
	};
	struct mem_range got[MEMMAP_MAX];
	struct mb_builder b;
	int n, i;

	(void)state;
	assert_int_equal(mb_init(&b, buf, FAKE_PHYS, sizeof(buf)), 0);
	/* No map yet: the flag is clear, so reading fails. */
	assert_int_equal(mb_read_mmap(b.info, buf_to_ptr, &fm, got, MEMMAP_MAX), -1);
	assert_int_equal(mb_set_mmap(&b, qemu_512, N(qemu_512)), 0);
	n = mb_read_mmap(b.info, buf_to_ptr, &fm, got, MEMMAP_MAX);
	assert_int_equal(n, N(qemu_512));
	for (i = 0; i < n; i++) {
		assert_true(got[i].base == qemu_512[i].base);
		assert_true(got[i].len == qemu_512[i].len);
		assert_int_equal(got[i].type, qemu_512[i].type);
	}
	/* Exactly max entries fit; one fewer slot does not. */
	assert_int_equal(mb_read_mmap(b.info, buf_to_ptr, &fm, got, N(qemu_512)), N(qemu_512));
	assert_int_equal(mb_read_mmap(b.info, buf_to_ptr, &fm, got, N(qemu_512) - 1), -1);

	/* A second map replaces the first; 64-bit fields survive. */
	assert_int_equal(mb_set_mmap(&b, wide, N(wide)), 0);
	n = mb_read_mmap(b.info, buf_to_ptr, &fm, got, MEMMAP_MAX);
	assert_int_equal(n, N(wide));
	for (i = 0; i < n; i++)
		assert_true(got[i].base == wide[i].base && got[i].len == wide[i].len &&
			    got[i].type == wide[i].type);
	assert_int_equal(mb_set_mmap(&b, wide, 0), 0);
	assert_int_equal(mb_read_mmap(b.info, buf_to_ptr, &fm, got, MEMMAP_MAX), 0);
}

/* Entries with a larger size field (as some loaders write) are walked by
 * size + 4; malformed ones are rejected. */
static void test_mmap_foreign_and_malformed(void **state)
{
	static u8 mem[256];
	struct fake_mem fm = { mem, 0x1000, sizeof(mem) };
	struct multiboot_info info;
	struct mem_range got[8];
	u32 v;
	u64 q;

	(void)state;
	memset(mem, 0, sizeof(mem));
	memset(&info, 0, sizeof(info));
	/* Entry 0: size 28 (8 bytes of padding); entry 1: size 20. */
	v = 28; memcpy(mem + 0, &v, 4);
	q = 0x100000; memcpy(mem + 4, &q, 8);
	q = 0x7ff00000; memcpy(mem + 12, &q, 8);
	v = E820_RAM; memcpy(mem + 20, &v, 4);
	v = 20; memcpy(mem + 32, &v, 4);
	q = 0xfec00000; memcpy(mem + 36, &q, 8);
	q = 0x1000; memcpy(mem + 44, &q, 8);
	v = E820_RESERVED; memcpy(mem + 52, &v, 4);
	info.flags = MULTIBOOT_INFO_MEM_MAP;
	info.mmap_addr = 0x1000;
	info.mmap_length = 56;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), 2);
	assert_true(got[0].base == 0x100000 && got[0].len == 0x7ff00000 && got[0].type == E820_RAM);
	assert_true(got[1].base == 0xfec00000 && got[1].len == 0x1000 &&
		    got[1].type == E820_RESERVED);

	/* The length ends inside the second entry. */
	info.mmap_length = 50;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
	/* ... or inside its size field. */
	info.mmap_length = 34;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
	/* A size too small to hold an entry, though the walk would end
	 * exactly at mmap_length. */
	info.mmap_length = 52;
	v = 16; memcpy(mem + 32, &v, 4);
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
	/* A huge size must not wrap the walk. */
	info.mmap_length = 56;
	v = 0xfffffffcu; memcpy(mem + 32, &v, 4);
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
	/* A map whose address translates to nothing. */
	v = 20; memcpy(mem + 32, &v, 4);
	info.mmap_addr = 0x5000;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
	/* A map running past 4 GiB. */
	info.mmap_addr = 0xffffffe0u;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
	/* No flag, no map, even with valid fields. */
	info.mmap_addr = 0x1000;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), 2);
	info.flags = MULTIBOOT_INFO_MODS;
	assert_int_equal(mb_read_mmap(&info, buf_to_ptr, &fm, got, 8), -1);
}

static void test_memory_from_map(void **state)
{
	static const struct mem_range bochs_32[] = {
		{ 0x0, 0x9f000, E820_RAM },
		{ 0x9f000, 0x1000, E820_RESERVED },
		{ 0xe8000, 0x18000, E820_RESERVED },
		{ 0x100000, 0x1ef0000, E820_RAM },
		{ 0x1ff0000, 0x10000, E820_ACPI },
		{ 0xfffc0000, 0x40000, E820_RESERVED },
	};
	/* Unsorted and split into adjacent pieces; a hole at 15 MiB. */
	static const struct mem_range pieces[] = {
		{ 0x800000, 0x700000, E820_RAM },
		{ 0x100000, 0x700000, E820_RAM },
		{ 0x50000, 0x50000, E820_RAM },
		{ 0x0, 0x50000, E820_RAM },
		{ 0x1000000, 0x1000000, E820_RAM },
	};
	/* Low RAM past 640 KiB, a reserved range inside upper RAM. */
	static const struct mem_range odd[] = {
		{ 0x0, 0x100000, E820_RAM },
		{ 0x100000, 0x10000000, E820_RAM },
		{ 0x4000000, 0x1000, E820_NVS },
	};
	/* Low RAM up to 768 KiB: mem_lower still says 640. */
	static const struct mem_range low768[] = {
		{ 0x0, 0xc0000, E820_RAM },
		{ 0xc0000, 0x40000, E820_RESERVED },
		{ 0x100000, 0x100000, E820_RAM },
	};
	/* No RAM at 0 nor at 1 MiB. */
	static const struct mem_range none[] = {
		{ 0x1000, 0x9e000, E820_RAM },
		{ 0x200000, 0x100000, E820_RAM },
	};
	u32 lo = 1, up = 1;

	(void)state;
	mb_memory_from_map(qemu_512, N(qemu_512), &lo, &up);
	assert_int_equal(lo, 639);
	assert_int_equal(up, 0x1fee0000 >> 10);
	mb_memory_from_map(bochs_32, N(bochs_32), &lo, &up);
	assert_int_equal(lo, 636);
	assert_int_equal(up, 0x1ef0000 >> 10);
	mb_memory_from_map(pieces, N(pieces), &lo, &up);
	assert_int_equal(lo, 640);
	assert_int_equal(up, 14 * 1024);
	mb_memory_from_map(odd, N(odd), &lo, &up);
	assert_int_equal(lo, 640);
	assert_int_equal(up, (0x4000000 - 0x100000) >> 10);
	mb_memory_from_map(low768, N(low768), &lo, &up);
	assert_int_equal(lo, 640);
	assert_int_equal(up, 1024);
	mb_memory_from_map(none, N(none), &lo, &up);
	assert_int_equal(lo, 0);
	assert_int_equal(up, 0);
	mb_memory_from_map(none, 0, &lo, &up);
	assert_int_equal(lo, 0);
	assert_int_equal(up, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_fields_and_flags),
		cmocka_unit_test(test_mmap_written),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_modules_empty_list),
		cmocka_unit_test(test_module_table_full),
		cmocka_unit_test(test_buffer_full),
		cmocka_unit_test(test_mmap_round_trip),
		cmocka_unit_test(test_mmap_foreign_and_malformed),
		cmocka_unit_test(test_memory_from_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
