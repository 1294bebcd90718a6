/* Opening and joining existing namespaces (enter mode, docs/PROTOCOL.md §5). */
#ifndef NSBOX_ENTER_NS_H
#define NSBOX_ENTER_NS_H

#include "enter_spec.h"
#include "helper.h"

/* The namespace's name as util-linux prints it: "ns/uts", "ns/pid", ... */
const char *enter_ns_name(int kind);

/*
 * Opens the namespaces to join, before any of them is joined: the target's pidfd and the
 * namespace files. Returns the pidfd (-1 when none is used), which enter_ns_join() closes.
 */
int enter_ns_open(struct helper *h, struct enter_spec *es);

/* Then what is derived from those: the parent user namespace, a socket's net namespace. */
void enter_ns_open_derived(struct helper *h, struct enter_spec *es, int pidfd);

/* The two passes (user namespace last in pass 1, errors reported in pass 2); closes every fd. */
void enter_ns_join(struct helper *h, struct enter_spec *es, int pidfd);

#endif
