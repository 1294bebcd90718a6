/*
 * libFuzzer target: the unshare-mode spec decoder, spec_parse() (native/spec.c,
 * docs/PROTOCOL.md §1), on arbitrary argv records. Besides memory errors and undefined
 * behaviour (ASan/UBSan), every accepted spec must satisfy what the rest of the helper
 * trusts without checking again (spec.h: "the rest of the helper trusts these fields").
 */
#include <stdio.h>

#include "records.h"
#include "spec.h"

static void check_map(const struct id_map *m, int argc)
{
	FUZZ_CHECK(m->nranges <= (size_t)argc);
	if (m->by == MAP_NONE)
		FUZZ_CHECK(m->nranges == 0 && m->tool == NULL);
	else
		FUZZ_CHECK(m->nranges > 0);
	if (m->by == MAP_SELF)
		FUZZ_CHECK(m->nranges == 1 && m->ranges[0].count == 1);
	FUZZ_CHECK((m->by == MAP_TOOL) == (m->tool != NULL));
	if (m->tool)
		FUZZ_CHECK(touch_string(m->tool) > 0);
	for (size_t i = 0; i < m->nranges; i++) {
		FUZZ_CHECK(m->ranges[i].count >= 1);
		FUZZ_CHECK(m->ranges[i].inner != 0xffffffffu && m->ranges[i].outer != 0xffffffffu);
	}
}

static void check_accepted(const struct spec *s, int argc)
{
	FUZZ_CHECK(s->report_fd >= 3);
	FUZZ_CHECK(s->keepfds >= 3);
	FUZZ_CHECK(s->file != NULL && s->argv != NULL && s->argv[0] != NULL);
	for (char **a = s->argv; *a; a++)
		touch_string(*a);
	FUZZ_CHECK(s->killchild >= 0 && s->killchild <= 64);
	FUZZ_CHECK(s->pdeathsig >= 0 && s->pdeathsig <= 64);
	if (s->killchild)
		FUZZ_CHECK(s->fork);
	FUZZ_CHECK((s->try_flags & ~s->clone_flags) == 0);
	for (int k = 0; k < NS_KIND_COUNT; k++)
		if (s->persist[k])
			FUZZ_CHECK(touch_string(s->persist[k]) > 0);
	if (s->interp)
		FUZZ_CHECK(s->binfmt != NULL);
	if (s->hostname) {
		size_t n = touch_string(s->hostname);

		FUZZ_CHECK(n >= 1 && n <= HOSTNAME_MAX);
		FUZZ_CHECK(s->clone_flags & CLONE_NEWUTS);
	}
	if (s->loopback)
		FUZZ_CHECK(s->clone_flags & CLONE_NEWNET);
	if (s->init)
		FUZZ_CHECK(s->fork && (s->clone_flags & CLONE_NEWPID));
	FUZZ_CHECK(s->bind_expect == 0);
	FUZZ_CHECK(s->nbinds <= (size_t)argc);
	for (size_t i = 0; i < s->nbinds; i++) {
		const struct bind *b = &s->binds[i];

		FUZZ_CHECK(b->dst != NULL && b->dst[0] == '/');
		touch_string(b->dst);
		if (b->mode == BIND_TMPFS)
			FUZZ_CHECK(b->src == NULL);
		else
			FUZZ_CHECK(b->src != NULL && touch_string(b->src) > 0);
	}
	if (s->nbinds)
		FUZZ_CHECK(s->clone_flags & CLONE_NEWNS);
	if (s->rootfs) {
		FUZZ_CHECK(s->rootfs[0] == '/');
		FUZZ_CHECK(s->fork && (s->clone_flags & CLONE_NEWPID) && (s->clone_flags & CLONE_NEWNS));
		FUZZ_CHECK(!s->root && !s->procmount && !s->binfmt);
	}
	if (s->overlay)
		FUZZ_CHECK(s->rootfs && touch_string(s->overlay) > 0 && !strchr(s->overlay, ','));
	if (s->rootro)
		FUZZ_CHECK(s->rootfs != NULL);
	{
		const char *paths[] = { s->root, s->wd, s->procmount, s->binfmt };

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			if (paths[i])
				FUZZ_CHECK(touch_string(paths[i]) > 0);
	}
	check_map(&s->uidmap, argc);
	check_map(&s->gidmap, argc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct records r;
	struct spec s;
	const char *bad;

	if (records_split(&r, data, size) < 0)
		return -1;
	bad = spec_parse(&s, r.argc, r.argv);
	if (bad) {
		touch_string(bad);
		FUZZ_CHECK(s.report_fd == -1 || s.report_fd >= 3);
	} else {
		check_accepted(&s, r.argc);
	}
	free(s.uidmap.ranges);
	free(s.gidmap.ranges);
	free(s.binds);
	records_free(&r);
	return 0;
}
