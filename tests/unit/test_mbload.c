/* Unit tests for guest/mbload.c: ELF32 and a.out-kludge Multiboot kernels,
 * built here byte by byte from structs, are loaded into a fake guest
 * memory (a 16 MiB buffer standing for guest-physical 0..16 MiB, with the
 * legacy hole 0xA0000-0xFFFFF not RAM); the copied image, its zeroed bss,
 * the entry point and the multiboot_info are read back, and every refusal
 * is checked for its message and for leaving guest memory alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "multiboot.h"
#include "../guest/mbload.h"

/* -Ilib makes <string.h> Keel's own, which lacks these two. */
char *strstr(const char *haystack, const char *needle);
void *memchr(const void *s, int c, size_t n);

/* --- the fake guest ------------------------------------------------------ */

#define GUEST_SIZE 0x1000000u /* guest-physical 0 .. 16 MiB */
#define HOLE_START 0xA0000u
#define HOLE_END 0x100000u
#define INFO_GPA 0x10000u
#define INFO_SIZE 0x1000u
#define FILL 0xAA /* what guest memory holds before a load */

static u8 *guest;
static struct mb_load_result res;
static char err[256];

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
	assert_true(gpa < GUEST_SIZE);
	return guest + gpa;
}

static const struct mb_guest_mem fake_mem = { fake_is_ram, fake_ptr, NULL };

/* The guest's map as the hypervisor would pass it (Keel's region already
 * carved out, which here is simply above 16 MiB). */
static const struct mem_range guest_map[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xf0000, 0x10000, E820_RESERVED },
	{ 0x100000, 0xf00000, E820_RAM },
	{ 0xfffc0000, 0x40000, E820_RESERVED },
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const void *guest_phys(u32 phys, void *ctx)
{
	(void)ctx;
	return phys < GUEST_SIZE ? guest + phys : NULL;
}

static int load(const void *img, size_t size, const char *cmdline)
{
	memset(&res, 0, sizeof(res));
	memset(err, 'x', sizeof(err));
	return mb_load_kernel(img, size, cmdline, guest_map, N(guest_map), &fake_mem, INFO_GPA,
			      INFO_SIZE, &res, err, sizeof(err));
}

/* True when guest[gpa, gpa+len) still holds FILL. */
static bool untouched(u32 gpa, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (guest[gpa + i] != FILL)
			return false;
	return true;
}

static bool all_zero(u32 gpa, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (guest[gpa + i])
			return false;
	return true;
}

/* A refusal: -1, the message contains want, and guest memory (the
 * information area included, for refusals that precede it) is as it was. */
static void expect_refusal(int rc, const char *want)
{
	if (rc != -1)
		fail_msg("expected a refusal with \"%s\", got rc %d", want, rc);
	if (!memchr(err, '\0', sizeof(err)))
		fail_msg("error message is not NUL-terminated");
	if (!strstr(err, want))
		fail_msg("expected an error containing \"%s\", got \"%s\"", want, err);
	if (!untouched(0, GUEST_SIZE))
		fail_msg("a refused kernel wrote to guest memory (error \"%s\")", err);
}

static void expect_loaded(int rc)
{
	if (rc != 0)
		fail_msg("expected the kernel to load, got rc %d: \"%s\"", rc, err);
}

/* --- images ------------------------------------------------------------- */

