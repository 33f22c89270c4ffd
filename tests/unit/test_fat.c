/* Host unit tests for stage2/fat.c. FAT16, FAT32 and FAT12 volumes are made
 * at test time with mkfs.fat and mtools, each placed at a non-zero LBA of a
 * disk image file, and read through a pread callback that counts its calls.
 * Corruption is patched into the image file by each test and undone by its
 * teardown, so the tests stay independent. */
#define _DEFAULT_SOURCE	/* pread, pwrite, mkdtemp under -std=c11 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fat.h"

#define CFG_TEXT	"timeout=5\ndefault=linux\n"
#define MULTI_SIZE	10000u			/* 5 FAT16 or 20 FAT32 clusters */
#define BIG_SIZE	(14u * 1024 * 1024 + 300)	/* ends in a partial sector */
#define FAT_MAX_READ	127

struct disk {
	const char *name;
	const char *mkfs_opts;
	unsigned size_kib;
	u32 part_lba;
	int type;
	int fd;
	/* counters, reset before each test */
	unsigned calls;
	unsigned fail_at;	/* this call and later ones fail; 0 = never */
	u32 largest;		/* most sectors asked for in one call */
	unsigned bad_counts;	/* calls with count 0 or above 127 */
	u32 fat_lo, fat_hi;	/* FAT sectors whose re-reads are counted */
	unsigned char *fat_seen;
	unsigned fat_rereads;
};

static struct disk disk16 = {
	.name = "FAT16", .mkfs_opts = "-F 16 -n KEELVOL -h 2048",
	.size_kib = 65536, .part_lba = 2048, .type = 16, .fd = -1,
};
static struct disk disk32 = {
	.name = "FAT32", .mkfs_opts = "-F 32 -s 1 -n KEELVOL -h 63",
	.size_kib = 65536, .part_lba = 63, .type = 32, .fd = -1,
};
static struct disk disk12 = {
	.name = "FAT12", .mkfs_opts = "-F 12",
	.size_kib = 4096, .part_lba = 1, .type = 12, .fd = -1,
};

static char tmpdir[] = "/tmp/keel-fat-XXXXXX";
static u8 *multi_data, *big_data;
static u8 scratch[FAT_SECTOR];

struct patch {
	struct disk *d;
	off_t off;
	size_t len;
	u8 *old;
};

static struct patch patches[64];
static unsigned npatches;

/* Buffers a test allocates, freed by its teardown even when it fails. */
static void *allocs[16];
static unsigned nallocs;

/* ---- the disk callback ---- */

static int disk_read(void *ctx, u32 lba, u32 count, void *buf)
{
	struct disk *d = ctx;
	size_t len = (size_t)count * FAT_SECTOR;

	d->calls++;
	if (count > d->largest)
		d->largest = count;
	if (count == 0 || count > FAT_MAX_READ)
		d->bad_counts++;
	if (d->fail_at && d->calls >= d->fail_at)
		return -1;
	if (d->fat_seen && lba >= d->fat_lo && lba < d->fat_hi) {
		if (d->fat_seen[lba - d->fat_lo]++)
			d->fat_rereads++;
	}
	if (pread(d->fd, buf, len, (off_t)lba * FAT_SECTOR) != (ssize_t)len)
		return -1;
	return 0;
}

static void reset_counters(struct disk *d)
{
	d->calls = 0;
	d->fail_at = 0;
	d->largest = 0;
	d->bad_counts = 0;
	d->fat_rereads = 0;
	free(d->fat_seen);
	d->fat_seen = NULL;
}

/* ---- making the images ---- */

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "test_fat: command failed (%d): %s\n", rc, cmd);
	return rc;
}

static u32 rng_state = 0x1234567u;

static u8 rng_byte(void)
{
	/* xorshift32: reproducible content that no two offsets share */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (u8)(rng_state >> 11);
}

static u8 *random_bytes(size_t n)
{
	u8 *p = malloc(n);
	size_t i;

	for (i = 0; p && i < n; i++)
		p[i] = rng_byte();
	return p;
}

static int write_file(const char *dir, const char *name, const void *data, size_t n)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(data, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int make_sources(const char *src)
{
	/* a file whose bytes are a directory entry for X.TXT (size 0) */
	static const char fakedir[64] = "X       TXT\x20";
	char name[32];
	int i;

	if (run("mkdir -p %s/many %s/root", src, src))
		return -1;
	multi_data = random_bytes(MULTI_SIZE);
	big_data = random_bytes(BIG_SIZE);
	if (!multi_data || !big_data)
		return -1;
	if (write_file(src, "KEEL.CFG", CFG_TEXT, strlen(CFG_TEXT)) ||
	    write_file(src, "EMPTY.TXT", "", 0) ||
	    write_file(src, "MULTI.BIN", multi_data, MULTI_SIZE) ||
	    write_file(src, "BIG.BIN", big_data, BIG_SIZE) ||
	    write_file(src, "readme.txt", "lower\n", 6) ||
	    write_file(src, "Long Name.txt", "x\n", 2) ||
	    write_file(src, "GONE.TXT", "gone\n", 5) ||
	    write_file(src, "KEEP.TXT", "keep\n", 5) ||
	    write_file(src, "INNER.TXT", "inner\n", 6) ||
	    write_file(src, "LEAF.TXT", "leaf!\n", 6) ||
	    write_file(src, "FAKEDIR.BIN", fakedir, sizeof(fakedir)))
		return -1;
	/* Enough entries that SUB and the FAT32 root span several clusters
	 * and the FAT16 root several sectors. */
	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "many/N%02d.TXT", i);
		if (write_file(src, name, name, strlen(name)))
			return -1;
	}
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "root/R%02d.TXT", i);
		if (write_file(src, name, name, strlen(name)))
			return -1;
	}
	return 0;
}

