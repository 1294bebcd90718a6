/* Rootfs mode (`rootfs=`, `overlay=`, `rootro=`; docs/PROTOCOL.md §1, step 13b of §2). */
#ifndef NSBOX_ROOTFS_H
#define NSBOX_ROOTFS_H

#include "helper.h"

/*
 * After the propagation of / was made private: the rootfs (or an overlay on it) becomes a
 * mount of its own, /proc, /dev, /sys and /tmp are mounted in it, then the binds and tmpfs
 * mounts in spec order; pivot_root(2) makes it the root, the old root is detached, the root
 * is remounted read-only if asked, and the working directory set. Nothing of the host's file
 * system stays reachable: no fd, no cwd, no mount.
 */
void rootfs_apply(struct helper *h);

#endif
