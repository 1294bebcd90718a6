#include "rootfs.h"

#include "rt.h"

#include "binds.h"
#include "util.h"

#define PSEUDO_FS_FLAGS (MS_NOSUID | MS_NOEXEC | MS_NODEV)

/* The device nodes of a minimal /dev, as bubblewrap's --dev. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* /dev links into /proc/self, which the fresh proc resolves to the opening process. */
static const char *const dev_links[][2] = {
	{ "/proc/self/fd", "dev/fd" },
	{ "/proc/self/fd/0", "dev/stdin" },
	{ "/proc/self/fd/1", "dev/stdout" },
	{ "/proc/self/fd/2", "dev/stderr" },
	{ "pts/ptmx", "dev/ptmx" },
};

static void mkdir_existing_ok(struct helper *h, const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die_errno(h, "rootfs-mkdir", path, NULL);
}

/* "<a>/<b>" in a fresh buffer (NUL-terminated). */
static void path_join(struct buf *out, const char *a, const char *b)
{
	buf_puts(out, a);
	buf_putc(out, '/');
	buf_puts(out, b);
	buf_putc(out, '\0');
}

/*
 * The overlay: lowerdir is the rootfs, reached as "." (our cwd) so that its path never has to
 * be spelled in the option string, and so that a tmpfs mounted over the rootfs path can hold
 * the upper and work directories and the mount point. The rootfs itself is never written.
 * Returns the mount point (heap), which becomes the new root.
 */