/* Multiboot 0.6.96, 3.1.1: the header with the flag-16 address fields. */
struct mb_hdr {
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

#define MB_VIDEO (1u << 2)
#define MB_AOUT (1u << 16)

static void mb_hdr_init(struct mb_hdr *h, u32 flags)
{
	memset(h, 0, sizeof(*h));
	h->magic = MULTIBOOT_HEADER_MAGIC;
	h->flags = flags;
	h->checksum = -(h->magic + h->flags);
}

/* ELF32 as in the System V ABI. */
struct elf32_ehdr {
	u8 e_ident[16];
	u16 e_type, e_machine;
	u32 e_version, e_entry, e_phoff, e_shoff, e_flags;
	u16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf32_phdr {
	u32 p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
};

#define PT_LOAD 1
#define PT_NOTE 4

/* The test ELF kernel: text (starting with the Multiboot header) at 1 MiB,
 * a PT_NOTE that points into the hole (it must be skipped), and data with
 * a bss at 0x101000. */
#define TEXT_OFF 0x1000u
#define TEXT_SIZE 0x200u
#define TEXT_GPA 0x100000u
#define DATA_SIZE 0x100u
#define DATA_GPA 0x101000u
#define DATA_MEMSZ 0x2000u
#define ELF_ENTRY (TEXT_GPA + 0x40u)

struct elf_image {
	struct elf32_ehdr eh;
	struct elf32_phdr ph[3];
	u8 pad[TEXT_OFF - sizeof(struct elf32_ehdr) - 3 * sizeof(struct elf32_phdr)];
	struct mb_hdr mb;
	u8 text[TEXT_SIZE - sizeof(struct mb_hdr)];
	u8 data[DATA_SIZE];
};

_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header");
_Static_assert(offsetof(struct elf_image, mb) == TEXT_OFF, "text at TEXT_OFF");
_Static_assert(offsetof(struct elf_image, data) == TEXT_OFF + TEXT_SIZE, "data after text");

static struct elf_image elf;

static void elf_init(u32 mb_flags)
{
	struct elf32_phdr *text = &elf.ph[0], *note = &elf.ph[1], *data = &elf.ph[2];

	memset(&elf, 0, sizeof(elf));
	memcpy(elf.eh.e_ident, "\177ELF", 4);
	elf.eh.e_ident[4] = 1; /* ELFCLASS32 */
	elf.eh.e_ident[5] = 1; /* ELFDATA2LSB */
	elf.eh.e_ident[6] = 1; /* EV_CURRENT */
	elf.eh.e_type = 2;     /* ET_EXEC */
	elf.eh.e_machine = 3;  /* EM_386 */
	elf.eh.e_version = 1;
	elf.eh.e_entry = ELF_ENTRY;
	elf.eh.e_phoff = offsetof(struct elf_image, ph);
	elf.eh.e_ehsize = sizeof(struct elf32_ehdr);
	elf.eh.e_phentsize = sizeof(struct elf32_phdr);
	elf.eh.e_phnum = 3;

	*text = (struct elf32_phdr){ PT_LOAD, TEXT_OFF, TEXT_GPA, TEXT_GPA, TEXT_SIZE, TEXT_SIZE,
				     5, 0x1000 };
	*note = (struct elf32_phdr){ PT_NOTE, 0x100, HOLE_START, HOLE_START, 0x10, 0x10, 4, 4 };
	*data = (struct elf32_phdr){ PT_LOAD, TEXT_OFF + TEXT_SIZE, DATA_GPA, DATA_GPA, DATA_SIZE,
				     DATA_MEMSZ, 6, 0x1000 };

	mb_hdr_init(&elf.mb, mb_flags);
	for (size_t i = 0; i < sizeof(elf.text); i++)
		elf.text[i] = (u8)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(elf.data); i++)
		elf.data[i] = (u8)(i ^ 0x5a) | 1;
}

static int load_elf(void)
{
	return load(&elf, sizeof(elf), "elf-test");
}

/* The test a.out-kludge kernel: AOUT_PAD bytes, the header, code. By
 * default the whole file goes to AOUT_GPA, followed by AOUT_BSS of bss. */
#define AOUT_PAD 0x40u
#define AOUT_GPA 0x200000u
#define AOUT_BSS 0x1000u

struct aout_image {
	u8 pad[AOUT_PAD];
	struct mb_hdr mb;
	u8 code[0x1a0];
};

_Static_assert(sizeof(struct aout_image) == 0x200, "the a.out image is 0x200 bytes");

static struct aout_image aout;

#define AOUT_END (AOUT_GPA + (u32)sizeof(struct aout_image))
#define AOUT_ENTRY (AOUT_GPA + (u32)offsetof(struct aout_image, code))

static void aout_set(u32 header_addr, u32 load_addr, u32 load_end, u32 bss_end, u32 entry)
{
	aout.mb.header_addr = header_addr;
	aout.mb.load_addr = load_addr;
	aout.mb.load_end_addr = load_end;
	aout.mb.bss_end_addr = bss_end;
	aout.mb.entry_addr = entry;
}

static void aout_init(void)
{
	memset(&aout, 0, sizeof(aout));
	for (size_t i = 0; i < sizeof(aout.pad); i++)
		aout.pad[i] = (u8)(0x11 + i);
	for (size_t i = 0; i < sizeof(aout.code); i++)
		aout.code[i] = (u8)(i * 13 + 3) | 0x80;
	mb_hdr_init(&aout.mb, MB_AOUT | (1u << 1));
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_END, AOUT_END + AOUT_BSS, AOUT_ENTRY);
}

