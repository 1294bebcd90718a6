/* Decoding of the nsinfo-mode records (docs/PROTOCOL.md §6); see nsinfo_spec.h. */
#include "nsinfo_spec.h"

#include "rt.h"

#include "util.h"

static bool parse_record(const char *arg, const char *key, int *out)
{
	size_t n = strlen(key);
	uint64_t v;

	if (strncmp(arg, key, n) != 0 || arg[n] != '=' || !parse_u64(arg + n + 1, 0, INT32_MAX, &v))
		return false;
	*out = (int)v;
	return true;
}

const char *nsinfo_spec_parse(struct nsinfo_spec *ns, int argc, char **argv)
{
	int netnsid = 0, i;

	ns->report_fd = -1;
	ns->keepfds = -1;
	ns->netnsid = false;
	ns->first_path = argc;
	/* argv[1] is the tag; then exactly report= and keepfds= (either order), then `--`. */
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (ns->report_fd < 0 && parse_record(argv[i], "report", &ns->report_fd))
			continue;
		if (ns->keepfds < 0 && parse_record(argv[i], "keepfds", &ns->keepfds) && ns->keepfds >= 3)
			continue;
		if (parse_record(argv[i], "netnsid", &netnsid) && netnsid == 1)
			continue;
		return argv[i];
	}
	if (i >= argc)
		return "--";
	if (ns->report_fd < 0)
		return "report=";
	if (ns->keepfds < 0)
		return "keepfds=";
	ns->netnsid = netnsid != 0;
	ns->first_path = i + 1;
	return NULL;
}