static int make_fs(struct disk *d, const char *fs)
{
	char mt[192];

	if (run("mkfs.fat %s -C %s %u >/dev/null", d->mkfs_opts, fs, d->size_kib))
		return -1;
	if (d->type == 12)
		return 0;
	snprintf(mt, sizeof(mt), "cd %s/src && MTOOLS_SKIP_CHECK=1", tmpdir);
	/* BIG.BIN on its own, right after the small files: one contiguous run */
	if (run("%s mcopy -i %s KEEL.CFG EMPTY.TXT MULTI.BIN readme.txt 'Long Name.txt' GONE.TXT KEEP.TXT FAKEDIR.BIN ::", mt, fs) ||
	    run("%s mcopy -i %s BIG.BIN ::", mt, fs) ||
	    run("%s mmd -i %s ::SUB ::SUB/DEEP", mt, fs) ||
	    run("%s mcopy -i %s INNER.TXT many/N*.TXT ::SUB/", mt, fs) ||
	    run("%s mcopy -i %s LEAF.TXT ::SUB/DEEP/", mt, fs) ||
	    run("%s mcopy -i %s root/R*.TXT ::", mt, fs) ||
	    run("%s mdel -i %s ::GONE.TXT", mt, fs))
		return -1;
	return 0;
}

/* Builds the volume, then a disk image with the volume at part_lba. */
static int make_disk(struct disk *d)
{
	char fs[128], img[128];
	static u8 buf[1 << 16];
	off_t off = (off_t)d->part_lba * FAT_SECTOR;
	ssize_t n;
	int in;

	snprintf(fs, sizeof(fs), "%s/%s.fs", tmpdir, d->name);
	snprintf(img, sizeof(img), "%s/%s.img", tmpdir, d->name);
	if (make_fs(d, fs))
		return -1;
	in = open(fs, O_RDONLY);
	d->fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || d->fd < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (pwrite(d->fd, buf, n, off) != n)
			return -1;
		off += n;
	}
	close(in);
	return n == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	char src[64];

	(void)state;
	if (!mkdtemp(tmpdir)) {
		perror("test_fat: mkdtemp");
		return -1;
	}
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	if (make_sources(src) || make_disk(&disk16) || make_disk(&disk32) || make_disk(&disk12)) {
		fprintf(stderr, "test_fat: could not build the test images in %s\n", tmpdir);
		run("rm -rf %s", tmpdir);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	close(disk16.fd);
	close(disk32.fd);
	close(disk12.fd);
	free(multi_data);
	free(big_data);
	return run("rm -rf %s", tmpdir);
}

/* ---- patching the image ---- */

static void patch(struct disk *d, off_t off, const void *bytes, size_t len)
{
	struct patch *p = &patches[npatches++];

	assert_true(npatches <= sizeof(patches) / sizeof(patches[0]));
	p->d = d;
	p->off = off;
	p->len = len;
	p->old = malloc(len);
	assert_non_null(p->old);
	assert_int_equal(pread(d->fd, p->old, len, off), (ssize_t)len);
	assert_int_equal(pwrite(d->fd, bytes, len, off), (ssize_t)len);
}

static void undo_patches(void)
{
	while (npatches) {
		struct patch *p = &patches[--npatches];

		if (pwrite(p->d->fd, p->old, p->len, p->off) != (ssize_t)p->len)
			fprintf(stderr, "test_fat: could not undo a patch\n");
		free(p->old);
	}
}

static void *test_alloc(size_t n)
{
	void *p = malloc(n);

	assert_non_null(p);
	assert_true(nallocs < sizeof(allocs) / sizeof(allocs[0]));
	allocs[nallocs++] = p;
	return p;
}

static int test_setup(void **state)
{
	reset_counters(*state);
	return 0;
}

static int test_teardown(void **state)
{
	undo_patches();
	reset_counters(*state);
	while (nallocs)
		free(allocs[--nallocs]);
	return 0;
}

static void patch_bpb(struct disk *d, unsigned off, const void *bytes, size_t len)
{
	patch(d, (off_t)d->part_lba * FAT_SECTOR + off, bytes, len);
}

/* ---- reading the image directly, to check the reader against ---- */

static off_t fat_entry_off(const struct fat_volume *v, u32 cl)
{
	return (off_t)v->fat_lba * FAT_SECTOR + (off_t)cl * (v->type / 8);
}

static u32 fat_get(struct disk *d, const struct fat_volume *v, u32 cl)
{
	u8 b[4] = { 0 };

	assert_int_equal(pread(d->fd, b, v->type / 8, fat_entry_off(v, cl)), v->type / 8);
	if (v->type == 16)
		return b[0] | b[1] << 8;
	return (b[0] | b[1] << 8 | b[2] << 16 | (u32)b[3] << 24) & 0x0FFFFFFF;
}

static void fat_set(struct disk *d, const struct fat_volume *v, u32 cl, u32 val)
{
	u8 b[4] = { val, val >> 8, val >> 16, val >> 24 };

	patch(d, fat_entry_off(v, cl), b, v->type / 8);
}