static int load_aout(void)
{
	return load(&aout, sizeof(aout), "aout-test");
}

static int setup(void **state)
{
	(void)state;
	memset(guest, FILL, GUEST_SIZE);
	elf_init(1u << 1);
	aout_init();
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	guest = malloc(GUEST_SIZE);
	return guest ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(guest);
	return 0;
}

static const struct multiboot_info *info(void)
{
	return (const struct multiboot_info *)(guest + INFO_GPA);
}

/* --- loading ELF -------------------------------------------------------- */

static void test_elf_segments_copied_and_bss_zeroed(void **state)
{
	(void)state;
	expect_loaded(load_elf());
	assert_memory_equal(guest + TEXT_GPA, &elf.mb, TEXT_SIZE);
	assert_memory_equal(guest + DATA_GPA, elf.data, DATA_SIZE);
	assert_true(all_zero(DATA_GPA + DATA_SIZE, DATA_MEMSZ - DATA_SIZE));
	/* Nothing around the segments, and not the PT_NOTE's target. */
	assert_true(untouched(TEXT_GPA + TEXT_SIZE, DATA_GPA - TEXT_GPA - TEXT_SIZE));
	assert_true(untouched(DATA_GPA + DATA_MEMSZ, 0x1000));
	assert_true(untouched(TEXT_GPA - 0x1000, 0x1000));
	assert_true(untouched(0, INFO_GPA));
	assert_int_equal(res.entry, ELF_ENTRY);
	assert_int_equal(res.info_gpa, INFO_GPA);
	assert_int_equal(res.load_start, TEXT_GPA);
	assert_int_equal(res.load_end, DATA_GPA + DATA_MEMSZ);
}

static void test_info_structure(void **state)
{
	struct mem_range m[16];
	const struct multiboot_info *mi;
	int n;

	(void)state;
	expect_loaded(load(&elf, sizeof(elf), "console=ttyS0 test=all"));
	mi = info();
	assert_int_equal(mi->flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE |
					    MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_LOADER_NAME);
	assert_int_equal(mi->mem_lower, 0x9fc00 / 1024); /* 639 */
	assert_int_equal(mi->mem_upper, 0xf00000 / 1024); /* 15360 */
	assert_int_equal(mi->mods_count, 0);

	n = mb_read_mmap(mi, guest_phys, NULL, m, N(m));
	assert_int_equal(n, N(guest_map));
	for (int i = 0; i < n; i++) {
		assert_int_equal(m[i].base, guest_map[i].base);
		assert_int_equal(m[i].len, guest_map[i].len);
		assert_int_equal(m[i].type, guest_map[i].type);
	}
	/* Everything the structure points to lies in the information area. */
	assert_in_range(mi->cmdline, INFO_GPA, INFO_GPA + INFO_SIZE - 1);
	assert_in_range(mi->boot_loader_name, INFO_GPA, INFO_GPA + INFO_SIZE - 1);
	assert_in_range(mi->mmap_addr, INFO_GPA, INFO_GPA + INFO_SIZE - mi->mmap_length);
	assert_string_equal((const char *)guest + mi->cmdline, "console=ttyS0 test=all");
	assert_string_equal((const char *)guest + mi->boot_loader_name, "Keel");
	assert_true(untouched(INFO_GPA + INFO_SIZE, 0x1000));
}

