/* Loading Keel under UEFI and entering it: the region from the UEFI
 * memory map by stage 2's rules (lib/loader.c), KEEL.BIN and the entry's
 * files into it, the Multiboot hand-off, ExitBootServices() and the jump
 * (efi/enter.asm). docs/handoff.md has the contract. */
#include "loader.h"
#include "efimap.h"
#include "../lib/hvimage.h"
#include "../lib/loader.h"
#include "../lib/memmap.h"
#include "../lib/multiboot.h"
#include "../lib/string.h"

#define PAGE 4096u
#define FREE_MAX 512      /* free ranges considered for the region */
#define EXIT_TRIES 8      /* ExitBootServices() with a fresh map key */
#define MAP_SLACK 16      /* descriptors of room for the map's own changes */

/* What efi/enter.asm reads (its EE_ offsets). */
struct efi_enter {
	u64 gdt[4];
	u16 pad[3];
	u16 gdtr_limit;
	u64 gdtr_base;
	u64 cr3;
	u64 entry;
	u64 stack;
	u64 args[6];
};
_Static_assert(offsetof(struct efi_enter, gdtr_limit) == 38, "EE_GDTR");
_Static_assert(offsetof(struct efi_enter, cr3) == 48, "EE_CR3");
_Static_assert(offsetof(struct efi_enter, entry) == 56, "EE_ENTRY");
_Static_assert(offsetof(struct efi_enter, stack) == 64, "EE_STACK");
_Static_assert(offsetof(struct efi_enter, args) == 72, "EE_ARGS");

extern const u8 efi_enter_code[], efi_enter_code_end[];

/* Low pages (below 4 GiB): Keel's entry page tables, then one page for the
 * entry code and struct efi_enter, then one page of stack. */
#define LOW_PAGES (LOADER_PT_PAGES + 2)

static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;

void *efi_alloc(UINTN size)
{
	void *p;

	if (EFI_ERROR(efi_bs->AllocatePool(EfiLoaderData, size, &p)))
		efi_fatal("the firmware is out of memory (%llu bytes of pool)",
			  (unsigned long long)size);
	return p;
}

EFI_MEMORY_DESCRIPTOR *efi_get_map(UINTN *size, UINTN *key, UINTN *dsize, UINTN *room)
{
	EFI_MEMORY_DESCRIPTOR *buf;
	UINT32 version;
	UINTN want = 0;

	efi_bs->GetMemoryMap(&want, NULL, key, dsize, &version);
	/* The pool allocation itself may add descriptors. */
	*room = want + MAP_SLACK * *dsize;
	buf = efi_alloc(*room);
	*size = *room;
	if (EFI_ERROR(efi_bs->GetMemoryMap(size, buf, key, dsize, &version)))
		efi_fatal("the firmware gives no memory map (GetMemoryMap failed)");
	return buf;
}

/* Keel's region by stage 2's rules (lib/loader.c) on the memory that is
 * free right now, allocated from the firmware. */
static void place_region(struct region_plan *plan)
{
	struct mem_range *free = efi_alloc(FREE_MAX * sizeof(*free));
	UINTN msize, key, dsize, room;
	EFI_MEMORY_DESCRIPTOR *map = efi_get_map(&msize, &key, &dsize, &room);
	EFI_PHYSICAL_ADDRESS at;
	char why[LOADER_WHY_MAX];
	int n;

	n = efimap_convert(map, msize, dsize, EFIMAP_FREE_NOW, free, FREE_MAX);
	if (n < 0)
		efi_fatal("the UEFI memory map has more than %d free ranges", FREE_MAX);
	if (loader_place_region(plan, free, n, why, sizeof(why)))
		efi_fatal("%s", why);
	at = plan->base;
	if (EFI_ERROR(efi_bs->AllocatePages(AllocateAddress, EfiLoaderData, plan->size / PAGE, &at)))
		efi_fatal("not enough memory: the firmware refused Keel's region 0x%llx-0x%llx",
			  (unsigned long long)plan->base, (unsigned long long)(plan->base + plan->size));
	efi_bs->FreePool(map);
	efi_bs->FreePool(free);
}

static void read_file(const char *name, void *dst, u64 size)
{
	EFI_STATUS s = efi_file_read(name, dst, size);

	if (EFI_ERROR(s))
		efi_fatal("%s: %s", name, efi_strerror(s));
}

static bool rsdp_ok(const u8 *p)
{
	u8 sum = 0;

	for (int i = 0; i < 20; i++)
		sum += p[i];
	return !memcmp(p, "RSD PTR ", 8) && sum == 0;
}

