/* Persistent namespaces: bind mounts of /proc/<helper>/ns/<file> onto existing files. */
#ifndef NSBOX_PERSIST_H
#define NSBOX_PERSIST_H

#include "helper.h"

/* Step 2: fork the bind child when the binds must be made from the original namespaces. */
void persist_prepare(struct helper *h);
/* Step 8: make the binds (through the bind child, or directly). */
void persist_apply(struct helper *h);

#endif
