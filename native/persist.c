#include "persist.h"
#include "binds.h"
#include "process.h"
#include "util.h"

#include "rt.h"

/*
 * Undoes the binds made before kind `failed`: a failed run leaves nothing behind (util-linux
 * leaves the earlier files mounted). Best effort: the failure being reported matters more.
 */
static void unbind_before(const struct spec *s, int failed)
{
	for (int k = 0; k < failed; k++)
		if (s->persist[k])
			(void)umount2(s->persist[k], MNT_DETACH);
}

/* Binds every requested namespace of process `pid`, in util-linux's order (user first). */
static void bind_all(struct helper *h, pid_t pid)
{
	const struct spec *s = h->spec;
	char src[PROC_PATH_MAX];

	for (int k = 0; k < NS_KIND_COUNT; k++) {
		if (!s->persist[k])
			continue;
		proc_path(src, pid, ns_kinds[k].nsfile);
		/* A link planted by another user in /tmp must not aim the bind at a file of ours. */
		if (planted_symlink(s->persist[k]) || mount(src, s->persist[k], NULL, MS_BIND, NULL) < 0) {
			int err = errno;

			unbind_before(s, k);
			errno = err;
			die_errno(h, "persist", src, s->persist[k]);
		}
	}
}

void persist_prepare(struct helper *h)
{
	const struct spec *s = h->spec;

	/*
	 * After unshare(CLONE_NEWNS) a bind would land in the new mount namespace, invisible to
	 * everybody else; after unshare(CLONE_NEWUSER) we lack the privilege to mount in the
	 * original one. So a child forked now, still in the original namespaces, makes the binds
	 * once we have unshared (util-linux >= 2.42 does this for both cases).
	 */
	if (!s->any_persist || !(s->clone_flags & (CLONE_NEWNS | CLONE_NEWUSER)))
		return;
	if (sync_child_fork(h, &h->bind) == 0) {
		bind_all(h, h->pid);
		_exit(0);
	}
}

void persist_apply(struct helper *h)
{
	struct buf line = { 0 };
	int code;

	if (!h->spec->any_persist)
		return;
	if (h->bind.pid <= 0) {
		/* Same mount namespace and enough privilege: bind from here. */
		bind_all(h, getpid());
		return;
	}
	code = sync_child_release(h, &h->bind, &line);
	if (line.len)
		die_relay(h, code ? code : 1, line.data, line.len);
	buf_free(&line);
	/* Killed without a word (SIGKILL, the OOM killer): say so. */
	if (h->bind.killed_by) {
		char num[21];

		fmt_u64(num, (uint64_t)h->bind.killed_by);
		die(h, code, "setup-died", 0, "signal", num);
	}
	if (code != 0)
		die(h, code, "wait", 0, NULL, NULL);
}
