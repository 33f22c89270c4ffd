/* Multiboot (v1) information: building it (stage 2 for the hypervisor,
 * the hypervisor for Multiboot guests) and reading it back. Layout in
 * lib/multiboot.h; the hand-off is documented in docs/handoff.md.
 *
 * Buffer layout: [multiboot_info][MB_MAX_MODULES module slots][strings and
 * the memory map, appended in call order]. Every address stored in the
 * structure is buf_phys + the offset of its target in the buffer. */
#include "multiboot.h"
#include "string.h"

#define MB_MMAP_ENTRY_SIZE 20 /* the `size` field: bytes after itself */

_Static_assert(sizeof(struct multiboot_info) == 88, "Multiboot 3.3: 88-byte info");
_Static_assert(sizeof(struct multiboot_module) == 16, "Multiboot 3.3: 16-byte module");
_Static_assert(sizeof(struct multiboot_mmap_entry) == MB_MMAP_ENTRY_SIZE + 4,
	       "Multiboot 3.3: mmap entry is size + 20 bytes");

static u32 mb_phys(const struct mb_builder *b, u32 off)
{
	return b->buf_phys + off;
}

/* Reserves len bytes at a physical address aligned to align (a power of
 * two) and sets *off to their offset in the buffer; -1 when full. */
static int mb_alloc(struct mb_builder *b, u32 len, u32 align, u32 *off)
{
	u32 pad = (align - ((b->buf_phys + b->used) & (align - 1))) & (align - 1);

	if (pad > b->size - b->used || len > b->size - b->used - pad)
		return -1;
	*off = b->used + pad;
	b->used = *off + len;
	return 0;
}

/* Appends len bytes of s and a NUL; returns the string's physical
 * address, or 0 when the buffer is full (a string never sits at offset 0,
 * and mb_init made sure buf_phys + offset does not wrap). */
static u32 mb_add_string(struct mb_builder *b, const char *s, size_t len)
{
	u32 off;

	if (len >= 0xffffffffu || mb_alloc(b, (u32)len + 1, 1, &off))
		return 0;
	memcpy(b->buf + off, s, len);
	b->buf[off + len] = '\0';
	return mb_phys(b, off);
}

int mb_init(struct mb_builder *b, void *buf, u32 buf_phys, u32 size)
{
	u32 head = sizeof(struct multiboot_info) +
		   MB_MAX_MODULES * sizeof(struct multiboot_module);

	b->buf = buf;
	b->buf_phys = buf_phys;
	b->size = size;
	b->used = 0;
	b->info = NULL;
	b->mods = NULL;
	/* Every address handed out must fit the structure's 32-bit fields;
	 * the byte after the buffer may be 2^32, hence size - 1. */
	if (size < head || size - 1 > 0xffffffffu - buf_phys)
		return -1;
	memset(buf, 0, head);
	b->info = (struct multiboot_info *)b->buf;
	b->mods = (struct multiboot_module *)(b->buf + sizeof(struct multiboot_info));
	b->used = head;
	return 0;
}

void mb_set_memory(struct mb_builder *b, u32 mem_lower_kb, u32 mem_upper_kb)
{
	b->info->mem_lower = mem_lower_kb;
	b->info->mem_upper = mem_upper_kb;
	b->info->flags |= MULTIBOOT_INFO_MEMORY;
}

void mb_set_boot_device(struct mb_builder *b, u32 boot_device)
{
	b->info->boot_device = boot_device;
	b->info->flags |= MULTIBOOT_INFO_BOOTDEV;
}

/* s need not be NUL-terminated: the command line is a slice of KEEL.CFG. */
int mb_set_cmdline(struct mb_builder *b, const char *s, size_t len)
{
	u32 p = mb_add_string(b, s, len);

	if (!p)
		return -1;
	b->info->cmdline = p;
	b->info->flags |= MULTIBOOT_INFO_CMDLINE;
	return 0;
}

int mb_set_loader_name(struct mb_builder *b, const char *name)
{
	u32 p = mb_add_string(b, name, strlen(name));

	if (!p)
		return -1;
	b->info->boot_loader_name = p;
	b->info->flags |= MULTIBOOT_INFO_LOADER_NAME;
	return 0;
}

int mb_set_mmap(struct mb_builder *b, const struct mem_range *m, int n)
{
	struct multiboot_mmap_entry e;
	u32 off;
	int i;

	/* Start 8-aligned, so every 24-byte entry is too: readers that
	 * cast entries to a struct get no worse than 4-aligned u64s. */
	if (n < 0 || n > 0x7fffffff / (int)sizeof(e) ||
	    mb_alloc(b, (u32)n * sizeof(e), 8, &off))
		return -1;
	for (i = 0; i < n; i++) {
		e.size = MB_MMAP_ENTRY_SIZE;
		e.addr = m[i].base;
		e.len = m[i].len;
		e.type = m[i].type;
		memcpy(b->buf + off + (u32)i * sizeof(e), &e, sizeof(e));
	}
	b->info->mmap_length = (u32)n * sizeof(e);
	b->info->mmap_addr = mb_phys(b, off);
	b->info->flags |= MULTIBOOT_INFO_MEM_MAP;
	return 0;
}