static u32 fat_eoc(const struct fat_volume *v)
{
	return v->type == 16 ? 0xFFFF : 0x0FFFFFFF;
}

static off_t cluster_off(const struct fat_volume *v, u32 cl)
{
	return ((off_t)v->data_lba + (off_t)(cl - 2) * v->sectors_per_cluster) * FAT_SECTOR;
}

/* Disk offset of the entry whose first 11 bytes are name, in the root. */
static off_t find_root_entry(struct disk *d, const struct fat_volume *v, const char *name)
{
	u32 per_cluster = v->sectors_per_cluster * FAT_SECTOR / 32;
	u32 cl = v->root_cluster, i, n;
	char e[11];
	off_t off;

	for (n = 0; n < 64; n++) {
		u32 count = v->type == 16 ? v->root_entries : per_cluster;

		for (i = 0; i < count; i++) {
			if (v->type == 16)
				off = (off_t)v->root_lba * FAT_SECTOR + i * 32;
			else
				off = cluster_off(v, cl) + i * 32;
			assert_int_equal(pread(d->fd, e, 11, off), 11);
			if (!memcmp(e, name, 11))
				return off;
		}
		if (v->type == 16)
			break;
		cl = fat_get(d, v, cl);
		if (cl < 2 || cl > v->clusters + 1)
			break;
	}
	return -1;
}

/* The clusters of a file, checked to be one contiguous run ending in an
 * end-of-chain mark, as mtools writes them on a fresh volume. */
static u32 chain_of(struct disk *d, const struct fat_volume *v, const struct fat_file *f, u32 *chain, u32 max)
{
	u32 cl = f->first_cluster, n = 0;

	while (cl >= 2 && cl <= v->clusters + 1) {
		assert_true(n < max);
		chain[n++] = cl;
		cl = fat_get(d, v, cl);
		if (cl >= 2 && cl <= v->clusters + 1)
			assert_int_equal(cl, chain[n - 1] + 1);
	}
	assert_true(cl >= (v->type == 16 ? 0xFFF8u : 0x0FFFFFF8u));
	return n;
}

/* A free cluster near the end of the volume. */
static u32 free_cluster(struct disk *d, const struct fat_volume *v)
{
	u32 cl = v->clusters + 1;

	while (fat_get(d, v, cl) != 0)
		cl--;
	return cl;
}

/* ---- helpers ---- */

static void mount(struct disk *d, struct fat_volume *v)
{
	int rc = fat_mount(v, disk_read, d, d->part_lba, scratch);

	if (rc != FAT_OK)
		fail_msg("%s: fat_mount: expected 0, got %d (%s)", d->name, rc, fat_strerror(rc));
}

static void lookup(struct fat_volume *v, const char *path, struct fat_file *f)
{
	int rc = fat_lookup(v, path, f);

	if (rc != FAT_OK)
		fail_msg("fat_lookup(\"%s\"): expected 0, got %d (%s)", path, rc, fat_strerror(rc));
}

static void expect_lookup(struct fat_volume *v, const char *path, int want)
{
	struct fat_file f;
	int rc = fat_lookup(v, path, &f);

	if (rc != want)
		fail_msg("fat_lookup(\"%s\"): expected %d, got %d (%s)", path, want, rc, fat_strerror(rc));
}

/* Mounts, looks MULTI.BIN up and returns its contiguous chain. */
static u32 multi_chain(struct disk *d, struct fat_volume *v, struct fat_file *f, u32 *chain, u32 max)
{
	u32 n;

	mount(d, v);
	lookup(v, "MULTI.BIN", f);
	n = chain_of(d, v, f, chain, max);
	assert_true(n >= 5);
	return n;
}

static void expect_read(struct disk *d, const char *what, int want)
{
	struct fat_volume v;
	struct fat_file f;
	u8 *buf = test_alloc(MULTI_SIZE);
	int rc;

	mount(d, &v);
	lookup(&v, "MULTI.BIN", &f);
	rc = fat_read_file(&v, &f, buf, MULTI_SIZE);
	if (rc != want)
		fail_msg("%s: %s: expected %d, got %d (%s)", d->name, what, want, rc, fat_strerror(rc));
}

/* ---- mount ---- */

static u32 le(const u8 *p, int n)
{
	u32 x = 0;

	while (n--)
		x = x << 8 | p[n];
	return x;
}

static void test_mount_fields(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	u8 bs[512];
	u32 rsvd, nfats, ents, fatsz, total, spc, root_secs, meta;

	assert_int_equal(pread(d->fd, bs, 512, (off_t)d->part_lba * 512), 512);
	spc = bs[13];
	rsvd = le(bs + 14, 2);
	nfats = bs[16];
	ents = le(bs + 17, 2);
	fatsz = le(bs + 22, 2) ? le(bs + 22, 2) : le(bs + 36, 4);
	total = le(bs + 19, 2) ? le(bs + 19, 2) : le(bs + 32, 4);
	root_secs = (ents * 32 + 511) / 512;
	meta = rsvd + nfats * fatsz + root_secs;

	mount(d, &v);
	assert_int_equal(d->calls, 1);
	assert_int_equal(v.type, d->type);
	assert_int_equal(v.part_lba, d->part_lba);
	assert_int_equal(v.bytes_per_sector, 512);
	assert_int_equal(v.sectors_per_cluster, d->type == 16 ? 4 : 1);
	assert_int_equal(v.fat_lba, d->part_lba + rsvd);
	assert_int_equal(v.fat_sectors, fatsz);
	assert_int_equal(v.root_entries, ents);
	assert_int_equal(v.data_lba, d->part_lba + meta);
	assert_int_equal(v.clusters, (total - meta) / spc);
	assert_ptr_equal(v.scratch, scratch);
	assert_int_equal(v.cached_fat_lba, 0xFFFFFFFFu);
	if (d->type == 16) {
		assert_int_equal(v.root_lba, d->part_lba + rsvd + nfats * fatsz);
		assert_true(v.clusters >= 4085 && v.clusters < 65525);
	} else {
		assert_int_equal(v.root_cluster, le(bs + 44, 4));
		assert_int_equal(v.root_cluster, 2);
		assert_true(v.clusters >= 65525);
	}
}