/* The flat GDT (MB 3.2 leaves GDTR undefined; GRUB and QEMU -kernel
 * give one): null, 0x08 code, 0x10 data, base 0, 4 GiB, at the 8-aligned
 * end of the information area, clear of everything the structure holds. */
static void test_flat_gdt(void **state)
{
	const struct multiboot_info *mi;
	u64 gdt[MB_GDT_ENTRIES];

	(void)state;
	expect_loaded(load(&elf, sizeof(elf), "console=ttyS0 test=all"));
	mi = info();
	assert_int_equal(res.gdt_gpa, INFO_GPA + INFO_SIZE - MB_GDT_SIZE);
	assert_int_equal(res.gdt_gpa % 8, 0);
	assert_int_equal(res.gdt_limit, 3 * 8 - 1);
	memcpy(gdt, guest + res.gdt_gpa, sizeof(gdt));
	assert_true(gdt[0] == 0);
	assert_true(gdt[MB_GDT_CODE_SEL / 8] == 0x00CF9B000000FFFFull);
	assert_true(gdt[MB_GDT_DATA_SEL / 8] == 0x00CF93000000FFFFull);
	assert_true(mi->mmap_addr + mi->mmap_length <= res.gdt_gpa);
	assert_true(mi->cmdline + strlen("console=ttyS0 test=all") < res.gdt_gpa);
	assert_true(mi->boot_loader_name + 5 <= res.gdt_gpa);
	assert_true(untouched(INFO_GPA + INFO_SIZE, 0x1000));
	/* An odd-sized area still gets an aligned table inside it. */
	expect_loaded(mb_load_kernel((const u8 *)&elf, sizeof(elf), "", guest_map,
				     N(guest_map), &fake_mem, INFO_GPA, 0x7FF, &res, err,
				     sizeof(err)));
	assert_int_equal(res.gdt_gpa, (INFO_GPA + 0x7FF - MB_GDT_SIZE) & ~7u);
	assert_true(res.gdt_gpa + MB_GDT_SIZE <= INFO_GPA + 0x7FF);
	/* An area too small for the GDT and a structure is refused. */
	assert_int_equal(mb_load_kernel((const u8 *)&elf, sizeof(elf), "", guest_map,
					N(guest_map), &fake_mem, INFO_GPA, MB_GDT_SIZE, &res, err,
					sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "is too small"));
}

static void test_null_cmdline_is_empty(void **state)
{
	(void)state;
	expect_loaded(load(&elf, sizeof(elf), NULL));
	assert_true(info()->flags & MULTIBOOT_INFO_CMDLINE);
	assert_string_equal((const char *)guest + info()->cmdline, "");
}

/* A kernel linked at 0xC0100000 but loaded at 1 MiB is entered at the
 * physical address of its entry point: paging is off. */
static void test_elf_entry_translated_to_physical(void **state)
{
	(void)state;
	elf.ph[0].p_vaddr = 0xc0100000u;
	elf.ph[2].p_vaddr = 0xc0101000u;
	elf.eh.e_entry = 0xc0100000u + 0x40;
	expect_loaded(load_elf());
	assert_int_equal(res.entry, TEXT_GPA + 0x40);
	assert_memory_equal(guest + TEXT_GPA, &elf.mb, TEXT_SIZE);
}

static void test_elf_optional_flags_and_page_align_accepted(void **state)
{
	(void)state;
	/* Bit 0 (page-aligned modules: there are none), bit 1 (memory
	 * information: always given) and an unknown optional bit 17. */
	mb_hdr_init(&elf.mb, (1u << 0) | (1u << 1) | (1u << 17));
	expect_loaded(load_elf());
}

static void test_header_last_place_in_first_8k(void **state)
{
	static u8 img[8192 + 64];
	struct elf32_ehdr eh = elf.eh;
	struct mb_hdr h;

	(void)state;
	/* Without flag 16 the header is its first 12 bytes, so 8180 is the
	 * last offset that keeps it inside the first 8 KiB. An ELF file with
	 * no program headers tells "header found" from "not found". */
	eh.e_phnum = 0;
	memcpy(img, &eh, sizeof(eh));
	mb_hdr_init(&h, 0);
	memcpy(img + 8180, &h, 12);
	assert_int_equal(load(img, sizeof(img), ""), -1);
	assert_non_null(strstr(err, "no program headers")); /* the header was found */
	memset(img + 8180, 0, 12);
	memcpy(img + 8184, &h, 12);
	expect_refusal(load(img, sizeof(img), ""), "no header in the first 8 KiB");
}