static char *overlay_mount(struct helper *h, int rootfd)
{
	const struct spec *s = h->spec;
	bool on_tmpfs = strcmp(s->overlay, "tmpfs") == 0;
	const char *base = on_tmpfs ? s->rootfs : s->overlay;
	struct buf upper = { 0 }, work = { 0 }, target = { 0 }, opts = { 0 };

	if (fchdir(rootfd) < 0)
		die_errno(h, "chdir", s->rootfs, NULL);
	if (on_tmpfs && mount("tmpfs", s->rootfs, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die_errno(h, "mount", s->rootfs, NULL);
	path_join(&upper, base, "upper");
	path_join(&work, base, "work");
	mkdir_existing_ok(h, upper.data);
	mkdir_existing_ok(h, work.data);
	/* With a given upper dir the overlay covers the rootfs path itself (the lower is our cwd). */
	if (on_tmpfs) {
		path_join(&target, base, "root");
		mkdir_existing_ok(h, target.data);
	} else {
		buf_puts(&target, s->rootfs);
		buf_putc(&target, '\0');
	}
	buf_puts(&opts, "lowerdir=.,upperdir=");
	buf_puts(&opts, upper.data);
	buf_puts(&opts, ",workdir=");
	buf_puts(&opts, work.data);
	buf_putc(&opts, '\0');
	if (mount("overlay", target.data, "overlay", 0, opts.data) < 0)
		die_errno(h, "overlay", target.data, NULL);
	buf_free(&upper);
	buf_free(&work);
	buf_free(&opts);
	return target.data;
}

/* The new root as a mount of its own (pivot_root needs one), and our cwd. */
static void root_mount(struct helper *h)
{
	const struct spec *s = h->spec;
	int rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *target = NULL;

	if (rootfd < 0)
		die_errno(h, "open", s->rootfs, NULL);
	if (s->overlay) {
		target = overlay_mount(h, rootfd);
	} else if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
		die_errno(h, "bind", s->rootfs, s->rootfs);
	}
	/* chdir by path, not fchdir: the path now leads to the top mount, the fd to what is under it. */
	if (chdir(target ? target : s->rootfs) < 0)
		die_errno(h, "chdir", target ? target : s->rootfs, NULL);
	close(rootfd);
	free(target);
}

static void mount_proc(struct helper *h)
{
	mkdir_existing_ok(h, "proc");
	/* We are in the new pid namespace (spec.c requires one): this proc shows only its processes. */
	if (mount("proc", "proc", "proc", PSEUDO_FS_FLAGS, NULL) < 0)
		die_errno(h, "mount", "/proc", NULL);
}

/* An empty file to bind a host device node on (mknod is not allowed in a user namespace). */
static void bind_dev_node(struct helper *h, const char *name)
{
	struct buf src = { 0 }, dst = { 0 };
	int fd;

	path_join(&src, "/dev", name);
	path_join(&dst, "dev", name);
	fd = open(dst.data, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0)
		die_errno(h, "rootfs-mkdir", dst.data, NULL);
	close(fd);
	if (mount(src.data, dst.data, NULL, MS_BIND, NULL) < 0)
		die_errno(h, "bind", src.data, dst.data);
	buf_free(&src);
	buf_free(&dst);
}

/*
 * A minimal /dev on a tmpfs, as bubblewrap's --dev: the host's harmless nodes bound in (the
 * same way as root and rootless, so both behave alike), a private devpts instance with its
 * ptmx, a tmpfs /dev/shm, and the fd/std* links.
 */
static void mount_dev(struct helper *h)
{
	mkdir_existing_ok(h, "dev");
	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID, "mode=0755") < 0)
		die_errno(h, "mount", "/dev", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		bind_dev_node(h, dev_nodes[i]);
	mkdir_existing_ok(h, "dev/pts");
	/* newinstance: ptys of the container are not the host's; no gid= (5 may be unmapped). */
	if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=620") < 0)
		die_errno(h, "mount", "/dev/pts", NULL);
	mkdir_existing_ok(h, "dev/shm");
	if (mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		die_errno(h, "mount", "/dev/shm", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0)
			die_errno(h, "rootfs-mkdir", dev_links[i][1], NULL);
}

/*
 * /sys, read-only. With a network namespace of our own, a fresh sysfs (it shows that
 * namespace's interfaces, not the host's); the kernel allows it when that namespace belongs to
 * our user namespace (or we are root), and refuses with EPERM otherwise. Else, and with the
 * host's network, the host's /sys bound read-only, which works in every case.
 */
static void mount_sys(struct helper *h)
{
	struct bind b = { .mode = BIND_RO, .src = "/sys", .dst = "sys" };

	if (h->spec->clone_flags & CLONE_NEWNET) {
		mkdir_existing_ok(h, "sys");
		if (mount("sysfs", "sys", "sysfs", PSEUDO_FS_FLAGS | MS_RDONLY, NULL) == 0)
			return;
		if (errno != EPERM)
			die_errno(h, "mount", "/sys", NULL);
	}
	bind_one(h, &b);
}

static void mount_tmp(struct helper *h)
{
	mkdir_existing_ok(h, "tmp");
	if (mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		die_errno(h, "mount", "/tmp", NULL);
}

/*
 * Destinations inside the new root are resolved *in* it: a symlink in the rootfs (`tmp -> /etc`,
 * `mnt -> ../../../../etc`) must lead to the rootfs's /etc, never to the host's, which is what
 * a plain path would do before pivot_root. openat2(2) with RESOLVE_IN_ROOT treats the rootfs as
 * "/" for absolute links and "..", and RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd-style jumps.
 * The mount is then made on the O_PATH fd, through /proc/self/fd/N (the kernel follows that link
 * to the very dentry we resolved), so no second path walk can be redirected.
 */
struct nsbox_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define NSBOX_RESOLVE_NO_MAGICLINKS 0x02
#define NSBOX_RESOLVE_IN_ROOT 0x10
#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

/* Room for "/proc/self/fd/<int>". */
#define FD_PATH_MAX 32

static int open_in_root(int rootfd, const char *path)
{
	struct nsbox_open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = NSBOX_RESOLVE_IN_ROOT | NSBOX_RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, (long)rootfd, (long)path, (long)&how, (long)sizeof(how));
}

static void fd_path(char *buf, int fd)
{
	static const char pre[] = "/proc/self/fd/";

	memcpy(buf, pre, sizeof(pre) - 1);
	buf[sizeof(pre) - 1 + fmt_u64(buf + sizeof(pre) - 1, (uint64_t)fd)] = '\0';
}

/*
 * An O_PATH fd on `rel` (a scratch copy, relative to the new root), created if missing: missing
 * parents as directories (0755), the last component as a directory or an empty 0644 file. A
 * component is only ever created with mkdirat/openat in a directory resolved in the root, and
 * never through a symbolic link (O_NOFOLLOW: a dangling link is refused, not written through).
 */
static int resolve_or_create(struct helper *h, int rootfd, char *rel, bool dir, const char *dst)
{
	int fd = open_in_root(rootfd, rel), parent = rootfd;
	char *slash, *name = rel;

	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		die_errno(h, "rootfs-mkdir", dst, NULL);
	slash = strrchr(rel, '/');
	if (slash) {
		*slash = '\0';
		parent = resolve_or_create(h, rootfd, rel, true, dst);
		*slash = '/';
		name = slash + 1;
	}
	if (dir) {
		if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
			die_errno(h, "rootfs-mkdir", dst, NULL);
	} else {
		fd = openat(parent, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd < 0 && errno == ELOOP)
			die(h, 1, "rootfs-dangling", 0, dst, NULL);
		if (fd < 0)
			die_errno(h, "rootfs-mkdir", dst, NULL);
		close(fd);
	}
	if (parent != rootfd)
		close(parent);
	fd = open_in_root(rootfd, rel);
	/* Still missing after EEXIST: `name` is a symlink to nowhere (it is not written through). */
	if (fd < 0 && errno == ENOENT)
		die(h, 1, "rootfs-dangling", 0, dst, NULL);
	if (fd < 0)
		die_errno(h, "rootfs-mkdir", dst, NULL);
	return fd;
}

/* "a//b/" -> "a/b": empty components would make mkdirat(parent, "") fail. */
static char *relative_copy(struct helper *h, const char *dst)
{
	size_t len = strlen(dst), n = 0;
	char *rel = malloc(len + 2);

	if (!rel)
		die_errno(h, "rootfs-mkdir", dst, NULL);
	for (size_t i = 0; i < len; i++)
		if (dst[i] != '/' || (n > 0 && rel[n - 1] != '/'))
			rel[n++] = dst[i];
	while (n > 0 && rel[n - 1] == '/')
		n--;
	if (n == 0)
		rel[n++] = '.';
	rel[n] = '\0';
	return rel;
}

/* One bind or tmpfs of the spec, its destination resolved in the new root. */
static void user_mount(struct helper *h, int rootfd, const struct bind *b)
{
	bool dir = b->mode == BIND_TMPFS || bind_source_is_dir(h, b);
	char *rel = relative_copy(h, b->dst);
	char path[FD_PATH_MAX];
	int fd = resolve_or_create(h, rootfd, rel, dir, b->dst);

	fd_path(path, fd);
	if (b->mode == BIND_TMPFS) {
		tmpfs_mount_at(h, b, path);
	} else {
		bind_mount_at(h, b, path);
		/* The fd still names the dentry under the new mount: resolve again to reach its top. */
		close(fd);
		fd = open_in_root(rootfd, rel);
		if (fd < 0)
			die_errno(h, "bind-remount", b->dst, NULL);
		fd_path(path, fd);
		bind_restrict(h, b, path);
	}
	close(fd);
	free(rel);
}

/* The spec's binds and tmpfs mounts, in order, inside the new root (our cwd). */
static void user_mounts(struct helper *h)
{
	int rootfd;

	if (h->spec->nbinds == 0)
		return;
	rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die_errno(h, "open", h->spec->rootfs, NULL);
	for (size_t i = 0; i < h->spec->nbinds; i++)
		user_mount(h, rootfd, &h->spec->binds[i]);
	close(rootfd);
}

/*
 * /proc, /dev, /sys and /tmp are mounted by name in the new root: a symbolic link there would
 * put the mount wherever it points, against the host's root (pivot_root has not happened yet).
 * Refused, with the path named; a rootfs needs real directories (or none) there.
 */
static void refuse_symlinked_mount_points(struct helper *h)
{
	static const char *const points[][2] = {
		{ "proc", "/proc" }, { "dev", "/dev" }, { "sys", "/sys" }, { "tmp", "/tmp" },
	};
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
		if (fstatat(AT_FDCWD, points[i][0], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			die(h, 1, "rootfs-symlink", 0, points[i][1], NULL);
	}
}

/*
 * pivot_root(".", "."): the old root ends up mounted on top of the new one, where a lazy
 * unmount takes it away for good; unlike chroot, no path leads back to it, not even `..` from
 * a directory fd opened before. Then "/" is re-entered so the cwd is the new root's top.
 */
static void switch_root(struct helper *h)
{
	if (syscall(SYS_pivot_root, (long)".", (long)".") < 0)
		die_errno(h, "pivot-root", h->spec->rootfs, NULL);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno(h, "umount-oldroot", NULL, NULL);
	if (chdir("/") < 0)
		die_errno(h, "chdir", "/", NULL);
}

/* Only the root mount itself: /proc, /dev, /tmp and the binds keep their own flags. */
static void root_readonly(struct helper *h)
{
	/* Locked flags in a user namespace must be repeated, or the remount is refused. */
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | mount_locked_flags(h, "/", "rootfs-ro");

	if (mount("none", "/", NULL, flags, NULL) < 0)
		die_errno(h, "rootfs-ro", NULL, NULL);
}

void rootfs_apply(struct helper *h)
{
	const struct spec *s = h->spec;
	const char *wd = s->wd ? s->wd : "/";

	if (!s->rootfs)
		return;
	root_mount(h);
	refuse_symlinked_mount_points(h);
	mount_proc(h);
	mount_dev(h);
	mount_sys(h);
	mount_tmp(h);
	user_mounts(h);
	switch_root(h);
	if (s->rootro)
		root_readonly(h);
	if (chdir(wd) < 0)
		die_errno(h, "chdir", wd, NULL);
}