static void test_mount_fat12_rejected(void **state)
{
	struct fat_volume v;

	(void)state;
	assert_int_equal(fat_mount(&v, disk_read, &disk12, disk12.part_lba, scratch), FAT_ENOTFAT);
}

/* Sets BPB_TotSec32 so that the volume has exactly n data clusters. */
static int mount_with_clusters(struct disk *d, u32 n, struct fat_volume *v)
{
	u32 meta, total;
	u8 b[4];
	int rc;

	mount(d, v);
	meta = v->data_lba - v->part_lba;
	total = meta + n * v->sectors_per_cluster;
	b[0] = total;
	b[1] = total >> 8;
	b[2] = total >> 16;
	b[3] = total >> 24;
	patch_bpb(d, 32, b, 4);
	rc = fat_mount(v, disk_read, d, d->part_lba, scratch);
	undo_patches();
	return rc;
}

/* fatgen103 3.5: the cluster count alone decides the type, at exactly
 * 4085 and 65525 clusters. */
static void test_mount_type_boundaries(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;

	if (d->type == 16) {
		assert_int_equal(mount_with_clusters(d, 4084, &v), FAT_ENOTFAT);
		assert_int_equal(mount_with_clusters(d, 4085, &v), FAT_OK);
		assert_int_equal(v.type, 16);
		assert_int_equal(v.clusters, 4085);
	} else {
		/* 65524 clusters make FAT16, which a FAT32 BPB cannot be */
		assert_int_equal(mount_with_clusters(d, 65524, &v), FAT_ENOTFAT);
		assert_int_equal(mount_with_clusters(d, 65525, &v), FAT_OK);
		assert_int_equal(v.type, 32);
		assert_int_equal(v.clusters, 65525);
	}
}

static void test_mount_wrong_lba(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;

	/* LBA 0 of the disk image is zeros: no signature. */
	assert_int_equal(fat_mount(&v, disk_read, d, 0, scratch), FAT_ENOTFAT);
}

struct bpb_case {
	const char *what;
	unsigned off;
	unsigned len;
	u8 bytes[4];
	int types;	/* 16, 32 or 0 for both */
};

static const struct bpb_case bpb_cases[] = {
	{ "signature 0x55 0xAB", 510, 2, { 0x55, 0xAB }, 0 },
	{ "signature zeroed", 510, 2, { 0, 0 }, 0 },
	{ "1024 bytes/sector", 11, 2, { 0x00, 0x04 }, 0 },
	{ "256 bytes/sector", 11, 2, { 0x00, 0x01 }, 0 },
	{ "4096 bytes/sector", 11, 2, { 0x00, 0x10 }, 0 },
	{ "0 sectors/cluster", 13, 1, { 0 }, 0 },
	{ "3 sectors/cluster", 13, 1, { 3 }, 0 },
	{ "96 sectors/cluster", 13, 1, { 96 }, 0 },
	{ "0 reserved sectors", 14, 2, { 0, 0 }, 0 },
	{ "0 FATs", 16, 1, { 0 }, 0 },
	{ "0 total sectors", 32, 4, { 0, 0, 0, 0 }, 0 },
	{ "total sectors past 2^32", 32, 4, { 0xF0, 0xFF, 0xFF, 0xFF }, 0 },
	{ "total sectors inside the FATs", 32, 4, { 0x00, 0x01, 0, 0 }, 0 },
	{ "FATSz16 0", 22, 2, { 0, 0 }, 16 },
	{ "FATSz16 1, too small", 22, 2, { 1, 0 }, 16 },
	{ "FATSz32 0", 36, 4, { 0, 0, 0, 0 }, 32 },
	{ "FATSz32 1, too small", 36, 4, { 1, 0, 0, 0 }, 32 },
	{ "FAT32 with RootEntCnt", 17, 2, { 0x00, 0x02 }, 32 },
	{ "FAT32 with FATSz16", 22, 2, { 0x10, 0x00 }, 32 },
	{ "FAT32 root cluster 0", 44, 4, { 0, 0, 0, 0 }, 32 },
	{ "FAT32 root cluster 1", 44, 4, { 1, 0, 0, 0 }, 32 },
	{ "FAT32 root cluster past the end", 44, 4, { 0xF0, 0xFF, 0xFF, 0x0F }, 32 },
	{ "FAT32 active FAT 2 of 2", 40, 2, { 0x82, 0x00 }, 32 },
};

