/* File descriptor hygiene. */
#ifndef NSBOX_FDS_H
#define NSBOX_FDS_H

#include "helper.h"

/* `keepfds`: every fd >= keepfds (and the report fd) becomes close-on-exec. */
void fds_keep(struct helper *h);

#endif
