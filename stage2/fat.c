/* A read-only FAT16/FAT32 reader: mount, look up an 8.3 path, read a file
 * whole. Rules cite Microsoft's "FAT: General Overview of On-Disk Format"
 * (fatgen103, 2000) by section. Built for stage 2 with -m16 and for the host
 * unit tests, so: no 64-bit division, no libc beyond lib/string.h, and the
 * caller's one-sector scratch is the only sector buffer. See docs/fat.md. */
#include "fat.h"
#include "../lib/string.h"

/* fatgen103 3.1, 3.2: boot sector and BPB field offsets. */
#define BPB_BYTSPERSEC	11
#define BPB_SECPERCLUS	13
#define BPB_RSVDSECCNT	14
#define BPB_NUMFATS	16
#define BPB_ROOTENTCNT	17
#define BPB_TOTSEC16	19
#define BPB_FATSZ16	22
#define BPB_TOTSEC32	32
#define BPB_FATSZ32	36
#define BPB_EXTFLAGS	40
#define BPB_ROOTCLUS	44
#define BS_SIGNATURE	510

/* fatgen103 6: directory entry layout and attributes. */
#define DIR_ENTRY_SIZE	32
#define DIR_NAME	0
#define DIR_ATTR	11
#define DIR_FSTCLUSHI	20
#define DIR_FSTCLUSLO	26
#define DIR_FILESIZE	28
#define ATTR_VOLUME_ID	0x08
#define ATTR_DIRECTORY	0x10
#define ATTR_LONG_NAME	0x0F
#define DIR_FREE	0xE5	/* deleted entry */
#define DIR_END		0x00	/* this and all later entries are free */

#define FAT_NO_CACHE	0xFFFFFFFFu
#define FAT32_MASK	0x0FFFFFFFu	/* fatgen103 4: top 4 bits are reserved */
#define FAT32_MAX_CLUSTERS 0x0FFFFFF5u	/* so cluster + 1 stays below 0x0FFFFFF7, bad */

/* Phoenix EDD 3.0: some BIOSes move at most 127 sectors per INT 13h call. */
#define FAT_MAX_READ	127

/* Internal, positive so they never look like an enum fat_status. */
#define FAT_END		1	/* end-of-chain marker */
#define FAT_MORE	2	/* entry not in this sector, keep scanning */

static u16 fat_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 fat_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* log2 of a power of two; sectors per cluster is checked to be one. */
static u32 fat_log2(u32 x)
{
	u32 n = 0;

	while (x > 1) {
		x >>= 1;
		n++;
	}
	return n;
}

static bool fat_cluster_ok(const struct fat_volume *v, u32 cl)
{
	return cl >= 2 && cl <= v->clusters + 1;
}

static int fat_read(struct fat_volume *v, u32 lba, u32 count, void *buf)
{
	return v->read(v->ctx, lba, count, buf) ? FAT_EIO : FAT_OK;
}

/* Reads one sector into scratch for something other than the FAT. */
static int fat_read_scratch(struct fat_volume *v, u32 lba)
{
	v->cached_fat_lba = FAT_NO_CACHE;
	return fat_read(v, lba, 1, v->scratch);
}

/* fatgen103 3.5: sizes the regions and counts the clusters; the count
 * alone decides FAT12, FAT16 or FAT32. Returns the FAT type or a status. */