static void test_mount_bad_bpb(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	unsigned i, tried = 0;
	u8 bs[512];
	int rc;

	/* "0 total sectors" relies on the 16-bit count being unused. */
	assert_int_equal(pread(d->fd, bs, 512, (off_t)d->part_lba * 512), 512);
	assert_int_equal(le(bs + 19, 2), 0);
	for (i = 0; i < sizeof(bpb_cases) / sizeof(bpb_cases[0]); i++) {
		const struct bpb_case *c = &bpb_cases[i];

		if (c->types && c->types != d->type)
			continue;
		patch_bpb(d, c->off, c->bytes, c->len);
		rc = fat_mount(&v, disk_read, d, d->part_lba, scratch);
		undo_patches();
		if (rc != FAT_ENOTFAT)
			fail_msg("%s: %s: expected %d, got %d", d->name, c->what, FAT_ENOTFAT, rc);
		tried++;
	}
	assert_true(tried >= 13);
	mount(d, &v);	/* and the undone image mounts again */
}

static void test_mount_fat32_active_fat(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 flags[2] = { 0x81, 0x00 };	/* mirroring off, FAT 1 active */
	u8 *buf = test_alloc(MULTI_SIZE);
	u32 first;

	mount(d, &v);
	first = v.fat_lba;
	patch_bpb(d, 40, flags, 2);
	mount(d, &v);
	assert_int_equal(v.fat_lba, first + v.fat_sectors);
	lookup(&v, "MULTI.BIN", &f);
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE), FAT_OK);
	assert_memory_equal(buf, multi_data, MULTI_SIZE);
}

static void test_mount_io_error(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;

	d->fail_at = 1;
	assert_int_equal(fat_mount(&v, disk_read, d, d->part_lba, scratch), FAT_EIO);
	assert_int_equal(d->calls, 1);
}

/* ---- lookup ---- */

static void test_lookup_root(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;

	mount(d, &v);
	lookup(&v, "KEEL.CFG", &f);
	assert_int_equal(f.size, strlen(CFG_TEXT));
	assert_false(f.attr & 0x10);
	assert_true(f.first_cluster >= 2 && f.first_cluster <= v.clusters + 1);
	lookup(&v, "/KEEL.CFG", &f);
	assert_int_equal(f.size, strlen(CFG_TEXT));
	lookup(&v, "MULTI.BIN", &f);
	assert_int_equal(f.size, MULTI_SIZE);
	lookup(&v, "BIG.BIN", &f);
	assert_int_equal(f.size, BIG_SIZE);
	lookup(&v, "EMPTY.TXT", &f);
	assert_int_equal(f.size, 0);
	/* the last of many entries: several root sectors or clusters */
	lookup(&v, "R39.TXT", &f);
	assert_int_equal(f.size, strlen("root/R39.TXT"));
}

static void test_lookup_miss(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;

	mount(d, &v);
	expect_lookup(&v, "NOPE.TXT", FAT_ENOENT);
	expect_lookup(&v, "KEEL.CF", FAT_ENOENT);
	expect_lookup(&v, "KEEL", FAT_ENOENT);
	expect_lookup(&v, "KEEL.CFGX", FAT_EBADNAME);
	expect_lookup(&v, "R40.TXT", FAT_ENOENT);
	expect_lookup(&v, "SUB/NOPE.TXT", FAT_ENOENT);
	expect_lookup(&v, "NOPE/KEEL.CFG", FAT_ENOENT);
	expect_lookup(&v, "SUB/DEEP/INNER.TXT", FAT_ENOENT);
	/* valid 8.3 names with the odd characters fatgen103 allows */
	expect_lookup(&v, "A$%'-_@~.`!(", FAT_ENOENT);
	expect_lookup(&v, "){}^#&.B", FAT_ENOENT);
}

static void test_lookup_case(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file a, b;

	mount(d, &v);
	lookup(&v, "KEEL.CFG", &a);
	lookup(&v, "keel.cfg", &b);
	assert_int_equal(a.first_cluster, b.first_cluster);
	lookup(&v, "Keel.Cfg", &b);
	assert_int_equal(a.first_cluster, b.first_cluster);
	/* mtools stored "readme.txt" as README  TXT with lower-case flags */
	lookup(&v, "readme.txt", &a);
	lookup(&v, "README.TXT", &b);
	assert_int_equal(a.first_cluster, b.first_cluster);
	assert_int_equal(a.size, 6);
	lookup(&v, "sub/Deep/leaf.TXT", &a);
	assert_int_equal(a.size, 6);
}

static void test_lookup_subdir(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 buf[16];

	mount(d, &v);
	lookup(&v, "SUB/INNER.TXT", &f);
	assert_int_equal(f.size, 6);
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_OK);
	assert_memory_equal(buf, "inner\n", 6);
	lookup(&v, "SUB/DEEP/LEAF.TXT", &f);
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_OK);
	assert_memory_equal(buf, "leaf!\n", 6);
	/* SUB holds 73 entries: more than one cluster on both volumes */
	lookup(&v, "SUB/N69.TXT", &f);
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_OK);
	assert_memory_equal(buf, "many/N69.TXT", 12);
	lookup(&v, "/SUB/N00.TXT", &f);
}

static void test_lookup_kind_mismatch(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f = { 0x1234, 0x5678, 0x9A };

	mount(d, &v);
	assert_int_equal(fat_lookup(&v, "SUB", &f), FAT_ENOENT);
	/* f is left alone on failure */
	assert_int_equal(f.first_cluster, 0x1234);
	expect_lookup(&v, "sub/deep", FAT_ENOENT);
	expect_lookup(&v, "KEEL.CFG/X", FAT_ENOENT);
	expect_lookup(&v, "SUB/INNER.TXT/Y.Z", FAT_ENOENT);
	/* a file is not searched as a directory even when it looks like one */
	expect_lookup(&v, "FAKEDIR.BIN/X.TXT", FAT_ENOENT);
}

