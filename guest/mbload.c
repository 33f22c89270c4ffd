/* Multiboot (v1) kernel loader; the interface and the caller's duties are
 * in mbload.h. "MB 3.1.1" etc. cite the Multiboot Specification 0.6.96.
 *
 * Three steps, so that a refused kernel leaves guest memory alone: check
 * the whole image (header, flags, every segment against guest RAM, the
 * file and the information area), build the information structure, and
 * only then copy the segments and zero their bss. */
#include "mbload.h"
#include "../lib/format.h"
#include "../lib/string.h"

/* MB 3.1.1: magic, flags, checksum; with flag 16 five address fields. */
#define MB_HDR_MIN 12u
#define MB_HDR_AOUT 32u
/* MB 3.1.2: bits 0-15 are requirements the boot loader must meet or
 * refuse the kernel; bits 16-31 are optional features. */
#define MB_FLAG_PAGE_ALIGN (1u << 0)  /* modules page-aligned: Keel gives none */
#define MB_FLAG_MEMORY_INFO (1u << 1) /* mem_* and the memory map: always given */
#define MB_FLAG_VIDEO_MODE (1u << 2)  /* video mode table: not given */
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_FLAGS_REQUIRED 0xffffu
#define MB_FLAGS_MET (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO)

#define MB_LIMIT_4G 0x100000000ull /* the kernel runs with 32-bit addresses */

/* ELF32 (System V ABI and its Intel386 supplement): what the loader reads. */
#define ELF_MAGIC "\177ELF"
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define PT_LOAD 1

struct elf32_ehdr {
	u8 e_ident[16];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u32 e_entry;
	u32 e_phoff;
	u32 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf32_phdr {
	u32 p_type;
	u32 p_offset;
	u32 p_vaddr;
	u32 p_paddr;
	u32 p_filesz;
	u32 p_memsz;
	u32 p_flags;
	u32 p_align;
};

_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header is 52 bytes");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header is 32 bytes");

