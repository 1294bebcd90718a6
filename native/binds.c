#include "binds.h"

#include "rt.h"

#include "util.h"

/* struct mount_attr of linux/mount.h, under our name: not every libc's headers have it. */
struct bind_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* mkdir -p: every missing directory of `path` (a scratch copy), mode 0755 as bubblewrap's. */
static int mkdir_parents(char *path, bool last_too)
{
	for (char *p = path + 1;; p++) {
		char saved = *p;

		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '\0' && !last_too)
			return 0;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = saved;
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

/*
 * The destination must exist and be of the source's kind: a directory for a directory, a
 * file for anything else (bind mounts need a mount point of the same kind). It is created in
 * the underlying file system, as the caller, and stays there after the run.
 */
static void make_destination(struct helper *h, const struct bind *b, bool src_is_dir)
{
	struct stat st;
	size_t len = strlen(b->dst);

	/* mkdir_parents() starts after the first byte: a relative path (rootfs mode) works too. */
	char *path;
	int fd;

	if (stat(b->dst, &st) == 0)
		return;
	if (errno != ENOENT)
		die_errno(h, "bind-dest", b->dst, NULL);
	path = malloc(len + 1);
	if (!path)
		die_errno(h, "bind-dest", b->dst, NULL);
	memcpy(path, b->dst, len + 1);
	if (mkdir_parents(path, src_is_dir) < 0)
		die_errno(h, "bind-dest", b->dst, NULL);
	free(path);
	if (src_is_dir)
		return;
	/* touch: O_EXCL is not needed, another process creating it first is just as good. */
	fd = open(b->dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		die_errno(h, "bind-dest", b->dst, NULL);
	close(fd);
}

/*
 * The flags a remount must keep. In a user namespace the kernel locks nosuid, nodev and
 * noexec of mounts that came from a more privileged namespace: a remount that drops one is
 * refused (EPERM). Atime flags are kept by the kernel when none is given.
 */
unsigned long mount_locked_flags(struct helper *h, const char *dst, const char *step)
{
	struct statfs sfs;
	unsigned long flags = 0;

	if (statfs(dst, &sfs) < 0)
		die_errno(h, step, dst, NULL);
	if (sfs.f_flags & NSBOX_ST_NOSUID)
		flags |= MS_NOSUID;
	if (sfs.f_flags & NSBOX_ST_NODEV)
		flags |= MS_NODEV;
	if (sfs.f_flags & NSBOX_ST_NOEXEC)
		flags |= MS_NOEXEC;
	return flags;
}

/*
 * `ro` and `rw` binds lose device access (nodev), `ro` ones write access, as bubblewrap's
 * --bind and --ro-bind. The remount changes the top mount; mount_setattr(2) with
 * AT_RECURSIVE then extends it to the mounts under it (a recursive bind brings them along).
 * Before Linux 5.12 there is no mount_setattr: submounts keep their own flags.
 */
static void restrict_bind(struct helper *h, const struct bind *b)
{
	bool ro = b->mode == BIND_RO;
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_NODEV | (ro ? MS_RDONLY : 0);
	struct bind_mount_attr attr;

	if (b->mode == BIND_DEV)
		return;
	if (mount("none", b->dst, NULL, flags | mount_locked_flags(h, b->dst, "bind-remount"), NULL) < 0)
		die_errno(h, "bind-remount", b->dst, NULL);
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0);
	if (syscall(SYS_mount_setattr, (long)AT_FDCWD, (long)b->dst, (long)AT_RECURSIVE, (long)&attr,
		    (long)sizeof(attr)) < 0 && errno != ENOSYS)
		die_errno(h, "bind-remount", b->dst, NULL);
}

/* A tmpfs (nosuid, nodev, mode 0755), with the size asked for. */
static void tmpfs_one(struct helper *h, const struct bind *b)
{
	struct buf opts = { 0 };

	make_destination(h, b, true);
	buf_puts(&opts, "mode=0755");
	if (b->size) {
		buf_puts(&opts, ",size=");
		buf_put_u64(&opts, b->size);
	}
	buf_putc(&opts, '\0');
	if (mount("tmpfs", b->dst, "tmpfs", MS_NOSUID | MS_NODEV, opts.data) < 0)
		die_errno(h, "mount", b->dst, NULL);
	buf_free(&opts);
}

void bind_one(struct helper *h, const struct bind *b)
{
	struct stat st;

	if (b->mode == BIND_TMPFS) {
		tmpfs_one(h, b);
		return;
	}
	if (stat(b->src, &st) < 0)
		die_errno(h, "bind-source", b->src, NULL);
	make_destination(h, b, S_ISDIR(st.st_mode));
	/* MS_REC: the mounts under the source come along, as with bubblewrap's binds. */
	if (mount(b->src, b->dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno(h, "bind", b->src, b->dst);
	restrict_bind(h, b);
}

void binds_apply(struct helper *h)
{
	/* In rootfs mode the destinations are inside the new root: rootfs.c mounts them there. */
	if (h->spec->rootfs)
		return;
	/* In order: a later bind may land inside an earlier one, as the user wrote them. */
	for (size_t i = 0; i < h->spec->nbinds; i++)
		bind_one(h, &h->spec->binds[i]);
}
