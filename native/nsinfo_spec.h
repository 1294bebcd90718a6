/*
 * The decoded nsinfo-mode command line (docs/PROTOCOL.md §6). Decoding is a pure function of
 * argv (no system call), so that it can be fuzzed in-process (fuzz/nsinfo_spec_fuzz.c).
 */
#ifndef NSBOX_NSINFO_SPEC_H
#define NSBOX_NSINFO_SPEC_H

#include "rt.h"

struct nsinfo_spec {
	int report_fd;
	int keepfds;
	bool netnsid;
	int first_path; /* argv index of the first namespace file (== argc: none) */
};

/* Like spec_parse(): NULL on success, or the offending record ("--", "report=", "keepfds="). */
const char *nsinfo_spec_parse(struct nsinfo_spec *ns, int argc, char **argv);

#endif
