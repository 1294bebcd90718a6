#include "mounts.h"

#include "rt.h"

#include "util.h"

#define BINFMT_DEFAULT "/proc/sys/fs/binfmt_misc"
#define PSEUDO_FS_FLAGS (MS_NOSUID | MS_NOEXEC | MS_NODEV)

void propagation_apply(struct helper *h)
{
	const struct spec *s = h->spec;

	/*
	 * A new mount namespace starts as a copy whose mounts still propagate to and from the
	 * host's peer groups; private (the default) cuts that link. Without a new mount namespace
	 * this would change the host's mounts, so it is skipped (util-linux ignores it silently).
	 */
	if (!(s->clone_flags & CLONE_NEWNS) || s->propagation == 0)
		return;
	if (mount("none", "/", NULL, s->propagation, NULL) < 0)
		die_errno(h, "propagation", NULL, NULL);
}

/* The interpreter's flags are after its last ':'; `F` makes the kernel open it at once. */
static bool interp_is_fixed(const char *interp)
{
	const char *flags = strrchr(interp, ':');

	return flags && strchr(flags, 'F');
}

static void mount_binfmt(struct helper *h, const char *target)
{
	if (mount("binfmt_misc", target, "binfmt_misc", PSEUDO_FS_FLAGS, NULL) < 0)
		die_errno(h, "mount", target, NULL);
}

/* Writes the interpreter string to <dir>/register; the directory is opened first, as util-linux. */
static void load_interp(struct helper *h, const char *dir, const char *interp)
{
	struct buf reg = { 0 };
	int dirfd, fd;

	buf_puts(&reg, dir);
	buf_puts(&reg, "/register");
	buf_putc(&reg, '\0');
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		die_errno(h, "open", dir, NULL);
	fd = openat(dirfd, "register", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(h, "open", reg.data, NULL);
	if (write_all(fd, interp, strlen(interp)) < 0)
		die_errno(h, "write", reg.data, NULL);
	close(fd);
	close(dirfd);
	buf_free(&reg);
}

void binfmt_fixed_apply(struct helper *h)
{
	const struct spec *s = h->spec;

	/*
	 * With `F` the kernel opens the interpreter when it is registered, so registering before
	 * the chroot lets the new root use an interpreter that only exists outside it.
	 */
	if (!s->interp || !s->root || !interp_is_fixed(s->interp))
		return;
	mount_binfmt(h, BINFMT_DEFAULT);
	load_interp(h, BINFMT_DEFAULT, s->interp);
}

void root_apply(struct helper *h)
{
	const struct spec *s = h->spec;
	const char *wd = s->wd;

	/* Rootfs mode changed root and directory itself (rootfs.c). */
	if (s->rootfs)
		return;
	if (s->root) {
		if (chroot(s->root) < 0)
			die_errno(h, "chroot", s->root, NULL);
		/* The old cwd lies outside the new root: never leave the program there. */
		if (!wd)
			wd = "/";
	}
	if (wd && chdir(wd) < 0)
		die_errno(h, "chdir", wd, NULL);
}

void procmount_apply(struct helper *h)
{
	const struct spec *s = h->spec;

	if (!s->procmount)
		return;
	/*
	 * With the default propagation, step 13 already made every mount private, the old proc
	 * included. Otherwise the old proc may still be shared and our mount on top of it would
	 * propagate back to the host, so make it private first. A custom mount point that is not
	 * a mount yet gives EINVAL, which is harmless (util-linux ignores it too).
	 */
	if (!s->root && s->propagation != (MS_REC | MS_PRIVATE) &&
	    mount("none", s->procmount, NULL, MS_PRIVATE | MS_REC, NULL) < 0 && errno != EINVAL)
		die_errno(h, "proc-propagation", s->procmount, NULL);
	if (mount("proc", s->procmount, "proc", PSEUDO_FS_FLAGS, NULL) < 0)
		die_errno(h, "mount", s->procmount, NULL);
}

void binfmt_apply(struct helper *h)
{
	const struct spec *s = h->spec;

	if (s->binfmt)
		mount_binfmt(h, s->binfmt);
	if (s->interp && !(s->root && interp_is_fixed(s->interp)))
		load_interp(h, s->binfmt, s->interp);
}
