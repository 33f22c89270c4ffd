/* The Linux boot protocol, the pure part (DESIGN.md "Linux guest",
 * docs/linux.md): reading a bzImage's setup header, choosing where the
 * kernel and the initrd go in guest-physical memory, and building the zero
 * page (struct boot_params). No guest memory is touched here, so the host
 * unit test (tests/unit/test_bzimage.c) runs it unchanged; guest/linux.c
 * does the copying. "boot.rst" cites Documentation/x86/boot.rst, "zero-page"
 * Documentation/x86/zero-page.rst of the Linux source. */
#ifndef KEEL_BZIMAGE_H
#define KEEL_BZIMAGE_H

#include "../lib/types.h"
#include "../lib/memmap.h"

/* boot.rst "The real-mode kernel header": offsets in the file and in the
 * zero page alike (the header is copied to the same place). */
#define BZ_SETUP_SECTS 0x1F1      /* u8; 0 means 4 */
#define BZ_SYSSIZE 0x1F4          /* u32, in 16-byte paragraphs, rounded up */
#define BZ_PARAGRAPH 16u
#define BZ_VID_MODE 0x1FA         /* u16 */
#define BZ_BOOT_FLAG 0x1FE        /* u16, 0xAA55 */
#define BZ_JUMP 0x200             /* u16: a short jump whose byte 0x201 is the header's length past 0x202 */
#define BZ_HEADER 0x202           /* u32, "HdrS" */
#define BZ_VERSION 0x206          /* u16, major << 8 | minor */
#define BZ_TYPE_OF_LOADER 0x210   /* u8 */
#define BZ_LOADFLAGS 0x211        /* u8 */
#define BZ_CODE32_START 0x214     /* u32 */
#define BZ_RAMDISK_IMAGE 0x218    /* u32 */
#define BZ_RAMDISK_SIZE 0x21C     /* u32 */
#define BZ_HEAP_END_PTR 0x224     /* u16 */
#define BZ_CMD_LINE_PTR 0x228     /* u32 (2.02+) */
#define BZ_INITRD_ADDR_MAX 0x22C  /* u32 (2.03+): highest byte the initrd may occupy */
#define BZ_KERNEL_ALIGNMENT 0x230 /* u32 (2.05+) */
#define BZ_RELOCATABLE 0x234      /* u8 (2.05+) */
#define BZ_MIN_ALIGNMENT 0x235    /* u8 (2.10+), log2 */
#define BZ_XLOADFLAGS 0x236       /* u16 (2.12+) */
#define BZ_CMDLINE_SIZE 0x238     /* u32 (2.06+), without the NUL */
#define BZ_HARDWARE_SUBARCH 0x23C /* u32 (2.07+) */
#define BZ_SETUP_DATA 0x250       /* u64 (2.09+) */
#define BZ_PREF_ADDRESS 0x258     /* u64 (2.10+) */
#define BZ_INIT_SIZE 0x260        /* u32 (2.10+) */
#define BZ_HANDOVER_OFFSET 0x264  /* u32 (2.11+) */

#define BZ_BOOT_FLAG_MAGIC 0xAA55
#define BZ_HEADER_MAGIC 0x53726448u /* "HdrS" read as a little-endian u32 */
#define BZ_MIN_VERSION 0x0206       /* the first with cmdline_size (DESIGN.md) */

/* loadflags (boot.rst, field 0x211). */
#define BZ_LOADED_HIGH (1u << 0)   /* the protected-mode code goes at 1 MiB or above */
#define BZ_QUIET_FLAG (1u << 5)
#define BZ_KEEP_SEGMENTS (1u << 6) /* must stay clear: the kernel reloads its segments */
#define BZ_CAN_USE_HEAP (1u << 7)  /* about the real-mode heap, which Keel never runs */

/* xloadflags (boot.rst, field 0x236). */
#define XLF_KERNEL_64 (1u << 0)               /* has the 64-bit entry at load + 0x200 */
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)  /* kernel, boot_params, cmdline, initrd */

/* boot.rst "Loader information": 0xFF is "undefined" (no assigned ID). */
#define BZ_LOADER_UNDEFINED 0xFF

/* zero-page.rst: fields of struct boot_params outside the setup header. */
#define ZP_EXT_RAMDISK_IMAGE 0x0C0 /* u32: bits 63:32 of ramdisk_image */
#define ZP_EXT_RAMDISK_SIZE 0x0C4  /* u32 */
#define ZP_EXT_CMD_LINE_PTR 0x0C8  /* u32 */
#define ZP_ACPI_RSDP_ADDR 0x070    /* u64 (zero-page.rst; kernels of protocol 2.14+ read it) */
#define BZ_RSDP_VERSION 0x020E
#define ZP_E820_ENTRIES 0x1E8      /* u8 */
#define ZP_SENTINEL 0x1EF          /* u8: 0 says the loader copied the header properly */
#define ZP_SETUP_HEADER 0x1F1      /* the setup header, copied from the file */
#define ZP_SETUP_HEADER_END 0x290  /* edd_mbr_sig_buffer follows it */
#define ZP_E820_TABLE 0x2D0        /* 128 entries: u64 addr, u64 size, u32 type */
#define ZP_E820_MAX 128
#define ZP_E820_ENTRY_SIZE 20
#define ZP_SIZE 4096

