/* Time namespace clock offsets. */
#ifndef NSBOX_TIMENS_H
#define NSBOX_TIMENS_H

#include "helper.h"

/* Step 6: boottime, then monotonic, into /proc/self/timens_offsets. */
void timens_apply(struct helper *h);

#endif