/* The ACPI RSDP from the EFI configuration table (UEFI 2.10, 4.6): the
 * ACPI 2.0+ entry if there is one, else the 1.0 one; 0 when neither.
 * *v2 says which. */
static u64 find_rsdp(bool *v2)
{
	const EFI_CONFIGURATION_TABLE *t = efi_st->ConfigurationTable;
	u64 v1 = 0;

	*v2 = false;
	for (UINTN i = 0; i < efi_st->NumberOfTableEntries; i++) {
		const u8 *p = t[i].VendorTable;

		if (!p || !rsdp_ok(p))
			continue;
		if (!memcmp(&t[i].VendorGuid, &acpi20_guid, sizeof(EFI_GUID))) {
			*v2 = true;
			return (uintptr_t)p;
		}
		if (!memcmp(&t[i].VendorGuid, &acpi10_guid, sizeof(EFI_GUID)))
			v1 = (uintptr_t)p;
	}
	return v1;
}

static void log_rsdp(u64 rsdp, bool v2)
{
	if (rsdp)
		efi_log("acpi rsdp at 0x%llx (EFI configuration table, ACPI %s)",
			(unsigned long long)rsdp, v2 ? "2.0" : "1.0");
	else
		efi_log("acpi rsdp: none in the EFI configuration table");
}

/* UEFI identity-maps memory (UEFI 2.10, 2.3.4): addresses are pointers. */
static const void *efi_phys(u64 pa, u32 len, void *ctx)
{
	(void)ctx;
	return pa + len <= GiB(4) ? (const void *)(uintptr_t)pa : NULL;
}

/* ExitBootServices() with the key of a map taken just before; a stale key
 * means the map changed: take it again and retry (UEFI 2.10, 7.4). Between
 * tries only GetMemoryMap() may be called. Returns the final map's size. */
static UINTN exit_boot_services(EFI_MEMORY_DESCRIPTOR *buf, UINTN room, UINTN *dsize)
{
	for (int i = 0; i < EXIT_TRIES; i++) {
		UINTN size = room, key;
		UINT32 version;

		if (EFI_ERROR(efi_bs->GetMemoryMap(&size, buf, &key, dsize, &version)))
			break;
		if (!EFI_ERROR(efi_bs->ExitBootServices(efi_image, key)))
			return size;
	}
	efi_console_boot_services_ended(); /* perhaps half-ended: use the ports */
	efi_fatal("ExitBootServices failed %d times with a fresh memory map", EXIT_TRIES);
}

/* The hand-off map: the final UEFI map as Keel's E820-style ranges. */
static void handoff_map(struct mb_builder *mb, const EFI_MEMORY_DESCRIPTOR *buf, UINTN size,
			UINTN dsize)
{
	static struct mem_range map[MEMMAP_MAX];
	int n = efimap_convert(buf, size, dsize, EFIMAP_AFTER_EXIT, map, MEMMAP_MAX);

	if (n >= 0)
		n = memmap_sanitize(map, n, MEMMAP_MAX);
	if (n < 0)
		efi_fatal("the UEFI memory map has more ranges than the %d Keel keeps", MEMMAP_MAX);
	if (loader_handoff_map(mb, map, n))
		efi_fatal("internal: hand-off buffer too small");
}

static void __attribute__((noreturn)) enter_keel(u64 low, u64 region, u64 region_size,
						 const struct hv_image_header *hdr, u32 info,
						 u64 rsdp)
{
	u8 *code = (u8 *)(uintptr_t)(low + LOADER_PT_PAGES * PAGE);
	struct efi_enter *e = (void *)(code + PAGE / 2);
	size_t len = (size_t)(efi_enter_code_end - efi_enter_code);

	loader_page_tables((u64 *)(uintptr_t)low, (u32)low, region, region_size);
	memcpy(code, efi_enter_code, len);
	memset(e, 0, sizeof(*e));
	/* Stage 2's GDT (stage2/entry.asm): 08h 32-bit code, 10h data, 18h
	 * 64-bit code. Keel loads its own at once. */
	e->gdt[1] = 0x00CF9A000000FFFFull;
	e->gdt[2] = 0x00CF92000000FFFFull;
	e->gdt[3] = 0x00AF9A000000FFFFull;
	e->gdtr_limit = sizeof(e->gdt) - 1;
	e->gdtr_base = (uintptr_t)e->gdt;
	e->cr3 = low;
	e->entry = HV_VIRT_BASE + hdr->entry_offset;
	e->stack = low + LOW_PAGES * PAGE;
	e->args[0] = HV_ENTRY_MAGIC;
	e->args[1] = info;
	e->args[2] = region;
	e->args[3] = region_size;
	e->args[4] = rsdp;
	e->args[5] = HV_BOOT_UEFI;
	((void (*)(const struct efi_enter *))(uintptr_t)code)(e);
	__builtin_unreachable();
}