/* --- loading a.out-kludge images ----------------------------------------- */

static void test_aout_whole_file_and_bss(void **state)
{
	(void)state;
	expect_loaded(load_aout());
	assert_memory_equal(guest + AOUT_GPA, &aout, sizeof(aout));
	assert_true(all_zero(AOUT_END, AOUT_BSS));
	assert_true(untouched(AOUT_END + AOUT_BSS, 0x100));
	assert_true(untouched(AOUT_GPA - 0x100, 0x100));
	assert_int_equal(res.entry, AOUT_ENTRY);
	assert_int_equal(res.load_start, AOUT_GPA);
	assert_int_equal(res.load_end, AOUT_END + AOUT_BSS);
	assert_string_equal((const char *)guest + info()->cmdline, "aout-test");
}

/* header_addr - load_addr = 0x20 < the header's offset 0x40: loading
 * starts at file offset 0x20; load_end_addr 0 means "to the end of the
 * file", bss_end_addr 0 "no bss". */
static void test_aout_from_file_middle_to_end(void **state)
{
	const u32 load = 0x300000, start = AOUT_PAD - 0x20, len = sizeof(aout) - start;

	(void)state;
	aout_set(load + 0x20, load, 0, 0, load + 0x20 + 32);
	expect_loaded(load_aout());
	assert_memory_equal(guest + load, (u8 *)&aout + start, len);
	assert_true(untouched(load + len, 0x100));
	assert_true(untouched(load - 0x100, 0x100));
	assert_int_equal(res.entry, load + 0x20 + 32);
	assert_int_equal(res.load_start, load);
	assert_int_equal(res.load_end, load + len);
}

/* load_end_addr short of the file: only that much is copied. */
static void test_aout_partial_load(void **state)
{
	(void)state;
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_GPA + 0x100, AOUT_GPA + 0x180, AOUT_ENTRY);
	expect_loaded(load_aout());
	assert_memory_equal(guest + AOUT_GPA, &aout, 0x100);
	assert_true(all_zero(AOUT_GPA + 0x100, 0x80));
	assert_true(untouched(AOUT_GPA + 0x180, 0x100));
}

/* Flag 16 wins over the ELF header (Multiboot 3.1.3): an ELF64 file with
 * address fields is loaded by them. */
static void test_aout_flag_wins_over_elf(void **state)
{
	(void)state;
	elf.eh.e_ident[4] = 2; /* ELFCLASS64 */
	mb_hdr_init(&elf.mb, MB_AOUT);
	elf.mb.header_addr = 0x400000 + TEXT_OFF;
	elf.mb.load_addr = 0x400000;
	elf.mb.load_end_addr = 0x400000 + sizeof(elf);
	elf.mb.bss_end_addr = 0x400000 + sizeof(elf) + 0x100;
	elf.mb.entry_addr = 0x400000 + TEXT_OFF + 32;
	expect_loaded(load_elf());
	assert_memory_equal(guest + 0x400000, &elf, sizeof(elf));
	assert_true(untouched(TEXT_GPA, TEXT_SIZE)); /* not where the ELF header says */
	assert_int_equal(res.entry, 0x400000 + TEXT_OFF + 32);
}

/* --- refusals: the header ------------------------------------------------ */

static void test_no_header(void **state)
{
	static u8 img[16384];

	(void)state;
	expect_refusal(load(img, sizeof(img), ""), "not a Multiboot kernel: no header in the first 8 KiB");
	expect_refusal(load(img, 4, ""), "no header in the first 8 KiB");
	expect_refusal(load(img, 0, ""), "no header in the first 8 KiB");
}

static void test_header_not_aligned(void **state)
{
	static u8 img[256];
	struct mb_hdr h;

	(void)state;
	mb_hdr_init(&h, 0);
	memcpy(img + 2, &h, 12);
	expect_refusal(load(img, sizeof(img), ""), "no header in the first 8 KiB");
}