static void test_lookup_skips(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	static const u8 lfn_head[11] = { 0x41, 'L', 0, 'o', 0, 'n', 0, 'g', 0, ' ', 0 };
	off_t lfn;
	u8 attr;

	mount(d, &v);
	/* the volume label entry reads "KEELVOL    " but is no file */
	assert_true(find_root_entry(d, &v, "KEELVOL    ") >= 0);
	expect_lookup(&v, "KEELVOL", FAT_ENOENT);
	/* GONE.TXT was deleted: its entry starts with 0xE5, and the scan
	 * goes on past it to KEEP.TXT */
	assert_true(find_root_entry(d, &v, "\xE5ONE    TXT") >= 0);
	expect_lookup(&v, "GONE.TXT", FAT_ENOENT);
	lookup(&v, "KEEP.TXT", &f);
	assert_int_equal(f.size, 5);
	/* a long name: its short alias is found; a long-name entry made to
	 * look like "FAKE    TXT" is still skipped */
	lookup(&v, "LONGNA~1.TXT", &f);
	assert_int_equal(f.size, 2);
	lfn = find_root_entry(d, &v, (const char *)lfn_head);
	assert_true(lfn >= 0);
	assert_int_equal(pread(d->fd, &attr, 1, lfn + 11), 1);
	assert_int_equal(attr, 0x0F);
	patch(d, lfn, "FAKE    TXT", 11);
	mount(d, &v);
	expect_lookup(&v, "FAKE.TXT", FAT_ENOENT);
	lookup(&v, "LONGNA~1.TXT", &f);
}

static void test_lookup_end_mark(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	off_t e;

	mount(d, &v);
	lookup(&v, "R39.TXT", &f);
	e = find_root_entry(d, &v, "KEEL    CFG");
	assert_true(e >= 0);
	/* fatgen103 6: a 0x00 first byte ends the directory */
	patch(d, e, "", 1);
	mount(d, &v);
	expect_lookup(&v, "KEEL.CFG", FAT_ENOENT);
	expect_lookup(&v, "R39.TXT", FAT_ENOENT);
	expect_lookup(&v, "KEELVOL", FAT_ENOENT);
}

static void test_lookup_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "/", "//KEEL.CFG", "SUB/", "SUB//INNER.TXT", "TOOLONGNM.TXT",
		"ABCDEFGHI", "A.TOOL", ".TXT", "A.", "A..B", "A.B.C", ".", "..",
		"SUB/..", "SUB/./INNER.TXT", "A*B", "A?B.TXT", "A B", "A\\B",
		"A:B", "A+B", "A,B", "A;B", "A<B", "A=B", "A>B", "A[B", "A]B",
		"A|B", "A\"B", "A\tB", "\x01", "caf\xc3\xa9", "A\x7f",
		"SUB/TOOLONGNAME", "NOPE/A.TOOL", "KEEL.CFG/",
	};
	struct disk *d = *state;
	struct fat_volume v;
	unsigned i;

	mount(d, &v);
	d->calls = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_lookup(&v, bad[i], FAT_EBADNAME);
	/* names are checked before any sector is read */
	assert_int_equal(d->calls, 0);
	expect_lookup(&v, "ABCDEFGH.ABC", FAT_ENOENT);
}

static void test_lookup_io_error(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	unsigned k;
	int rc;

	/* fail each read in turn: every failure must come back as EIO */
	for (k = 1; k < 100; k++) {
		mount(d, &v);
		d->calls = 0;
		d->fail_at = k;
		rc = fat_lookup(&v, "SUB/DEEP/LEAF.TXT", &f);
		d->fail_at = 0;
		if (rc == FAT_OK)
			break;
		if (rc != FAT_EIO)
			fail_msg("%s: read %u failing: expected %d, got %d", d->name, k, FAT_EIO, rc);
	}
	assert_true(k > 2 && k < 100);
}

/* ---- read ---- */

static void test_read_small(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 buf[64];
	size_t n = strlen(CFG_TEXT), i;

	mount(d, &v);
	lookup(&v, "KEEL.CFG", &f);
	memset(buf, 0xCC, sizeof(buf));
	d->calls = 0;
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_OK);
	assert_memory_equal(buf, CFG_TEXT, n);
	/* the partial sector went through scratch: nothing past size */
	for (i = n; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xCC);
	/* a one-cluster file: one FAT sector, one data sector */
	assert_true(d->calls <= 2);
}

static void test_read_zero_size(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 buf[4] = { 1, 2, 3, 4 };

	mount(d, &v);
	lookup(&v, "EMPTY.TXT", &f);
	assert_int_equal(f.size, 0);
	d->calls = 0;
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_OK);
	assert_int_equal(fat_read_file(&v, &f, NULL, 0), FAT_OK);
	assert_int_equal(d->calls, 0);
	assert_memory_equal(buf, "\1\2\3\4", 4);
}

static void test_read_multi(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 *buf = test_alloc(MULTI_SIZE);	/* exact size: ASan sees any overrun */

	mount(d, &v);
	lookup(&v, "MULTI.BIN", &f);
	assert_true(f.size > v.sectors_per_cluster * 512 * 4);
	d->calls = 0;
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE), FAT_OK);
	assert_memory_equal(buf, multi_data, MULTI_SIZE);
	/* one FAT sector, one run of whole sectors, the partial sector */
	assert_true(d->calls <= 3);
	/* again, straight after: the same answer */
	memset(buf, 0, MULTI_SIZE);
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE), FAT_OK);
	assert_memory_equal(buf, multi_data, MULTI_SIZE);
}

