/* A read-only FAT16/FAT32 reader for stage 2: the root directory (and
 * optionally subdirectories), 8.3 names, files read whole. The disk is read
 * through a callback so the same code runs on the BIOS in stage 2 and on an
 * image file in the host unit tests. */
#ifndef KEEL_FAT_H
#define KEEL_FAT_H

#include "../lib/types.h"

#define FAT_SECTOR 512

/* Reads count 512-byte sectors at lba (relative to the disk, not the
 * partition) into buf; returns 0 or -1. */
typedef int (*fat_read_fn)(void *ctx, u32 lba, u32 count, void *buf);

enum fat_status {
	FAT_OK = 0,
	FAT_EIO = -1,        /* the read callback failed */
	FAT_ENOTFAT = -2,    /* boot sector / BPB is not a FAT16/FAT32 volume */
	FAT_ENOENT = -3,     /* no such file */
	FAT_ECORRUPT = -4,   /* bad cluster chain: out of range, loop, or shorter than the size */
	FAT_ETOOBIG = -5,    /* the file does not fit the caller's buffer */
	FAT_EBADNAME = -6,   /* not a valid 8.3 name */
};

struct fat_volume {
	fat_read_fn read;
	void *ctx;
	u32 part_lba;        /* first sector of the partition */
	int type;            /* 16 or 32 */
	u32 bytes_per_sector; /* must be 512 */
	u32 sectors_per_cluster;
	u32 fat_lba;         /* absolute LBA of the first FAT */
	u32 fat_sectors;     /* sectors per FAT */
	u32 root_lba;        /* FAT16: absolute LBA of the fixed root directory */
	u32 root_entries;    /* FAT16: entries in it */
	u32 root_cluster;    /* FAT32 */
	u32 data_lba;        /* absolute LBA of cluster 2 */
	u32 clusters;        /* count of data clusters */
	u8 *scratch;         /* one sector of caller-provided scratch space */
	u32 cached_fat_lba;  /* which FAT sector scratch holds, or 0xFFFFFFFF */
};

struct fat_file {
	u32 first_cluster;
	u32 size;
	u8 attr;
};

/* scratch must hold FAT_SECTOR bytes and live as long as the volume. */
int fat_mount(struct fat_volume *v, fat_read_fn read, void *ctx, u32 part_lba, u8 *scratch);

/* Looks a path up: "KEEL.CFG" or, if subdirectories are supported,
 * "DIR/FILE.EXT". Case-insensitive. */
int fat_lookup(struct fat_volume *v, const char *path, struct fat_file *f);

/* Reads the whole file into buf (at most max bytes). The cluster chain is
 * checked: every cluster in range, no loop, long enough for the size. */
int fat_read_file(struct fat_volume *v, const struct fat_file *f, void *buf, u32 max);

/* Words for a status, for error messages. */
const char *fat_strerror(int status);

#endif