/* The Multiboot header as found in the file. */
struct mb_header {
	u32 off; /* its offset in the file */
	u32 flags;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* One piece of the image: file[off, off + filesz) goes to gpa, and the
 * bytes from there to gpa + memsz are zeroed. */
struct mb_seg {
	u64 off, filesz, gpa, memsz;
};

/* What the checks decided: how to copy the image and where to enter it. */
struct mb_plan {
	bool elf;
	struct elf32_ehdr eh; /* when elf: the segments are its PT_LOADs */
	struct mb_seg aout;   /* otherwise: the one a.out-kludge piece */
	u32 entry;
};

/* State shared by the steps of one load. */
struct mb_ctx {
	const u8 *file;
	u64 size;
	const struct mb_guest_mem *mem;
	u32 info_gpa, info_size;
	const char *kind; /* "ELF" or "a.out kludge", for messages */
	const char *what; /* what a piece is called: "ELF segment", ... */
	u64 lo, hi;	  /* the image's extent so far */
	char *err;
	size_t errlen;
};

typedef unsigned long long ull; /* u64 for %llx, whatever u64 is */

static __attribute__((format(printf, 2, 3))) int fail(struct mb_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* MB 3.1.1: the header is 4-byte aligned in the first 8192 bytes, and
 * magic + flags + checksum is 0 mod 2^32. Its 12 fixed bytes must lie
 * there; the flag-16 address fields are read wherever the file holds
 * them, as lenient as loaders that search only for those 12 bytes. A
 * magic with a wrong checksum may be a stray constant, so the search goes
 * on past it; it is only reported when no good header follows. */
static int mb_find_header(struct mb_ctx *c, struct mb_header *h)
{
	u64 limit = c->size < MULTIBOOT_SEARCH ? c->size : MULTIBOOT_SEARCH;
	u64 off, bad = ~0ull;

	for (off = 0; off + MB_HDR_MIN <= limit; off += 4) {
		const u8 *p = c->file + off;
		u32 magic = rd32(p), flags = rd32(p + 4), sum = rd32(p + 8);

		if (magic != MULTIBOOT_HEADER_MAGIC)
			continue;
		if ((u32)(magic + flags + sum) != 0) {
			if (bad == ~0ull)
				bad = off;
			continue;
		}
		h->off = (u32)off;
		h->flags = flags;
		if (!(flags & MB_FLAG_AOUT_KLUDGE))
			return 0;
		if (off + MB_HDR_AOUT > c->size)
			return fail(c, "truncated file: the Multiboot header at offset 0x%llx "
				    "ends before its address fields (flag 16)", (ull)off);
		h->header_addr = rd32(p + 12);
		h->load_addr = rd32(p + 16);
		h->load_end_addr = rd32(p + 20);
		h->bss_end_addr = rd32(p + 24);
		h->entry_addr = rd32(p + 28);
		return 0;
	}
	if (bad != ~0ull)
		return fail(c, "Multiboot header checksum is wrong (header at offset 0x%llx)",
			    (ull)bad);
	return fail(c, "not a Multiboot kernel: no header in the first 8 KiB");
}

static int mb_check_flags(struct mb_ctx *c, u32 flags)
{
	u32 unmet = flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_MET;
	unsigned bit = 0;

	if (!unmet)
		return 0;
	if (unmet & MB_FLAG_VIDEO_MODE)
		return fail(c, "requires video mode information (flag 2), "
			    "which Keel does not provide");
	while (!(unmet & (1u << bit)))
		bit++;
	return fail(c, "requires an unknown feature (flag %u), which Keel does not provide", bit);
}

/* Checks one piece against the file, guest RAM, 4 GiB and the
 * information area, and widens the image's extent by it. */
static int mb_check_seg(struct mb_ctx *c, const struct mb_seg *s)
{
	u64 info_end = (u64)c->info_gpa + c->info_size;

	if (s->filesz > s->memsz)
		return fail(c, "%s 0x%llx + 0x%llx has 0x%llx bytes in the file, more than "
			    "its size in memory", c->what, (ull)s->gpa, (ull)s->memsz,
			    (ull)s->filesz);
	if (s->off > c->size || s->filesz > c->size - s->off)
		return fail(c, "truncated %s file: %s 0x%llx + 0x%llx needs file bytes "
			    "0x%llx-0x%llx, the file has 0x%llx", c->kind, c->what,
			    (ull)s->gpa, (ull)s->memsz, (ull)s->off,
			    (ull)(s->off + s->filesz), (ull)c->size);
	if (!s->memsz)
		return 0;
	/* The end must fit the result's u32 fields too, hence >=. */
	if (s->gpa + s->memsz >= MB_LIMIT_4G)
		return fail(c, "%s 0x%llx + 0x%llx reaches 4 GiB", c->what, (ull)s->gpa,
			    (ull)s->memsz);
	if (!c->mem->is_ram(c->mem->ctx, s->gpa, s->memsz))
		return fail(c, "%s 0x%llx + 0x%llx is not guest RAM", c->what, (ull)s->gpa,
			    (ull)s->memsz);
	if (s->gpa < info_end && c->info_gpa < s->gpa + s->memsz)
		return fail(c, "%s 0x%llx + 0x%llx overlaps the Multiboot information area "
			    "0x%x + 0x%x", c->what, (ull)s->gpa, (ull)s->memsz,
			    c->info_gpa, c->info_size);
	if (s->gpa < c->lo)
		c->lo = s->gpa;
	if (s->gpa + s->memsz > c->hi)
		c->hi = s->gpa + s->memsz;
	return 0;
}

static void mb_copy_seg(struct mb_ctx *c, const struct mb_seg *s)
{
	u8 *dst;

	if (!s->memsz)
		return;
	dst = c->mem->ptr(c->mem->ctx, s->gpa);
	memcpy(dst, c->file + s->off, s->filesz);
	memset(dst + s->filesz, 0, s->memsz - s->filesz);
}

/* MB 3.1.3: with flag 16 the header's address fields say where the image
 * goes, whatever format the file has. The file is loaded from the offset
 * that puts the header at header_addr; load_end_addr 0 means "to the end
 * of the file", bss_end_addr 0 means "no bss". */
static int mb_aout_check(struct mb_ctx *c, const struct mb_header *h, struct mb_plan *p)
{
	struct mb_seg *s = &p->aout;
	u64 delta = (u64)h->header_addr - h->load_addr;

	c->kind = "a.out kludge";
	c->what = "a.out kludge image";
	p->elf = false;
	if (h->load_addr > h->header_addr)
		return fail(c, "a.out kludge: load_addr 0x%x is above header_addr 0x%x",
			    h->load_addr, h->header_addr);
	if (delta > h->off)
		return fail(c, "a.out kludge: header_addr - load_addr = 0x%llx, but the header "
			    "is at file offset 0x%x", (ull)delta, h->off);
	s->off = h->off - delta;
	s->gpa = h->load_addr;
	if (!h->load_end_addr)
		s->filesz = c->size - s->off;
	else if (h->load_end_addr < h->load_addr)
		return fail(c, "a.out kludge: load_end_addr 0x%x is below load_addr 0x%x",
			    h->load_end_addr, h->load_addr);
	else
		s->filesz = h->load_end_addr - h->load_addr;
	s->memsz = s->filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < s->gpa + s->filesz)
			return fail(c, "a.out kludge: bss_end_addr 0x%x is below the loaded "
				    "end 0x%llx", h->bss_end_addr, (ull)(s->gpa + s->filesz));
		s->memsz = h->bss_end_addr - h->load_addr;
	}
	if (!s->memsz)
		return fail(c, "a.out kludge: nothing to load");
	if (mb_check_seg(c, s))
		return -1;
	if (h->entry_addr < s->gpa || h->entry_addr - s->gpa >= s->memsz)
		return fail(c, "a.out kludge: entry_addr 0x%x is outside the image 0x%llx + 0x%llx",
			    h->entry_addr, (ull)s->gpa, (ull)s->memsz);
	p->entry = h->entry_addr;
	return 0;
}