void mb_begin_modules(struct mb_builder *b)
{
	b->info->mods_addr = mb_phys(b, sizeof(struct multiboot_info));
	b->info->flags |= MULTIBOOT_INFO_MODS;
}

int mb_add_module(struct mb_builder *b, u32 start, u32 end, const char *name)
{
	struct multiboot_module *mod;
	u32 count = b->info->mods_count, p;

	if (count >= MB_MAX_MODULES)
		return -1;
	p = mb_add_string(b, name, strlen(name));
	if (!p)
		return -1;
	mod = &b->mods[count];
	mod->mod_start = start;
	mod->mod_end = end;
	mod->string = p;
	mod->reserved = 0;
	b->info->mods_count = count + 1;
	b->info->mods_addr = mb_phys(b, sizeof(struct multiboot_info));
	b->info->flags |= MULTIBOOT_INFO_MODS;
	return 0;
}

/* The end of the RAM that runs without a hole from start (start itself
 * when start is not RAM). Any non-RAM range cuts the run, since non-RAM
 * wins an overlap; the map need not be sorted. */
static u64 ram_run_end(const struct mem_range *m, int n, u64 start)
{
	u64 end = start;
	bool grew = true;
	int i;

	while (grew) {
		grew = false;
		for (i = 0; i < n; i++) {
			u64 r_end;

			if (m[i].type != E820_RAM || m[i].len == 0 ||
			    end < m[i].base || end - m[i].base >= m[i].len)
				continue;
			/* Clamp a range that runs to or past 2^64. */
			r_end = m[i].len > ~m[i].base ? ~(u64)0 : m[i].base + m[i].len;
			if (r_end > end) {
				end = r_end;
				grew = true;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (m[i].type == E820_RAM || m[i].len == 0 || m[i].base >= end)
			continue;
		if (m[i].base >= start)
			end = m[i].base;
		else if (start - m[i].base < m[i].len)
			end = start;
	}
	return end;
}

void mb_memory_from_map(const struct mem_range *m, int n, u32 *lower_kb, u32 *upper_kb)
{
	u64 lower = ram_run_end(m, n, 0);
	u64 upper = ram_run_end(m, n, MiB(1)) - MiB(1);

	/* Multiboot 3.3: mem_lower is at most 640 KiB. */
	if (lower > KiB(640))
		lower = KiB(640);
	upper >>= 10;
	*lower_kb = (u32)(lower >> 10);
	*upper_kb = upper > 0xffffffffu ? 0xffffffffu : (u32)upper;
}

/* Reading side: the structure may come from anyone (a Multiboot guest's
 * loader, a corrupted hand-off), so lengths are checked before use. */
int mb_read_mmap(const struct multiboot_info *info, mb_phys_fn phys, void *ctx,
		 struct mem_range *m, int max)
{
	struct multiboot_mmap_entry e;
	u32 addr = info->mmap_addr, total = info->mmap_length, off = 0;
	int n = 0;

	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP) || total > 0xffffffffu - addr)
		return -1;
	while (off < total) {
		const u8 *p = phys(addr + off, ctx);

		/* Multiboot 3.3: the next entry is at size + 4; an entry
		 * shorter than 20 bytes cannot hold addr, len and type. */
		if (!p || total - off < 4)
			return -1;
		memcpy(&e.size, p, 4);
		if (e.size < MB_MMAP_ENTRY_SIZE || e.size > total - off - 4)
			return -1;
		if (n >= max)
			return -1;
		memcpy(&e, p, sizeof(e));
		m[n].base = e.addr;
		m[n].len = e.len;
		m[n].type = e.type;
		n++;
		off += e.size + 4;
	}
	return n;
}

static bool name_equal_nocase(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

const struct multiboot_module *mb_find_module(const struct multiboot_info *info,
					      mb_phys_fn phys, void *ctx,
					      const char *name)
{
	u32 i, count = info->mods_count;

	if (!(info->flags & MULTIBOOT_INFO_MODS) ||
	    count > (0xffffffffu - info->mods_addr) / sizeof(struct multiboot_module))
		return NULL;
	for (i = 0; i < count; i++) {
		const struct multiboot_module *mod =
			phys(info->mods_addr + i * sizeof(*mod), ctx);
		const char *s;

		if (!mod)
			return NULL;
		if (!mod->string)
			continue;
		s = phys(mod->string, ctx);
		if (s && name_equal_nocase(s, name))
			return mod;
	}
	return NULL;
}
