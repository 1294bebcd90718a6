/*
 * libFuzzer target: the nsinfo-mode decoder, nsinfo_spec_parse() (native/nsinfo_spec.c,
 * docs/PROTOCOL.md §6), on arbitrary argv records.
 */
#include <stdio.h>

#include "nsinfo_spec.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct records r;
	struct nsinfo_spec ns;
	const char *bad;

	if (records_split(&r, data, size) < 0)
		return -1;
	bad = nsinfo_spec_parse(&ns, r.argc, r.argv);
	if (bad) {
		touch_string(bad);
	} else {
		FUZZ_CHECK(ns.report_fd >= 0 && ns.keepfds >= 3);
		FUZZ_CHECK(ns.first_path >= 3 && ns.first_path <= r.argc);
		FUZZ_CHECK(strcmp(r.argv[ns.first_path - 1], "--") == 0);
		for (int i = ns.first_path; i < r.argc; i++)
			touch_string(r.argv[i]);
	}
	records_free(&r);
	return 0;
}
