/* libFuzzer harness for stage2/fat.c: a volume whose first sectors are the
 * input (the rest of the disk reads as zeros, up to 64 MiB; beyond, the
 * read callback fails), mounted at a non-zero LBA; then lookups of the
 * names stage 2 uses and of subdirectory paths, and whole-file reads into
 * a buffer of exactly `max` bytes, so that ASan sees any write past it.
 * Checks: a read that succeeds returned exactly the file's size <= max;
 * every callback call stays inside the disk and asks for 1..127 sectors
 * (docs/fat.md "Cost in callback calls"). */
#include <string.h>

#include "fat.h"
#include "fuzz_util.h"

#define PART_LBA 8u
#define DISK_SECTORS (64u * 2048u)	/* 64 MiB */
#define READ_MAX (1u << 20)		/* the largest file read */
#define CALLS_MAX 200000u		/* per input: a walk that never ends is a hang */

struct disk {
	const uint8_t *data;
	size_t size;
	unsigned calls;
};

static int disk_read(void *ctx, u32 lba, u32 count, void *buf)
{
	struct disk *d = ctx;
	uint8_t *out = buf;

	FUZZ_CHECK(count >= 1 && count <= 127, "read of %u sectors", count);
	FUZZ_CHECK(++d->calls < CALLS_MAX, "more than %u reads", CALLS_MAX);
	if (lba < PART_LBA || lba >= DISK_SECTORS || count > DISK_SECTORS - lba)
		return -1;
	for (u32 i = 0; i < count; i++) {
		size_t off = (size_t)(lba - PART_LBA + i) * FAT_SECTOR;

		if (off + FAT_SECTOR <= d->size)
			memcpy(out + i * FAT_SECTOR, d->data + off, FAT_SECTOR);
		else if (off < d->size) {
			memcpy(out + i * FAT_SECTOR, d->data + off, d->size - off);
			memset(out + i * FAT_SECTOR + (d->size - off), 0, FAT_SECTOR - (d->size - off));
		} else
			memset(out + i * FAT_SECTOR, 0, FAT_SECTOR);
	}
	return 0;
}

static const char *const paths[] = {
	"KEEL.CFG", "KEEL.BIN", "HELLO.BIN", "FDOS.IMG", "BZIMAGE", "A", "DIR/FILE.TXT",
	"SUB/SUB/X.Y", "keel.cfg", "BAD NAME", "TOOLONGNAME.BIN", "A//B", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk d = { data, size, 0 };
	struct fat_volume v;
	struct fat_file f;
	uint8_t *scratch = malloc(FAT_SECTOR);

	if (fat_mount(&v, disk_read, &d, PART_LBA, scratch) == FAT_OK) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			int rc = fat_lookup(&v, paths[i], &f);
			u32 max;
			uint8_t *buf;

			FUZZ_CHECK(rc <= 0 && rc >= FAT_EBADNAME, "lookup status %d", rc);
			FUZZ_CHECK(fat_strerror(rc) != NULL, "no words for %d", rc);
			if (rc != FAT_OK)
				continue;
			/* A buffer just big enough, or one byte short. */
			max = f.size > READ_MAX ? READ_MAX : f.size;
			if (max && (i & 1))
				max--;
			buf = malloc(max ? max : 1);
			rc = fat_read_file(&v, &f, buf, max);
			FUZZ_CHECK(rc <= 0 && rc >= FAT_EBADNAME, "read status %d", rc);
			FUZZ_CHECK(rc != FAT_OK || f.size <= max, "read %u bytes into %u", f.size, max);
			free(buf);
		}
	}
	free(scratch);
	return 0;
}
