/* libFuzzer harness for lib/config.c: cfg_parse() on any bytes. Beyond
 * the sanitizers it checks what docs/config.md promises of a parse that
 * succeeds: the limits, a default entry that exists, src_start/src_end
 * inside the text, file lists that fit, and that an entry's own bytes
 * (what the hypervisor receives) parse alone to the same entry. */
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

static struct config cfg, again;
static struct cfg_error err;

static void check_same_entry(const struct cfg_entry *a, const struct cfg_entry *b)
{
	FUZZ_CHECK(!memcmp(a->title, b->title, CFG_TITLE_MAX) || !strcmp(a->title, b->title),
		   "title '%s' became '%s'", a->title, b->title);
	FUZZ_CHECK(a->nguests == b->nguests, "%d guests became %d", a->nguests, b->nguests);
	FUZZ_CHECK(a->after == b->after, "after changed");
	for (int i = 0; i < a->nguests; i++) {
		const struct cfg_guest *x = &a->guests[i], *y = &b->guests[i];

		FUZZ_CHECK(x->kind == y->kind && x->load == y->load && x->mode == y->mode &&
				   x->drive == y->drive && x->partition == y->partition &&
				   x->serial_console == y->serial_console &&
				   x->watchdog == y->watchdog &&
				   !strcmp(x->image, y->image) && !strcmp(x->kernel, y->kernel) &&
				   !strcmp(x->initrd, y->initrd) && !strcmp(x->file, y->file) &&
				   !strcmp(x->cmdline, y->cmdline) && x->has_cmdline == y->has_cmdline &&
				   x->trace == y->trace,
			   "guest %d of entry '%s' differs when its lines are parsed alone", i + 1,
			   a->title);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parser must not read past len: give it an exact-size copy. */
	char *text = malloc(size ? size : 1);
	const char *names[2 * CFG_MAX_GUESTS + 1];

	memcpy(text, data, size);
	if (cfg_parse(text, size, &cfg, &err)) {
		FUZZ_CHECK(err.line >= 0, "negative error line %d", err.line);
		FUZZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)) != NULL, "unterminated message");
		FUZZ_CHECK(err.msg[0], "empty error message");
		free(text);
		return 0;
	}
	FUZZ_CHECK(cfg.nentries >= 1 && cfg.nentries <= CFG_MAX_ENTRIES, "%d entries", cfg.nentries);
	FUZZ_CHECK(cfg.default_entry >= 1 && cfg.default_entry <= cfg.nentries, "default %d of %d",
		   cfg.default_entry, cfg.nentries);
	FUZZ_CHECK(cfg.timeout >= 0 && cfg.timeout <= CFG_MAX_TIMEOUT, "timeout %d", cfg.timeout);
	for (int i = 0; i < cfg.nentries; i++) {
		const struct cfg_entry *e = &cfg.entries[i];
		int n;

		FUZZ_CHECK(e->nguests >= 1 && e->nguests <= CFG_MAX_GUESTS, "%d guests", e->nguests);
		FUZZ_CHECK(e->src_start < e->src_end && e->src_end <= size, "entry bytes %u..%u of %zu",
			   e->src_start, e->src_end, size);
		FUZZ_CHECK(memchr(e->title, 0, CFG_TITLE_MAX) && e->title[0], "bad title");
		n = cfg_entry_files(e, names, (int)(sizeof(names) / sizeof(names[0])));
		FUZZ_CHECK(n >= 0 && n <= 2 * CFG_MAX_GUESTS, "%d files", n);
		for (int k = 0; k < n; k++)
			FUZZ_CHECK(names[k] && names[k][0] && strlen(names[k]) < CFG_FILE_MAX,
				   "file name %d", k);
		for (int g = 0; g < e->nguests; g++) {
			const struct cfg_guest *c = &e->guests[g];

			FUZZ_CHECK(strlen(c->cmdline) < CFG_CMDLINE_MAX, "cmdline");
			FUZZ_CHECK(c->trace <= CFG_TRACE_MAX, "trace %u", c->trace);
			if (c->kind == CFG_GUEST_FLAT)
				FUZZ_CHECK(c->load < (1ull << 32) &&
						   (c->mode != CFG_MODE_REAL ||
						    (c->load < 0x100000 && !(c->load & 15))),
					   "load 0x%llx mode %d", (unsigned long long)c->load, c->mode);
		}
		/* docs/config.md "What the hypervisor receives". */
		{
			u32 len = e->src_end - e->src_start;
			char *part = malloc(len);

			memcpy(part, text + e->src_start, len);
			FUZZ_CHECK(!cfg_parse(part, len, &again, &err), "entry '%s' alone: line %d: %s",
				   e->title, err.line, err.msg);
			FUZZ_CHECK(again.nentries == 1, "entry alone gives %d entries", again.nentries);
			check_same_entry(e, &again.entries[0]);
			free(part);
		}
	}
	free(text);
	return 0;
}