static void test_bad_checksum(void **state)
{
	(void)state;
	elf.mb.checksum++;
	expect_refusal(load_elf(), "Multiboot header checksum is wrong");
}

/* A stray magic with a wrong checksum before the real header is skipped. */
static void test_stray_magic_before_header(void **state)
{
	u32 magic = MULTIBOOT_HEADER_MAGIC;

	(void)state;
	memcpy(elf.pad, &magic, 4);
	expect_loaded(load_elf());
}

static void test_video_mode_required(void **state)
{
	(void)state;
	mb_hdr_init(&elf.mb, (1u << 1) | MB_VIDEO);
	expect_refusal(load_elf(), "requires video mode information (flag 2), which Keel does "
				   "not provide");
}

static void test_unknown_required_flag(void **state)
{
	(void)state;
	mb_hdr_init(&elf.mb, (1u << 1) | (1u << 5) | (1u << 9));
	expect_refusal(load_elf(), "requires an unknown feature (flag 5)");
	mb_hdr_init(&elf.mb, 1u << 15);
	expect_refusal(load_elf(), "(flag 15)");
}

static void test_not_elf_without_address_fields(void **state)
{
	(void)state;
	elf.eh.e_ident[0] = 0;
	expect_refusal(load_elf(), "not an ELF file, and the Multiboot header has no address "
				   "fields (flag 16)");
}

/* --- refusals: ELF ---------------------------------------------------- */

static void test_elf64(void **state)
{
	(void)state;
	elf.eh.e_ident[4] = 2;
	expect_refusal(load_elf(), "ELF64 kernels are not Multiboot v1 images");
}

static void test_elf_header_fields(void **state)
{
	(void)state;
	elf.eh.e_ident[4] = 3;
	expect_refusal(load_elf(), "unknown class 3");
	elf_init(0);
	elf.eh.e_ident[5] = 2;
	expect_refusal(load_elf(), "not little-endian");
	elf_init(0);
	elf.eh.e_type = 3; /* ET_DYN */
	expect_refusal(load_elf(), "not an executable (e_type 3");
	elf_init(0);
	elf.eh.e_machine = 62; /* EM_X86_64 */
	expect_refusal(load_elf(), "not for the i386 (e_machine 62");
	elf_init(0);
	elf.eh.e_phentsize = 16;
	expect_refusal(load_elf(), "program header size 16");
	elf_init(0);
	elf.ph[0].p_type = elf.ph[2].p_type = 6; /* PT_PHDR */
	expect_refusal(load_elf(), "no PT_LOAD segment");
}

static void test_elf_truncated(void **state)
{
	static u8 img[48];
	struct mb_hdr h;

	(void)state;
	/* Cut inside the data segment. */
	expect_refusal(load(&elf, sizeof(elf) - 1, ""), "truncated ELF file");
	/* Program headers past the end. */
	elf.eh.e_phoff = sizeof(elf) - 64;
	expect_refusal(load_elf(), "truncated ELF file: program headers end at");
	/* A segment whose file range wraps in 32 bits. */
	elf_init(0);
	elf.ph[2].p_offset = 0xfffffff0u;
	expect_refusal(load_elf(), "truncated ELF file");
	/* Shorter than the ELF header, but with a Multiboot header. */
	memcpy(img, &elf.eh, 16);
	mb_hdr_init(&h, 0);
	memcpy(img + 32, &h, 12);
	expect_refusal(load(img, sizeof(img), ""), "truncated ELF file");
}

static void test_elf_segment_not_ram(void **state)
{
	(void)state;
	/* Into the hole; the first segment is fine but nothing may be copied. */
	elf.ph[2].p_paddr = HOLE_END - 0x1000;
	expect_refusal(load_elf(), "ELF segment 0xff000 + 0x2000 is not guest RAM");
	/* Past the end of guest RAM. */
	elf_init(0);
	elf.ph[2].p_paddr = GUEST_SIZE - 0x1000;
	expect_refusal(load_elf(), "ELF segment 0xfff000 + 0x2000 is not guest RAM");
	/* bss alone reaching out of RAM counts too. */
	elf_init(0);
	elf.ph[2].p_paddr = GUEST_SIZE - DATA_SIZE;
	expect_refusal(load_elf(), "is not guest RAM");
}