static int fat_layout(struct fat_volume *v, const u8 *bs, u32 part_lba)
{
	u32 rsvd = fat_le16(bs + BPB_RSVDSECCNT);
	u32 nfats = bs[BPB_NUMFATS];
	u32 root_ents = fat_le16(bs + BPB_ROOTENTCNT);
	u32 fatsz16 = fat_le16(bs + BPB_FATSZ16);
	u32 fatsz = fatsz16 ? fatsz16 : fat_le32(bs + BPB_FATSZ32);
	u32 total = fat_le16(bs + BPB_TOTSEC16);
	u32 root_secs = (root_ents * DIR_ENTRY_SIZE + FAT_SECTOR - 1) / FAT_SECTOR;
	u32 left;

	if (!total)
		total = fat_le32(bs + BPB_TOTSEC32);
	if (!rsvd || !nfats || !fatsz || !total)
		return FAT_ENOTFAT;
	/* Every absolute LBA must fit 32 bits; subtract with underflow checks. */
	if (total > 0xFFFFFFFFu - part_lba || fatsz > total / nfats)
		return FAT_ENOTFAT;
	left = total;
	if (rsvd >= left)
		return FAT_ENOTFAT;
	left -= rsvd;
	if (nfats * fatsz >= left)
		return FAT_ENOTFAT;
	left -= nfats * fatsz;
	if (root_secs >= left)
		return FAT_ENOTFAT;
	left -= root_secs;

	v->fat_lba = part_lba + rsvd;
	v->fat_sectors = fatsz;
	v->root_lba = v->fat_lba + nfats * fatsz;
	v->root_entries = root_ents;
	v->data_lba = v->root_lba + root_secs;
	v->clusters = left >> fat_log2(v->sectors_per_cluster);

	if (v->clusters < 4085)
		return FAT_ENOTFAT;	/* FAT12: not supported */
	if (v->clusters < 65525)
		return fatsz16 ? 16 : FAT_ENOTFAT;
	/* fatgen103 3.1: on FAT32 BPB_RootEntCnt and BPB_FATSz16 must be 0. */
	if (root_ents || fatsz16 || v->clusters > FAT32_MAX_CLUSTERS)
		return FAT_ENOTFAT;
	return 32;
}

/* fatgen103 3.3: with mirroring off (ExtFlags bit 7) only the active FAT,
 * bits 0-3, is current; otherwise all FATs match and the first is read. */
static int fat_mount32(struct fat_volume *v, const u8 *bs)
{
	u32 ext = fat_le16(bs + BPB_EXTFLAGS);

	if (ext & 0x80) {
		if ((ext & 0x0F) >= bs[BPB_NUMFATS])
			return FAT_ENOTFAT;
		v->fat_lba += (ext & 0x0F) * v->fat_sectors;
	}
	v->root_cluster = fat_le32(bs + BPB_ROOTCLUS);
	if (!fat_cluster_ok(v, v->root_cluster))
		return FAT_ENOTFAT;
	return FAT_OK;
}

int fat_mount(struct fat_volume *v, fat_read_fn read, void *ctx, u32 part_lba, u8 *scratch)
{
	const u8 *bs = scratch;
	u32 spc, per_sector;
	int rc;

	memset(v, 0, sizeof(*v));
	v->read = read;
	v->ctx = ctx;
	v->part_lba = part_lba;
	v->scratch = scratch;
	v->cached_fat_lba = FAT_NO_CACHE;
	rc = fat_read(v, part_lba, 1, scratch);
	if (rc)
		return rc;

	/* fatgen103 3.1: the checks a volume must pass to be FAT at all. */
	if (bs[BS_SIGNATURE] != 0x55 || bs[BS_SIGNATURE + 1] != 0xAA)
		return FAT_ENOTFAT;
	v->bytes_per_sector = fat_le16(bs + BPB_BYTSPERSEC);
	if (v->bytes_per_sector != FAT_SECTOR)
		return FAT_ENOTFAT;
	spc = bs[BPB_SECPERCLUS];
	if (!spc || (spc & (spc - 1)))
		return FAT_ENOTFAT;
	v->sectors_per_cluster = spc;

	rc = fat_layout(v, bs, part_lba);
	if (rc < 0)
		return rc;
	v->type = rc;
	/* fatgen103 4: the FAT must hold an entry for every cluster + 2. */
	per_sector = v->type == 16 ? FAT_SECTOR / 2 : FAT_SECTOR / 4;
	if ((v->clusters + 1) / per_sector >= v->fat_sectors)
		return FAT_ENOTFAT;
	if (v->type == 32)
		return fat_mount32(v, bs);
	return FAT_OK;
}