static void test_read_big(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 *buf = test_alloc(BIG_SIZE);
	u32 cluster_bytes, need, per_fat_sector, bound;

	mount(d, &v);
	lookup(&v, "BIG.BIN", &f);
	assert_int_equal(f.size, BIG_SIZE);

	cluster_bytes = v.sectors_per_cluster * 512;
	need = (BIG_SIZE + cluster_bytes - 1) / cluster_bytes;
	per_fat_sector = 512 / (v.type / 8);
	/* contiguous: 127-sector reads, each FAT sector once (+1 where the
	 * chain straddles), the partial last sector, and slack of 2 */
	bound = BIG_SIZE / 512 / FAT_MAX_READ + 1 + need / per_fat_sector + 2 + 2;

	d->calls = 0;
	d->fat_lo = v.fat_lba;
	d->fat_hi = v.fat_lba + v.fat_sectors;
	d->fat_seen = calloc(v.fat_sectors, 1);
	assert_non_null(d->fat_seen);
	assert_int_equal(fat_read_file(&v, &f, buf, BIG_SIZE), FAT_OK);
	assert_memory_equal(buf, big_data, BIG_SIZE);
	print_message("%s: %u bytes read in %u callback calls (bound %u, largest %u sectors)\n",
		      d->name, BIG_SIZE, d->calls, bound, d->largest);
	if (d->calls > bound)
		fail_msg("%s: expected at most %u callback calls, saw %u", d->name, bound, d->calls);
	assert_int_equal(d->fat_rereads, 0);
	assert_int_equal(d->bad_counts, 0);
	assert_int_equal(d->largest, FAT_MAX_READ);
}

static void test_read_too_big(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 *buf = test_alloc(MULTI_SIZE);

	mount(d, &v);
	lookup(&v, "MULTI.BIN", &f);
	d->calls = 0;
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE - 1), FAT_ETOOBIG);
	assert_int_equal(fat_read_file(&v, &f, buf, 0), FAT_ETOOBIG);
	assert_int_equal(d->calls, 0);
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE), FAT_OK);
}

/* Moves the file's third cluster to a free one and relinks the chain: the
 * reader must follow the jump and still read the right bytes. */
static void test_read_fragmented(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u32 chain[32], n, spare, cb;
	u8 *data, *buf = test_alloc(MULTI_SIZE);

	n = multi_chain(d, &v, &f, chain, 32);
	cb = v.sectors_per_cluster * 512;
	spare = free_cluster(d, &v);
	data = test_alloc(cb);
	assert_int_equal(pread(d->fd, data, cb, cluster_off(&v, chain[2])), (ssize_t)cb);
	patch(d, cluster_off(&v, spare), data, cb);
	memset(data, 0xEE, cb);
	patch(d, cluster_off(&v, chain[2]), data, cb);
	fat_set(d, &v, chain[1], spare);
	fat_set(d, &v, spare, chain[3]);
	fat_set(d, &v, chain[2], 0);

	mount(d, &v);
	d->calls = 0;
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE), FAT_OK);
	assert_memory_equal(buf, multi_data, MULTI_SIZE);
	/* three runs, the partial sector, and the FAT sector of the spare
	 * between two reads of the file's own FAT sector: the one-sector
	 * cache costs a re-read at each jump across FAT sectors */
	if (d->calls < 4 || d->calls > 7)
		fail_msg("%s: expected 4..7 callback calls, saw %u", d->name, d->calls);
	(void)n;
}

/* A chain longer than the size needs is read up to size and accepted. */
static void test_read_long_chain(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u32 chain[32], n, spare;
	u8 *buf = test_alloc(MULTI_SIZE);

	n = multi_chain(d, &v, &f, chain, 32);
	spare = free_cluster(d, &v);
	fat_set(d, &v, chain[n - 1], spare);
	fat_set(d, &v, spare, fat_eoc(&v));
	mount(d, &v);
	assert_int_equal(fat_read_file(&v, &f, buf, MULTI_SIZE), FAT_OK);
	assert_memory_equal(buf, multi_data, MULTI_SIZE);
}

static void test_chain_out_of_range(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u32 chain[32];

	multi_chain(d, &v, &f, chain, 32);
	fat_set(d, &v, chain[0], v.clusters + 2);
	expect_read(d, "link past the last cluster", FAT_ECORRUPT);
	undo_patches();
	fat_set(d, &v, chain[1], 1);
	expect_read(d, "link to reserved cluster 1", FAT_ECORRUPT);
	undo_patches();
	/* past the last cluster but below the bad-cluster mark */
	fat_set(d, &v, chain[1], fat_eoc(&v) - 9);
	expect_read(d, "link to a reserved value", FAT_ECORRUPT);
	undo_patches();
	expect_read(d, "undone", FAT_OK);
}

static void test_chain_first_cluster(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 buf[64];

	mount(d, &v);
	lookup(&v, "KEEL.CFG", &f);
	d->calls = 0;
	f.first_cluster = 0;
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_ECORRUPT);
	f.first_cluster = 1;
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_ECORRUPT);
	f.first_cluster = v.clusters + 2;
	assert_int_equal(fat_read_file(&v, &f, buf, sizeof(buf)), FAT_ECORRUPT);
	/* a size that no chain on this volume could hold */
	f.first_cluster = 2;
	f.size = 0xFFFFFFFF;
	assert_int_equal(fat_read_file(&v, &f, buf, 0xFFFFFFFF), FAT_ECORRUPT);
	assert_int_equal(d->calls, 0);
}

