/*
 * The steps `nsbox run` adds to util-linux's (docs/PROTOCOL.md §2): unshare(2) with "try"
 * namespaces that may be left out, the hostname of a new UTS namespace, and the loopback
 * interface of a new network namespace.
 */
#ifndef NSBOX_SANDBOX_H
#define NSBOX_SANDBOX_H

#include "helper.h"
#include "spec.h"

/*
 * Step 4: unshare(2). When the kernel refuses and some namespaces are `tryns`, retries without
 * them (cgroup-like ones first, then all), reports each one left out as a `D` line, and
 * forgets what only the left-out user namespace needed (its self-written maps).
 */
void unshare_apply(struct helper *h, struct spec *spec);

/* Step 12a: sethostname(2) in the new UTS namespace. */
void hostname_apply(struct helper *h);

/* Step 12b: `lo` up in the new network namespace. */
void loopback_apply(struct helper *h);

#endif
