/*
 * A new network namespace made beside the program's setup instead of before it (issue 5's
 * start-up budget): unshare(CLONE_NEWNET) is the single most expensive step of a sandbox
 * (~0.4 ms on a 6.18 kernel, all the pernet init of every protocol), and nothing before the
 * program's /sys mount needs it. So with a forked child the helper creates it in the parent
 * while the child writes its maps and mounts, and hands it over on the status socket.
 */
#ifndef NSBOX_NETNS_H
#define NSBOX_NETNS_H

#include "helper.h"
#include "spec.h"

/*
 * Whether this spec's network namespace is made late (step 4's unshare(2) then leaves it out).
 * Only with fork (there is a parent to make it) and not as a try namespace (the retries of
 * step 4 need every flag in one call to say which namespace was refused).
 */
void netns_defer(struct helper *h);

/* Parent, right after the fork: the namespace, `lo` up in it, and its fd sent to the child. */
void netns_create_late(struct helper *h, int chan, int nsdir);

/* Child: join the parent's new namespace (no-op when not deferred or already joined). */
void netns_join_late(struct helper *h);

#endif