static void test_chain_loop(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u32 chain[32], n;

	n = multi_chain(d, &v, &f, chain, 32);
	fat_set(d, &v, chain[1], chain[1]);
	expect_read(d, "cluster pointing at itself", FAT_ECORRUPT);
	/* caught at once, not after a walk over the whole volume */
	assert_true(d->calls <= 8);
	undo_patches();
	fat_set(d, &v, chain[0], chain[0]);
	expect_read(d, "first cluster pointing at itself", FAT_ECORRUPT);
	undo_patches();
	fat_set(d, &v, chain[3], chain[0]);
	expect_read(d, "loop back to the first cluster", FAT_ECORRUPT);
	undo_patches();
	/* the loop sits after the last cluster the size needs */
	fat_set(d, &v, chain[n - 1], chain[n - 2]);
	expect_read(d, "loop after the data", FAT_ECORRUPT);
}

static void test_chain_short(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u32 chain[32], n;

	n = multi_chain(d, &v, &f, chain, 32);
	fat_set(d, &v, chain[0], fat_eoc(&v));
	expect_read(d, "end mark after one cluster", FAT_ECORRUPT);
	undo_patches();
	fat_set(d, &v, chain[n - 2], fat_eoc(&v) - 7);	/* 0x..F8, also an end mark */
	expect_read(d, "end mark one cluster early", FAT_ECORRUPT);
}

static void test_chain_free_or_bad(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u32 chain[32], n;

	n = multi_chain(d, &v, &f, chain, 32);
	fat_set(d, &v, chain[1], 0);
	expect_read(d, "free cluster in the chain", FAT_ECORRUPT);
	undo_patches();
	fat_set(d, &v, chain[1], fat_eoc(&v) - 8);	/* 0xFFF7 / 0x0FFFFFF7 */
	expect_read(d, "bad cluster in the chain", FAT_ECORRUPT);
	undo_patches();
	fat_set(d, &v, chain[n - 1], 0);
	expect_read(d, "free cluster after the last", FAT_ECORRUPT);
}

static void test_read_io_error(void **state)
{
	struct disk *d = *state;
	struct fat_volume v;
	struct fat_file f;
	u8 *buf = test_alloc(MULTI_SIZE);
	unsigned k;
	int rc;

	for (k = 1; k < 100; k++) {
		mount(d, &v);
		lookup(&v, "MULTI.BIN", &f);
		d->calls = 0;
		d->fail_at = k;
		rc = fat_read_file(&v, &f, buf, MULTI_SIZE);
		d->fail_at = 0;
		if (rc == FAT_OK)
			break;
		if (rc != FAT_EIO)
			fail_msg("%s: read %u failing: expected %d, got %d", d->name, k, FAT_EIO, rc);
	}
	/* FAT, data and partial sector reads all failed in turn */
	assert_true(k >= 3 && k < 100);
	assert_memory_equal(buf, multi_data, MULTI_SIZE);
}

static void test_strerror(void **state)
{
	static const int codes[] = { FAT_OK, FAT_EIO, FAT_ENOTFAT, FAT_ENOENT,
				     FAT_ECORRUPT, FAT_ETOOBIG, FAT_EBADNAME };
	unsigned i, j;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_non_null(fat_strerror(codes[i]));
		assert_true(strlen(fat_strerror(codes[i])) > 1);
		for (j = 0; j < i; j++)
			assert_string_not_equal(fat_strerror(codes[i]), fat_strerror(codes[j]));
	}
	assert_string_equal(fat_strerror(FAT_ENOENT), "file not found");
	assert_non_null(fat_strerror(-99));
	assert_non_null(fat_strerror(7));
}

#define BOTH(fn) \
	cmocka_unit_test_prestate_setup_teardown(fn, test_setup, test_teardown, &disk16), \
	cmocka_unit_test_prestate_setup_teardown(fn, test_setup, test_teardown, &disk32)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_mount_fields),
		cmocka_unit_test_prestate_setup_teardown(test_mount_fat12_rejected, test_setup,
							 test_teardown, &disk12),
		BOTH(test_mount_type_boundaries),
		BOTH(test_mount_wrong_lba),
		BOTH(test_mount_bad_bpb),
		cmocka_unit_test_prestate_setup_teardown(test_mount_fat32_active_fat, test_setup,
							 test_teardown, &disk32),
		BOTH(test_mount_io_error),
		BOTH(test_lookup_root),
		BOTH(test_lookup_miss),
		BOTH(test_lookup_case),
		BOTH(test_lookup_subdir),
		BOTH(test_lookup_kind_mismatch),
		BOTH(test_lookup_skips),
		BOTH(test_lookup_end_mark),
		BOTH(test_lookup_bad_names),
		BOTH(test_lookup_io_error),
		BOTH(test_read_small),
		BOTH(test_read_zero_size),
		BOTH(test_read_multi),
		BOTH(test_read_big),
		BOTH(test_read_too_big),
		BOTH(test_read_fragmented),
		BOTH(test_read_long_chain),
		BOTH(test_chain_out_of_range),
		BOTH(test_chain_first_cluster),
		BOTH(test_chain_loop),
		BOTH(test_chain_short),
		BOTH(test_chain_free_or_bad),
		BOTH(test_read_io_error),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