/* The ELF header, checked as far as a Multiboot loader relies on it. */
static int mb_elf_header(struct mb_ctx *c, struct elf32_ehdr *eh)
{
	const u8 *id = c->file; /* the Multiboot header made size >= 12 */
	u64 ph_end;

	if (id[EI_CLASS] == ELFCLASS64)
		return fail(c, "ELF64 kernels are not Multiboot v1 images "
			    "(unless the header has address fields, flag 16)");
	if (id[EI_CLASS] != ELFCLASS32)
		return fail(c, "ELF file of unknown class %u", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(c, "ELF file is not little-endian");
	if (c->size < sizeof(*eh))
		return fail(c, "truncated ELF file: 0x%llx bytes, shorter than the ELF header",
			    (ull)c->size);
	memcpy(eh, c->file, sizeof(*eh));
	if (eh->e_type != ET_EXEC)
		return fail(c, "ELF file is not an executable (e_type %u, ET_EXEC is 2)",
			    eh->e_type);
	if (eh->e_machine != EM_386)
		return fail(c, "ELF file is not for the i386 (e_machine %u, EM_386 is 3)",
			    eh->e_machine);
	if (!eh->e_phnum)
		return fail(c, "ELF file has no program headers");
	if (eh->e_phentsize < sizeof(struct elf32_phdr))
		return fail(c, "ELF program header size %u is below 32", eh->e_phentsize);
	ph_end = eh->e_phoff + (u64)eh->e_phnum * eh->e_phentsize;
	if (ph_end > c->size)
		return fail(c, "truncated ELF file: program headers end at 0x%llx, "
			    "the file has 0x%llx", (ull)ph_end, (ull)c->size);
	return 0;
}

/* Reads program header i; true when it is a PT_LOAD, with *s its piece. */
static bool mb_elf_seg(const struct mb_ctx *c, const struct elf32_ehdr *eh, u32 i,
		       struct elf32_phdr *ph, struct mb_seg *s)
{
	memcpy(ph, c->file + eh->e_phoff + (u64)i * eh->e_phentsize, sizeof(*ph));
	s->off = ph->p_offset;
	s->filesz = ph->p_filesz;
	s->gpa = ph->p_paddr; /* paging is off: segments go where p_paddr says */
	s->memsz = ph->p_memsz;
	return ph->p_type == PT_LOAD;
}

static int mb_elf_check(struct mb_ctx *c, struct mb_plan *p)
{
	struct elf32_phdr ph;
	struct mb_seg s;
	bool entry_found = false, loads = false;
	u32 i;

	c->kind = "ELF";
	c->what = "ELF segment";
	p->elf = true;
	if (mb_elf_header(c, &p->eh))
		return -1;
	for (i = 0; i < p->eh.e_phnum; i++) {
		if (!mb_elf_seg(c, &p->eh, i, &ph, &s))
			continue;
		if (mb_check_seg(c, &s))
			return -1;
		loads |= s.memsz != 0;
		/* With paging off EIP is physical; a kernel linked at a
		 * higher virtual address names its entry by that address,
		 * so it goes through the segment that holds it. */
		if (!entry_found && p->eh.e_entry >= ph.p_vaddr &&
		    p->eh.e_entry - ph.p_vaddr < ph.p_memsz) {
			p->entry = ph.p_paddr + (p->eh.e_entry - ph.p_vaddr);
			entry_found = true;
		}
	}
	if (!loads)
		return fail(c, "ELF file has no PT_LOAD segment to load");
	if (!entry_found)
		return fail(c, "ELF entry point 0x%x is outside every PT_LOAD segment",
			    p->eh.e_entry);
	return 0;
}

static void mb_copy_image(struct mb_ctx *c, const struct mb_plan *p)
{
	struct elf32_phdr ph;
	struct mb_seg s;
	u32 i;

	if (!p->elf) {
		mb_copy_seg(c, &p->aout);
		return;
	}
	for (i = 0; i < p->eh.e_phnum; i++)
		if (mb_elf_seg(c, &p->eh, i, &ph, &s))
			mb_copy_seg(c, &s);
}

/* SDM vol. 3A 3.4.5: base 0, limit 0xFFFFF in 4 KiB units (G=1), D/B=1,
 * present, DPL 0, and the accessed bit already set so that loading a
 * selector never writes the table. */
#define MB_GDT_CODE 0x00CF9B000000FFFFull /* type 0xB: execute/read, accessed */
#define MB_GDT_DATA 0x00CF93000000FFFFull /* type 0x3: read/write, accessed */

/* The flat GDT (mbload.h) at the 8-aligned end of the information area,
 * where the builder never reaches. */
static u32 mb_gdt_at(const struct mb_ctx *c)
{
	return (c->info_gpa + c->info_size - MB_GDT_SIZE) & ~7u;
}

static void mb_build_gdt(struct mb_ctx *c, u32 gdt)
{
	u8 *p = (u8 *)c->mem->ptr(c->mem->ctx, c->info_gpa) + (gdt - c->info_gpa);
	const u64 gdt_entries[MB_GDT_ENTRIES] = { 0, MB_GDT_CODE, MB_GDT_DATA };

	_Static_assert(MB_GDT_CODE_SEL == 1 * 8 && MB_GDT_DATA_SEL == 2 * 8,
		       "MB_GDT_* selectors index gdt_entries");
	memcpy(p, gdt_entries, sizeof(gdt_entries));
}

/* MB 3.3: flags 0 (mem_lower/mem_upper), 2 (cmdline), 6 (memory map) and
 * 9 (boot loader name); no modules, no boot device (the kernel was not
 * read from a BIOS drive by Keel's guest). The GDT takes the area's end. */
static int mb_build_info(struct mb_ctx *c, const char *cmdline, const struct mem_range *map,
			 int nmap)
{
	struct mb_builder b;
	size_t len = cmdline ? strlen(cmdline) : 0;
	u32 lower, upper;

	if (!c->info_size || (u64)c->info_gpa + c->info_size > MB_LIMIT_4G ||
	    !c->mem->is_ram(c->mem->ctx, c->info_gpa, c->info_size))
		return fail(c, "Multiboot information area 0x%x + 0x%x is not guest RAM "
			    "below 4 GiB", c->info_gpa, c->info_size);
	if (c->info_size < 2 * MB_GDT_SIZE ||
	    mb_init(&b, c->mem->ptr(c->mem->ctx, c->info_gpa), c->info_gpa,
		    mb_gdt_at(c) - c->info_gpa))
		goto full;
	mb_memory_from_map(map, nmap, &lower, &upper);
	mb_set_memory(&b, lower, upper);
	if (mb_set_cmdline(&b, cmdline ? cmdline : "", len) || mb_set_mmap(&b, map, nmap) ||
	    mb_set_loader_name(&b, "Keel"))
		goto full;
	mb_build_gdt(c, mb_gdt_at(c));
	return 0;
full:
	return fail(c, "Multiboot information area (0x%x bytes) is too small for %d "
		    "memory-map entries and a %zu-byte command line", c->info_size, nmap, len);
}

int mb_load_kernel(const u8 *file, u64 size, const char *cmdline,
		   const struct mem_range *map, int nmap,
		   const struct mb_guest_mem *mem, u32 info_gpa, u32 info_size,
		   struct mb_load_result *out, char *errbuf, size_t errlen)
{
	struct mb_ctx c = {
		.file = file,
		.size = size,
		.mem = mem,
		.info_gpa = info_gpa,
		.info_size = info_size,
		.kind = "kernel",
		.what = "piece",
		.lo = ~0ull,
		.hi = 0,
		.err = errbuf,
		.errlen = errlen,
	};
	struct mb_header h = { 0 };
	struct mb_plan p = { 0 };

	if (errlen)
		errbuf[0] = '\0';
	if (mb_find_header(&c, &h) || mb_check_flags(&c, h.flags))
		return -1;
	if (h.flags & MB_FLAG_AOUT_KLUDGE) {
		if (mb_aout_check(&c, &h, &p))
			return -1;
	} else if (size < 4 || memcmp(file, ELF_MAGIC, 4)) {
		return fail(&c, "not an ELF file, and the Multiboot header has no "
			    "address fields (flag 16)");
	} else if (mb_elf_check(&c, &p)) {
		return -1;
	}
	if (mb_build_info(&c, cmdline, map, nmap))
		return -1;
	mb_copy_image(&c, &p);
	out->entry = p.entry;
	out->info_gpa = info_gpa;
	out->load_start = (u32)c.lo;
	out->load_end = (u32)c.hi;
	out->gdt_gpa = mb_gdt_at(&c);
	out->gdt_limit = MB_GDT_SIZE - 1;
	return 0;
}