/* Reads the FAT entry for cluster cl through the one-sector cache and
 * sorts it (fatgen103 4): FAT_OK with *next in range, FAT_END at the
 * end-of-chain mark, FAT_ECORRUPT for free, bad, reserved or out of range. */
static int fat_next(struct fat_volume *v, u32 cl, u32 *next)
{
	u32 lba, val, eoc;
	int rc;

	if (v->type == 16) {
		lba = v->fat_lba + (cl >> 8);
		eoc = 0xFFF8;
	} else {
		lba = v->fat_lba + (cl >> 7);
		eoc = 0x0FFFFFF8;
	}
	if (v->cached_fat_lba != lba) {
		rc = fat_read_scratch(v, lba);
		if (rc)
			return rc;
		v->cached_fat_lba = lba;
	}
	if (v->type == 16)
		val = fat_le16(v->scratch + (cl & 0xFF) * 2);
	else
		val = fat_le32(v->scratch + (cl & 0x7F) * 4) & FAT32_MASK;

	if (val >= eoc)
		return FAT_END;
	if (!fat_cluster_ok(v, val))
		return FAT_ECORRUPT;	/* 0 free, eoc - 1 bad, or past the end */
	*next = val;
	return FAT_OK;
}

/* A walk along a cluster chain. A chain of distinct clusters has at most
 * v->clusters - 1 links, which bounds every walk; Brent's cycle detection
 * (a mark moved at powers of two) catches a loop long before that. */
struct fat_walk {
	u32 cl;
	u32 links;
	u32 mark;
	u32 power;
	u32 lam;
};

static void fat_walk_start(struct fat_walk *w, u32 cl)
{
	w->cl = cl;
	w->links = 0;
	w->mark = cl;
	w->power = 1;
	w->lam = 1;
}

/* Moves w->cl one link on: FAT_OK, FAT_END or a negative status. */
static int fat_walk_step(struct fat_volume *v, struct fat_walk *w)
{
	int rc = fat_next(v, w->cl, &w->cl);

	if (rc)
		return rc;
	if (w->cl == w->mark || ++w->links >= v->clusters)
		return FAT_ECORRUPT;	/* loop */
	if (w->lam == w->power) {
		w->mark = w->cl;
		w->power <<= 1;
		w->lam = 0;
	}
	w->lam++;
	return FAT_OK;
}

/* fatgen103 6.1: characters a short name may not hold, besides controls
 * and space. Bytes above 0x7E are code-page dependent and refused too. */
static bool fat_char_ok(u8 c)
{
	static const char bad[] = "\"*+,./:;<=>?[\\]|";
	u32 i;

	if (c <= ' ' || c >= 0x7F)
		return false;
	for (i = 0; i < sizeof(bad) - 1; i++)
		if (c == (u8)bad[i])
			return false;
	return true;
}

/* Turns one path component, len bytes at s, into the 11-byte upper-case,
 * space-padded form directory entries hold (fatgen103 6.1): 1-8 name
 * characters, then optionally a dot and 1-3 extension characters. */
static int fat_name83(const char *s, u32 len, u8 out[11])
{
	u32 i, pos = 0, end = 8;

	memset(out, ' ', 11);
	for (i = 0; i < len; i++) {
		u8 c = (u8)s[i];

		if (c == '.' && end == 8 && pos > 0 && i + 1 < len) {
			pos = 8;
			end = 11;
			continue;
		}
		if (!fat_char_ok(c) || pos == end)
			return FAT_EBADNAME;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		out[pos++] = c;
	}
	return pos ? FAT_OK : FAT_EBADNAME;
}

/* Parses the path component at *p into name and moves *p past it and the
 * '/' after it. Returns FAT_OK for the last component, FAT_MORE if another
 * follows, or FAT_EBADNAME (an empty component is bad too). */