static void test_elf_segment_reaches_4g(void **state)
{
	(void)state;
	elf.ph[2].p_paddr = 0xffffff00u;
	elf.ph[2].p_memsz = 0x100;
	elf.ph[2].p_filesz = 0x100;
	expect_refusal(load_elf(), "ELF segment 0xffffff00 + 0x100 reaches 4 GiB");
}

static void test_elf_segment_overlaps_info(void **state)
{
	(void)state;
	elf.ph[2].p_paddr = INFO_GPA + INFO_SIZE - 1;
	expect_refusal(load_elf(), "ELF segment 0x10fff + 0x2000 overlaps the Multiboot "
				   "information area 0x10000 + 0x1000");
	elf_init(0);
	elf.ph[0].p_paddr = INFO_GPA - TEXT_SIZE + 1;
	expect_refusal(load_elf(), "overlaps the Multiboot information area");
	/* Touching it from below is fine. */
	elf_init(0);
	elf.ph[0].p_paddr = INFO_GPA - TEXT_SIZE;
	elf.ph[0].p_vaddr = INFO_GPA - TEXT_SIZE;
	elf.eh.e_entry = elf.ph[0].p_vaddr;
	expect_loaded(load_elf());
}

static void test_elf_filesz_above_memsz(void **state)
{
	(void)state;
	elf.ph[2].p_memsz = DATA_SIZE - 1;
	expect_refusal(load_elf(), "more than its size in memory");
}

static void test_elf_entry_outside_segments(void **state)
{
	(void)state;
	elf.eh.e_entry = 0x500000;
	expect_refusal(load_elf(), "ELF entry point 0x500000 is outside every PT_LOAD segment");
}

/* --- refusals: a.out kludge --------------------------------------------- */

static void test_aout_header_truncated(void **state)
{
	(void)state;
	/* The address fields are cut off by the end of the file. */
	expect_refusal(load(&aout, AOUT_PAD + 20, ""), "truncated file: the Multiboot header at "
						       "offset 0x40 ends before its address fields");
}

static void test_aout_bad_addresses(void **state)
{
	(void)state;
	aout_set(AOUT_GPA, AOUT_GPA + 0x10, AOUT_END, 0, AOUT_ENTRY);
	expect_refusal(load_aout(), "load_addr 0x200010 is above header_addr 0x200000");
	aout_set(AOUT_GPA + 0x100, AOUT_GPA, AOUT_END, 0, AOUT_ENTRY);
	expect_refusal(load_aout(), "header_addr - load_addr = 0x100, but the header is at "
				    "file offset 0x40");
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_GPA - 1, 0, AOUT_ENTRY);
	expect_refusal(load_aout(), "load_end_addr 0x1fffff is below load_addr 0x200000");
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_END, AOUT_END - 1, AOUT_ENTRY);
	expect_refusal(load_aout(), "bss_end_addr 0x2001ff is below the loaded end 0x200200");
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_END, 0, AOUT_END);
	expect_refusal(load_aout(), "entry_addr 0x200200 is outside the image 0x200000 + 0x200");
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_END, 0, AOUT_GPA - 1);
	expect_refusal(load_aout(), "entry_addr 0x1fffff is outside the image");
}

static void test_aout_truncated(void **state)
{
	(void)state;
	aout_set(AOUT_GPA + AOUT_PAD, AOUT_GPA, AOUT_END + 1, 0, AOUT_ENTRY);
	expect_refusal(load_aout(), "truncated a.out kludge file");
}

static void test_aout_not_ram(void **state)
{
	(void)state;
	aout_set(HOLE_START - 0x100 + AOUT_PAD, HOLE_START - 0x100, HOLE_START - 0x100 + 0x200,
		 0, HOLE_START - 0x100 + AOUT_PAD);
	expect_refusal(load_aout(), "a.out kludge image 0x9ff00 + 0x200 is not guest RAM");
	/* The bss reaching into the hole counts too. */
	aout_set(0x90000 + AOUT_PAD, 0x90000, 0x90200, HOLE_START + 1, 0x90000 + AOUT_PAD);
	expect_refusal(load_aout(), "a.out kludge image 0x90000 + 0x10001 is not guest RAM");
}

