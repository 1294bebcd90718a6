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
 * A destination to be created is refused when its path goes through a symbolic link that
 * somebody else planted in a sticky world-writable directory (/tmp and the like): the rule of
 * the kernel's fs.protected_symlinks, applied even where that sysctl is off. Without it, a
 * root caller binding on /tmp/x/y could be made to create directories and files wherever
 * another user's link /tmp/x points. (An ordinary caller is safe anyway: the kernel lets it
 * create only where it may write.)
 */
bool planted_symlink(const char *dst)
{
	size_t len = strlen(dst);
	char *path = malloc(len + 1);
	uid_t me = geteuid();
	bool planted = false;

	/* No memory: say "refused", the caller's error path reports ENOMEM. */
	if (!path)
		return true;
	memcpy(path, dst, len + 1);
	for (size_t i = 1; i <= len && !planted; i++) {
		struct stat link, dir;
		char saved = path[i];
		char *slash;

		if (saved != '/' && saved != '\0')
			continue;
		path[i] = '\0';
		if (fstatat(AT_FDCWD, path, &link, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link.st_mode)) {
			/* The directory holding the link: before its last '/' ("." for a relative name). */
			slash = strrchr(path, '/');
			if (slash)
				*slash = '\0';
			if (stat(!slash ? "." : slash == path ? "/" : path, &dir) == 0 &&
			    (dir.st_mode & S_ISVTX) && (dir.st_mode & S_IWOTH) && link.st_uid != me &&
			    link.st_uid != dir.st_uid) {
				errno = EACCES;
				planted = true;
			}
			if (slash)
				*slash = '/';
		}
		path[i] = saved;
	}
	free(path);
	return planted;
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
	if (b->dst[0] == '/' && planted_symlink(b->dst))
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
void bind_restrict(struct helper *h, const struct bind *b, const char *path)
{
	bool ro = b->mode == BIND_RO;
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_NODEV | (ro ? MS_RDONLY : 0);
	struct bind_mount_attr attr;

	if (b->mode == BIND_DEV)
		return;
	if (mount("none", path, NULL, flags | mount_locked_flags(h, path, "bind-remount"), NULL) < 0)
		die_errno(h, "bind-remount", b->dst, NULL);
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0);
	if (syscall(SYS_mount_setattr, (long)AT_FDCWD, (long)path, (long)AT_RECURSIVE, (long)&attr,
		    (long)sizeof(attr)) < 0 && errno != ENOSYS)
		die_errno(h, "bind-remount", b->dst, NULL);
}

void tmpfs_mount_at(struct helper *h, const struct bind *b, const char *path)
{
	struct buf opts = { 0 };

	buf_puts(&opts, "mode=0755");
	if (b->size) {
		buf_puts(&opts, ",size=");
		buf_put_u64(&opts, b->size);
	}
	buf_putc(&opts, '\0');
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts.data) < 0)
		die_errno(h, "mount", b->dst, NULL);
	buf_free(&opts);
}

bool bind_source_is_dir(struct helper *h, const struct bind *b)
{
	struct stat st;

	if (stat(b->src, &st) < 0)
		die_errno(h, "bind-source", b->src, NULL);
	return S_ISDIR(st.st_mode);
}

void bind_mount_at(struct helper *h, const struct bind *b, const char *path)
{
	/* MS_REC: the mounts under the source come along, as with bubblewrap's binds. */
	if (mount(b->src, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno(h, "bind", b->src, b->dst);
}

void bind_one(struct helper *h, const struct bind *b)
{
	if (b->mode == BIND_TMPFS) {
		make_destination(h, b, true);
		tmpfs_mount_at(h, b, b->dst);
		return;
	}
	make_destination(h, b, bind_source_is_dir(h, b));
	bind_mount_at(h, b, b->dst);
	bind_restrict(h, b, b->dst);
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