/* The 64-bit entry is this far into the protected-mode kernel (boot.rst
 * "64-bit Boot Protocol"); the 32-bit entry is at its start. */
#define BZ_ENTRY64_OFFSET 0x200

/* Protocol versions before 2.10 do not state init_size: Keel then reserves
 * this many times the protected-mode code for decompression. */
#define BZ_OLD_INIT_SIZE_FACTOR 4

struct bzimage_info {
	u16 version;          /* 0x020F for protocol 2.15 */
	u8 setup_sects;       /* after the 0 → 4 rule */
	u8 loadflags;
	u16 xloadflags;       /* 0 before 2.12 */
	u64 kernel_offset;    /* the protected-mode code: (setup_sects + 1) * 512 */
	u64 kernel_size;      /* its length in the file (at most syssize * 16) */
	u8 kernel_pad;        /* bytes of its last paragraph past the file's end: zeroed */
	u32 code32_start;     /* as the file has it: 1 MiB for a bzImage */
	u32 header_end;       /* 0x202 + the byte at 0x201, at most 0x290 */
	u32 kernel_alignment; /* a power of two, at least 4 KiB */
	u8 min_alignment;     /* log2; the kernel boots, more slowly, at this alignment */
	bool relocatable;
	u64 pref_address;     /* where a non-relocated kernel runs (2.10+, else 1 MiB) */
	u64 init_size;        /* bytes the kernel needs from its load address */
	u32 initrd_addr_max;  /* highest byte the initrd may occupy */
	u32 cmdline_size;     /* longest command line, without the NUL */
};

/* Checks file[0..size) is a bzImage Keel can boot: boot_flag 0xAA55 at
 * 0x1FE, "HdrS" at 0x202, protocol 2.06 or later, LOADED_HIGH, a sane
 * alignment, the setup sectors inside the file and the kernel after them
 * as long as syssize says, less at most the last paragraph's 15 bytes;
 * code32_start at 1 MiB or above; a stated init_size that holds the
 * kernel. Returns 0 and fills *bi, or -1 with a one-line reason. */
int bzimage_parse(const u8 *file, u64 size, struct bzimage_info *bi, char *err, size_t errlen);

/* Where the kernel goes: at pref_address when [pref, pref + init_size) is
 * RAM in guest_map; otherwise, if the kernel is relocatable, the lowest
 * address aligned to kernel_alignment at or above 16 MiB with init_size
 * bytes of RAM, then at or above 1 MiB, then (2.10+) the same at
 * min_alignment. Always at or above 1 MiB and below 4 GiB (Keel's identity
 * map and the 32-bit entry reach no further). guest_map must already lack
 * Keel's region. Returns 0 and sets *load_addr, or -1 with the reason. */
int bzimage_place(const struct bzimage_info *bi, const struct mem_range *guest_map, int n,
		  u64 *load_addr, char *err, size_t errlen);

/* Where an initrd of `size` bytes goes: the highest page-aligned place in
 * guest_map's RAM at or above 1 MiB that ends at or below initrd_addr_max
 * + 1 (and 4 GiB), away from the kernel's [kernel_load, kernel_load +
 * init_size) and from each of busy[0..nbusy) (the zero page and the
 * command line). Only when nothing fits there, and the kernel sets
 * XLF_CAN_BE_LOADED_ABOVE_4G, above 4 GiB. Nothing ever ends above
 * `reach` (the highest address + 1 the loader can write). Returns 0 and
 * sets *initrd_addr, or -1 with the reason. */
int bzimage_place_initrd(const struct bzimage_info *bi, const struct mem_range *guest_map,
			 int n, u64 kernel_load, const struct mem_range *busy, int nbusy,
			 u64 size, u64 reach, u64 *initrd_addr, char *err, size_t errlen);

/* Builds the zero page in zp (zeroed first): the setup header copied from
 * the file (0x1F1 to header_end), type_of_loader 0xFF, loadflags without
 * KEEP_SEGMENTS and CAN_USE_HEAP, code32_start = kernel_load, setup_data
 * and hardware_subarch 0, the command line and initrd pointers (their
 * upper halves in the ext_ fields), and the e820 table from e820[0..n)
 * (at most 128 entries are copied; the caller's map is smaller). The
 * screen_info block stays zero: the console is the serial port. */
void bzimage_build_zero_page(u8 zp[ZP_SIZE], const u8 *file, const struct bzimage_info *bi,
			     u64 kernel_load, u64 cmdline_gpa, u64 initrd_gpa, u64 initrd_size,
			     const struct mem_range *e820, int n);

/* Tells the kernel where the ACPI RSDP is (zero page acpi_rsdp_addr),
 * when the kernel's protocol is 2.14 or later and rsdp is not 0. Under
 * UEFI the kernel, booted without EFI tables, cannot find it otherwise. */
void bzimage_set_rsdp(u8 zp[ZP_SIZE], const struct bzimage_info *bi, u64 rsdp);

#endif
