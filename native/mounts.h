/* Mount namespace steps, in util-linux order (PROTOCOL §2 steps 13-17). */
#ifndef NSBOX_MOUNTS_H
#define NSBOX_MOUNTS_H

#include "helper.h"

/* Step 13: recursive propagation of / in the new mount namespace. */
void propagation_apply(struct helper *h);
/* Step 14: an interpreter with the `F` flag and a new root is registered before the chroot. */
void binfmt_fixed_apply(struct helper *h);
/* Step 15: chroot(2) and chdir(2). */
void root_apply(struct helper *h);
/* Step 16: a fresh proc. */
void procmount_apply(struct helper *h);
/* Step 17: binfmt_misc and the interpreter (the non-`F` case). */
void binfmt_apply(struct helper *h);

#endif