void efi_boot(const char *cfg_text, const struct cfg_entry *e)
{
	const char *names[CFG_MAX_GUESTS * 2];
	u64 sizes[CFG_MAX_GUESTS * 2], addrs[CFG_MAX_GUESTS * 2], hv_size, rsdp;
	EFI_PHYSICAL_ADDRESS low = 0xFFFFFFFFull;
	EFI_MEMORY_DESCRIPTOR *map;
	UINTN map_room, map_size, key, dsize;
	const struct hv_image_header *hdr;
	struct region_plan plan = { 0 };
	struct hv_boot_tsc *tsc;
	struct mb_builder mb;
	char why[LOADER_WHY_MAX];
	void *image;
	bool v2;
	u32 info;
	EFI_STATUS s;
	int nfiles, rc;

	s = efi_file_size(HV_IMAGE_NAME, &hv_size);
	if (EFI_ERROR(s))
		efi_fatal("%s: %s", HV_IMAGE_NAME, efi_strerror(s));
	if (hv_size > HV_IMAGE_MAX)
		efi_fatal("%s: %llu bytes, more than the %u a hypervisor image may have",
			  HV_IMAGE_NAME, (unsigned long long)hv_size, (unsigned)HV_IMAGE_MAX);
	/* Its header says how much memory it needs, which sizes the region. */
	image = efi_alloc(hv_size);
	read_file(HV_IMAGE_NAME, image, hv_size);
	if (loader_check_image(image, (u32)hv_size, why, sizeof(why)))
		efi_fatal("%s", why);
	hdr = image;
	nfiles = cfg_entry_files(e, names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < nfiles; i++) {
		s = efi_file_size(names[i], &sizes[i]);
		if (EFI_ERROR(s))
			efi_fatal("%s (named by entry \"%s\", KEEL.CFG line %d): %s",
				  names[i], e->title, e->line, efi_strerror(s));
		plan.files += ALIGN_UP(sizes[i], PAGE);
	}
	rsdp = find_rsdp(&v2);
	plan.image_mem = hdr->mem_size;
	loader_acpi(&plan, rsdp, efi_phys, NULL);
	loader_cpu(&plan);
	plan.nfiles = (unsigned)nfiles;

	place_region(&plan);
	efi_log("region 0x%llx-0x%llx (%u MiB)", (unsigned long long)plan.base,
		(unsigned long long)(plan.base + plan.size), (unsigned)(plan.size >> 20));

	memcpy((void *)(uintptr_t)plan.base, image, hv_size);
	memset((u8 *)(uintptr_t)plan.base + hv_size, 0, hdr->mem_size - hv_size);
	efi_bs->FreePool(image);
	hdr = (const void *)(uintptr_t)plan.base;

	/* The hand-off lives in the region too, so guests cannot touch it. */
	info = (u32)(plan.base + plan.image);
	rc = loader_handoff_begin(&mb, (void *)(uintptr_t)info, info, cfg_text, e);
	loader_place_files(e, names, sizes, nfiles, plan.base + plan.size, addrs);
	for (int i = 0; i < nfiles && !rc; i++) {
		u32 at = (u32)addrs[i];

		read_file(names[i], (void *)(uintptr_t)at, sizes[i]);
		rc = mb_add_module(&mb, at, at + (u32)sizes[i], names[i]);
		efi_log("loaded %s at 0x%x (%u bytes)", names[i], (unsigned)at, (unsigned)sizes[i]);
	}
	if (rc)
		efi_fatal("internal: hand-off buffer too small");
	log_rsdp(rsdp, v2);
	tsc = (void *)(uintptr_t)(info + HV_BOOT_TSC_OFFSET);
	*tsc = efi_boot_tsc;
	tsc->loaded = efi_rdtsc();

	if (EFI_ERROR(efi_bs->AllocatePages(AllocateMaxAddress, EfiLoaderCode, LOW_PAGES, &low)))
		efi_fatal("not enough memory below 4 GiB for Keel's entry page tables");
	map = efi_get_map(&map_size, &key, &dsize, &map_room);
	efi_log("entering long mode");
	map_size = exit_boot_services(map, map_room, &dsize);
	efi_console_boot_services_ended();
	handoff_map(&mb, map, map_size, dsize);
	enter_keel(low, plan.base, plan.size, hdr, info, rsdp);
}
