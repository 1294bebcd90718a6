/*
 * libFuzzer target: the enter-mode decoder, enter_spec_parse() (native/enter_spec.c,
 * docs/PROTOCOL.md §5), on arbitrary argv records; accepted specs must hold the invariants
 * enter.c relies on.
 */
#include <stdio.h>

#include "enter_spec.h"
#include "records.h"

static void check_accepted(const struct enter_spec *es)
{
	const struct spec *s = &es->base;
	bool action = es->bindsrc || es->bindto || es->unbind;
	bool joins = false;

	FUZZ_CHECK(s->report_fd >= 3);
	FUZZ_CHECK(s->keepfds >= 3);
	for (int k = 0; k < NS_KIND_COUNT; k++) {
		if (!es->join[k].enabled)
			continue;
		joins = true;
		FUZZ_CHECK(es->join[k].fd == -1);
		if (es->join[k].path)
			FUZZ_CHECK(touch_string(es->join[k].path) > 0);
		else
			FUZZ_CHECK(es->target > 0);
	}
	if (action) {
		/* Exactly one mount action, and nothing else to do. */
		FUZZ_CHECK(s->file == NULL && !joins && !es->target && es->netsocket < 0 && !s->fork);
		if (es->unbind)
			FUZZ_CHECK(!es->bindsrc && !es->bindto && touch_string(es->unbind) > 0);
		else
			FUZZ_CHECK(es->bindsrc && es->bindto && touch_string(es->bindsrc) > 0 && touch_string(es->bindto) > 0);
		return;
	}
	FUZZ_CHECK(s->file != NULL && s->argv != NULL && s->argv[0] != NULL);
	for (char **a = s->argv; *a; a++)
		touch_string(*a);
	FUZZ_CHECK(joins || es->netsocket >= 0 || es->userparent);
	if (es->netsocket >= 0 || es->userparent || es->target_ino)
		FUZZ_CHECK(es->target > 0);
	FUZZ_CHECK(!(es->wd && es->wdns));
	if (s->killchild || s->forward)
		FUZZ_CHECK(s->fork);
	FUZZ_CHECK(s->killchild >= 0 && s->killchild <= 64 && s->pdeathsig >= 0 && s->pdeathsig <= 64);
	{
		const char *paths[] = { es->root, es->wd, es->wdns, es->cgroup };

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			if (paths[i])
				FUZZ_CHECK(touch_string(paths[i]) > 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct records r;
	struct enter_spec es;
	const char *bad;

	if (records_split(&r, data, size) < 0)
		return -1;
	bad = enter_spec_parse(&es, r.argc, r.argv);
	if (bad)
		touch_string(bad);
	else
		check_accepted(&es);
	records_free(&r);
	return 0;
}