static int fat_component(const char **p, u8 name[11])
{
	const char *s = *p;
	u32 len = 0;
	int rc;

	while (s[len] && s[len] != '/')
		len++;
	rc = fat_name83(s, len, name);
	if (rc)
		return rc;
	if (!s[len]) {
		*p = s + len;
		return FAT_OK;
	}
	*p = s + len + 1;
	return FAT_MORE;
}

static u32 fat_cluster_lba(const struct fat_volume *v, u32 cl)
{
	return v->data_lba + ((cl - 2) << fat_log2(v->sectors_per_cluster));
}

/* Scans the first n directory entries in scratch for name (fatgen103 6):
 * FAT_OK with *f filled, FAT_ENOENT at the end mark, FAT_MORE to go on. */
static int fat_scan(const struct fat_volume *v, u32 n, const u8 name[11], struct fat_file *f)
{
	const u8 *e = v->scratch;

	for (; n; n--, e += DIR_ENTRY_SIZE) {
		if (e[DIR_NAME] == DIR_END)
			return FAT_ENOENT;
		/* ATTR_VOLUME_ID marks the label and, inside ATTR_LONG_NAME,
		 * every long-name piece (fatgen103 7): neither is a file. */
		if (e[DIR_NAME] == DIR_FREE || (e[DIR_ATTR] & ATTR_VOLUME_ID))
			continue;
		if (memcmp(e + DIR_NAME, name, 11))
			continue;
		f->attr = e[DIR_ATTR];
		f->size = fat_le32(e + DIR_FILESIZE);
		f->first_cluster = fat_le16(e + DIR_FSTCLUSLO);
		/* DIR_FstClusHI is only defined on FAT32 (fatgen103 6). */
		if (v->type == 32)
			f->first_cluster |= (u32)fat_le16(e + DIR_FSTCLUSHI) << 16;
		return FAT_OK;
	}
	return FAT_MORE;
}

/* FAT16: the root directory is a fixed area before the data (fatgen103 3.5). */
static int fat_find_root16(struct fat_volume *v, const u8 name[11], struct fat_file *f)
{
	const u32 per_sector = FAT_SECTOR / DIR_ENTRY_SIZE;
	u32 left = v->root_entries, lba = v->root_lba, n;
	int rc;

	for (; left; left -= n) {
		n = left < per_sector ? left : per_sector;
		rc = fat_read_scratch(v, lba++);
		if (rc)
			return rc;
		rc = fat_scan(v, n, name, f);
		if (rc != FAT_MORE)
			return rc;
	}
	return FAT_ENOENT;
}

/* FAT32's root and every subdirectory are cluster chains like files. */
static int fat_find_chain(struct fat_volume *v, u32 cl, const u8 name[11], struct fat_file *f)
{
	struct fat_walk w;
	u32 lba, i;
	int rc;

	if (!fat_cluster_ok(v, cl))
		return FAT_ECORRUPT;
	fat_walk_start(&w, cl);
	for (;;) {
		lba = fat_cluster_lba(v, w.cl);
		for (i = 0; i < v->sectors_per_cluster; i++) {
			rc = fat_read_scratch(v, lba + i);
			if (rc)
				return rc;
			rc = fat_scan(v, FAT_SECTOR / DIR_ENTRY_SIZE, name, f);
			if (rc != FAT_MORE)
				return rc;
		}
		rc = fat_walk_step(v, &w);
		if (rc == FAT_END)
			return FAT_ENOENT;
		if (rc)
			return rc;
	}
}

int fat_lookup(struct fat_volume *v, const char *path, struct fat_file *f)
{
	struct fat_file e;
	const char *p;
	u8 name[11];
	u32 dir;
	int rc, more;

	if (*path == '/')
		path++;
	/* Check every component before reading the disk. */
	p = path;
	do
		more = fat_component(&p, name);
	while (more == FAT_MORE);
	if (more)
		return more;

	dir = v->type == 32 ? v->root_cluster : 0;
	do {
		more = fat_component(&path, name);
		if (dir)
			rc = fat_find_chain(v, dir, name, &e);
		else
			rc = fat_find_root16(v, name, &e);
		if (rc)
			return rc;
		if (more && !(e.attr & ATTR_DIRECTORY))
			return FAT_ENOENT;
		dir = e.first_cluster;
		if (more && !fat_cluster_ok(v, dir))
			return FAT_ECORRUPT;
	} while (more);
	if (e.attr & ATTR_DIRECTORY)
		return FAT_ENOENT;
	*f = e;
	return FAT_OK;
}

