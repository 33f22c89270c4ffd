/* Multiboot (version 1) information structure: the hand-off from stage 2
 * to the hypervisor (docs/handoff.md), and what Keel gives Multiboot guests.
 * Layout from the Multiboot Specification 0.6.96, section 3.3. */
#ifndef KEEL_MULTIBOOT_H
#define KEEL_MULTIBOOT_H

#include "types.h"
#include "memmap.h"

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH 8192 /* the header lies in the first 8 KiB */

/* multiboot_info.flags */
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_BOOTDEV (1u << 1)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODS (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP (1u << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1u << 9)

struct multiboot_info {
	u32 flags;
	u32 mem_lower; /* KiB below 1 MiB */
	u32 mem_upper; /* KiB from 1 MiB to the first hole */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count;
	u32 mods_addr;
	u32 syms[4];
	u32 mmap_length;
	u32 mmap_addr;
	u32 drives_length;
	u32 drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe_control_info;
	u32 vbe_mode_info;
	u16 vbe_mode;
	u16 vbe_interface_seg;
	u16 vbe_interface_off;
	u16 vbe_interface_len;
} __attribute__((packed));

struct multiboot_module {
	u32 mod_start;
	u32 mod_end; /* one past the last byte */
	u32 string;
	u32 reserved;
} __attribute__((packed));

/* One memory-map entry; `size` counts the bytes after itself (20). */
struct multiboot_mmap_entry {
	u32 size;
	u64 addr;
	u64 len;
	u32 type;
} __attribute__((packed));

#define MB_MAX_MODULES 16

/* Builds a multiboot_info and everything it points to inside one buffer.
 * buf is where the builder writes; buf_phys is the physical address the
 * buffer has for the consumer (the two differ in the host tests). */
struct mb_builder {
	u8 *buf;
	u32 buf_phys;
	u32 size;
	u32 used;
	struct multiboot_info *info;
	struct multiboot_module *mods; /* MB_MAX_MODULES slots, reserved up front */
};

/* Each returns 0, or -1 when the buffer (or the module table) is full. */
int mb_init(struct mb_builder *b, void *buf, u32 buf_phys, u32 size);
void mb_set_memory(struct mb_builder *b, u32 mem_lower_kb, u32 mem_upper_kb);
void mb_set_boot_device(struct mb_builder *b, u32 boot_device);
int mb_set_cmdline(struct mb_builder *b, const char *s, size_t len);
int mb_set_loader_name(struct mb_builder *b, const char *name);
int mb_set_mmap(struct mb_builder *b, const struct mem_range *m, int n);
int mb_add_module(struct mb_builder *b, u32 start, u32 end, const char *name);
/* Marks the module list valid while it may still be empty (flag bit 3,
 * mods_count 0): a loader that loaded no file says so, rather than
 * leaving the reader to guess from a missing flag. */
void mb_begin_modules(struct mb_builder *b);

/* mem_lower/mem_upper (KiB) derived from a map, as the spec defines them. */
void mb_memory_from_map(const struct mem_range *m, int n, u32 *lower_kb, u32 *upper_kb);

/* Reading side. `phys_to_ptr` turns a 32-bit physical address from the
 * structure into a pointer (identity in Keel, a buffer offset in tests). */
typedef const void *(*mb_phys_fn)(u32 phys, void *ctx);

/* Copies the map into m[0..max); returns the count or -1 if malformed. */
int mb_read_mmap(const struct multiboot_info *info, mb_phys_fn phys, void *ctx,
		 struct mem_range *m, int max);
/* The module whose string equals name (case-insensitive), or NULL. */
const struct multiboot_module *mb_find_module(const struct multiboot_info *info,
					      mb_phys_fn phys, void *ctx,
					      const char *name);

#endif
