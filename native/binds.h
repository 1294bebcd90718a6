/* Bind mounts (`bind=`/`bindsrc=`/`binddst=`, docs/PROTOCOL.md §1), step 13a of §2. */
#ifndef NSBOX_BINDS_H
#define NSBOX_BINDS_H

#include "helper.h"

/*
 * In spec order, after the propagation of / was made private (so nothing reaches the host)
 * and before the chroot and /proc: each source is bound recursively on its destination
 * (created if missing), then `ro` and `rw` binds are made nodev, and `ro` binds read-only.
 */
void binds_apply(struct helper *h);

/*
 * One entry: a bind (destination created if missing, then restricted by its mode) or a
 * tmpfs. The destination may be relative (rootfs mode: to the new root, our cwd).
 */
void bind_one(struct helper *h, const struct bind *b);

/*
 * Does `path` go through a symbolic link that somebody else planted in a sticky world-writable
 * directory (/tmp and the like)? The rule of the kernel's fs.protected_symlinks (a link there is
 * followed only if it belongs to us or to the directory's owner), applied even where that sysctl
 * is off, to the paths nsbox creates or mounts on outside a rootfs. True (errno EACCES): refuse.
 */
bool planted_symlink(const char *path);

/*
 * The pieces of bind_one(), for rootfs.c, which resolves destinations itself: `path` is what
 * the syscalls act on (a /proc/self/fd/N link), `b->dst` what messages name.
 */
bool bind_source_is_dir(struct helper *h, const struct bind *b);
void bind_mount_at(struct helper *h, const struct bind *b, const char *path);
/* `ro`/`rw`: remount nodev (and read-only), extended to submounts; `path` is the bind's top. */
void bind_restrict(struct helper *h, const struct bind *b, const char *path);
void tmpfs_mount_at(struct helper *h, const struct bind *b, const char *path);

/*
 * The nosuid/nodev/noexec flags of the mount at `path`, which a remount inside a user namespace
 * must repeat (the kernel locks them); `step` names a statfs failure.
 */
unsigned long mount_locked_flags(struct helper *h, const char *path, const char *step);

#endif