/* A run of physically contiguous clusters, index clusters into the file. */
struct fat_run {
	u32 first;
	u32 count;
	u32 index;
};

/* Reads a run into buf with as few callback calls as the per-call limit
 * allows. Whole sectors of the file go straight into buf; a partial last
 * sector goes through scratch so nothing lands past size bytes. */
static int fat_read_run(struct fat_volume *v, const struct fat_run *r, u32 size, u8 *buf)
{
	u32 shift = fat_log2(v->sectors_per_cluster);
	u32 off = r->index << (shift + 9);
	u32 lba = fat_cluster_lba(v, r->first);
	u32 sectors = r->count << shift;
	u32 whole = (size - off) >> 9;
	u32 n = sectors < whole ? sectors : whole;
	u32 chunk;
	int rc;

	buf += off;
	while (n) {
		chunk = n < FAT_MAX_READ ? n : FAT_MAX_READ;
		rc = fat_read(v, lba, chunk, buf);
		if (rc)
			return rc;
		lba += chunk;
		buf += chunk << 9;
		sectors -= chunk;
		n -= chunk;
	}
	if (sectors && ((size - off) & (FAT_SECTOR - 1))) {
		rc = fat_read_scratch(v, lba);
		if (rc)
			return rc;
		memcpy(buf, v->scratch, (size - off) & (FAT_SECTOR - 1));
	}
	return FAT_OK;
}

/* Walks the whole chain to its end mark, checking every link, and reads
 * the first ceil(size / cluster bytes) clusters run by run. A chain longer
 * than that is accepted (its tail is checked, not read); a shorter one is
 * corrupt (fatgen103 6.2: the chain must cover DIR_FileSize). */
int fat_read_file(struct fat_volume *v, const struct fat_file *f, void *buf, u32 max)
{
	u32 shift = fat_log2(v->sectors_per_cluster) + 9;
	struct fat_walk w;
	struct fat_run r;
	u32 need, i;
	int rc;

	if (f->size > max)
		return FAT_ETOOBIG;
	if (!f->size)
		return FAT_OK;
	need = ((f->size - 1) >> shift) + 1;
	if (need > v->clusters || !fat_cluster_ok(v, f->first_cluster))
		return FAT_ECORRUPT;

	fat_walk_start(&w, f->first_cluster);
	r.first = f->first_cluster;
	r.count = 1;
	r.index = 0;
	for (i = 1;; i++) {
		rc = fat_walk_step(v, &w);
		if (rc == FAT_END)
			break;
		if (rc)
			return rc;
		if (i >= need)
			continue;
		if (w.cl == r.first + r.count) {
			r.count++;
			continue;
		}
		rc = fat_read_run(v, &r, f->size, buf);
		if (rc)
			return rc;
		r.first = w.cl;
		r.count = 1;
		r.index = i;
	}
	if (i < need)
		return FAT_ECORRUPT;
	return fat_read_run(v, &r, f->size, buf);
}

const char *fat_strerror(int status)
{
	switch (status) {
	case FAT_OK:
		return "ok";
	case FAT_EIO:
		return "disk read error";
	case FAT_ENOTFAT:
		return "not a FAT16/FAT32 volume";
	case FAT_ENOENT:
		return "file not found";
	case FAT_ECORRUPT:
		return "corrupt cluster chain";
	case FAT_ETOOBIG:
		return "file too big";
	case FAT_EBADNAME:
		return "bad 8.3 name";
	default:
		return "unknown error";
	}
}