static void test_aout_overlaps_info(void **state)
{
	(void)state;
	aout_set(INFO_GPA + AOUT_PAD, INFO_GPA, INFO_GPA + 0x200, 0, INFO_GPA + AOUT_PAD);
	expect_refusal(load_aout(), "a.out kludge image 0x10000 + 0x200 overlaps the Multiboot "
				    "information area");
}

/* --- refusals: the information area ------------------------------------ */

static void test_info_area_too_small(void **state)
{
	struct mem_range big[40];

	(void)state;
	for (int i = 0; i < N(big); i++)
		big[i] = (struct mem_range){ 0x100000 + (u64)i * 0x10000, 0x8000,
					     i % 2 ? E820_RESERVED : E820_RAM };
	/* 88 + 16 module slots + 40 * 24 + the strings do not fit 1 KiB. */
	assert_int_equal(mb_load_kernel((const u8 *)&elf, sizeof(elf), "x", big, N(big), &fake_mem,
					INFO_GPA, 0x400, &res, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "Multiboot information area (0x400 bytes) is too small "
				    "for 40 memory-map entries and a 1-byte command line"));
	/* The image itself was not copied. */
	assert_true(untouched(TEXT_GPA, 0x4000));
}

static void test_info_area_not_ram(void **state)
{
	(void)state;
	assert_int_equal(mb_load_kernel((const u8 *)&elf, sizeof(elf), "", guest_map,
					N(guest_map), &fake_mem, HOLE_START, 0x1000, &res, err,
					sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "Multiboot information area 0xa0000 + 0x1000 is not guest RAM"));
	assert_int_equal(mb_load_kernel((const u8 *)&elf, sizeof(elf), "", guest_map,
					N(guest_map), &fake_mem, INFO_GPA, 0, &res, err,
					sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "is not guest RAM"));
	assert_true(untouched(0, GUEST_SIZE));
}

/* A short error buffer gets a truncated, terminated message. */
static void test_short_error_buffer(void **state)
{
	char small[8];

	(void)state;
	memset(small, 'x', sizeof(small));
	elf.eh.e_ident[4] = 2;
	assert_int_equal(mb_load_kernel((const u8 *)&elf, sizeof(elf), "", guest_map,
					N(guest_map), &fake_mem, INFO_GPA, INFO_SIZE, &res, small,
					sizeof(small)),
			 -1);
	assert_string_equal(small, "ELF64 k");
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_elf_segments_copied_and_bss_zeroed),
		T(test_info_structure),
		T(test_flat_gdt),
		T(test_null_cmdline_is_empty),
		T(test_elf_entry_translated_to_physical),
		T(test_elf_optional_flags_and_page_align_accepted),
		T(test_header_last_place_in_first_8k),
		T(test_aout_whole_file_and_bss),
		T(test_aout_from_file_middle_to_end),
		T(test_aout_partial_load),
		T(test_aout_flag_wins_over_elf),
		T(test_no_header),
		T(test_header_not_aligned),
		T(test_bad_checksum),
		T(test_stray_magic_before_header),
		T(test_video_mode_required),
		T(test_unknown_required_flag),
		T(test_not_elf_without_address_fields),
		T(test_elf64),
		T(test_elf_header_fields),
		T(test_elf_truncated),
		T(test_elf_segment_not_ram),
		T(test_elf_segment_reaches_4g),
		T(test_elf_segment_overlaps_info),
		T(test_elf_filesz_above_memsz),
		T(test_elf_entry_outside_segments),
		T(test_aout_header_truncated),
		T(test_aout_bad_addresses),
		T(test_aout_truncated),
		T(test_aout_not_ram),
		T(test_aout_overlaps_info),
		T(test_info_area_too_small),
		T(test_info_area_not_ram),
		T(test_short_error_buffer),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
