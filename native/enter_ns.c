#include "enter_ns.h"
#include "util.h"

#include "rt.h"

/* util-linux's names (its namespace_files[]): the ones its messages print. */
static const char *const ns_names[NS_KIND_COUNT] = {
	[NS_USER] = "ns/user", [NS_CGROUP] = "ns/cgroup", [NS_IPC] = "ns/ipc", [NS_UTS] = "ns/uts",
	[NS_NET] = "ns/net",   [NS_PID] = "ns/pid",       [NS_MNT] = "ns/mnt", [NS_TIME] = "ns/time",
};

const char *enter_ns_name(int kind)
{
	return ns_names[kind];
}

/* open(2) of a namespace file (or directory of the target), failing as util-linux words it. */
static int open_or_die(struct helper *h, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno(h, "open", path, NULL);
	return fd;
}

/* The target's /proc/PID/ns/<kind> entry, opened. */
static int open_target_ns(struct helper *h, pid_t target, const char *name)
{
	char path[PROC_PATH_MAX];

	proc_path(path, target, name);
	return open_or_die(h, path);
}

/*
 * `userparent`: the parent of the user namespace we would join (the given file, or the
 * target's), found with NS_GET_USERNS; it replaces the user namespace to join.
 */
static void open_user_parent(struct helper *h, struct enter_spec *es)
{
	struct join *user = &es->join[NS_USER];
	int fd, parent;

	fd = user->fd >= 0 ? user->fd : open_target_ns(h, es->target, ns_names[NS_USER]);
	parent = ioctl(fd, NS_GET_USERNS);
	if (parent < 0)
		die_errno(h, "userns-parent", NULL, NULL);
	close(fd);
	user->fd = parent;
	user->enabled = true;
	user->by_pidfd = false;
}

/*
 * `netsocket`: the network namespace of one of the target's sockets. pidfd_getfd(2) copies
 * the socket into our table (it needs ptrace access to the target), SIOCGSKNS opens its
 * namespace; the copy is closed right away.
 */
static void open_socket_netns(struct helper *h, struct enter_spec *es, int pidfd)
{
	struct join *net = &es->join[NS_NET];
	char num[2][24];
	int own = -1, sk, nsfd;

	if (pidfd < 0) {
		own = pidfd = (int)syscall(SYS_pidfd_open, (long)es->target, 0L);
		if (pidfd < 0) {
			fmt_u64(num[0], (uint64_t)es->target);
			die_errno(h, "pidfd-open", num[0], NULL);
		}
	}
	sk = (int)syscall(SYS_pidfd_getfd, (long)pidfd, (long)es->netsocket, 0L);
	if (sk < 0) {
		fmt_u64(num[0], (uint64_t)pidfd);
		fmt_u64(num[1], (uint64_t)es->netsocket);
		die_errno(h, "pidfd-getfd", num[0], num[1]);
	}
	nsfd = ioctl(sk, SIOCGSKNS);
	if (nsfd < 0) {
		fmt_u64(num[0], (uint64_t)sk);
		die_errno(h, "sk-netns", num[0], NULL);
	}
	/* pidfd_getfd(2) sets close-on-exec on the copy; the namespace fd needs it too. */
	if (fcntl(nsfd, F_SETFD, (long)FD_CLOEXEC) < 0)
		die_errno(h, "open", "SIOCGSKNS", NULL);
	close(sk);
	if (own >= 0)
		close(own);
	if (net->fd >= 0)
		close(net->fd);
	net->fd = nsfd;
	net->enabled = true;
	net->by_pidfd = false;
}

/*
 * `PID:inode` (util-linux HEAD): the pid must still name the process whose pidfd has that
 * inode (pidfs gives every process a unique one), so a recycled pid is refused. The pidfd
 * then serves the joins too.
 */
static int open_checked_pidfd(struct helper *h, const struct enter_spec *es)
{
	char ino[24], pid[24];
	struct stat st;
	int pidfd = (int)syscall(SYS_pidfd_open, (long)es->target, 0L);

	if (pidfd < 0)
		die_errno(h, "pidfd-target", NULL, NULL);
	if (fstatat(pidfd, "", &st, AT_EMPTY_PATH) < 0)
		die_errno(h, "pidfd-target", NULL, NULL);
	if ((uint64_t)st.st_ino != es->target_ino) {
		fmt_u64(ino, es->target_ino);
		fmt_u64(pid, (uint64_t)es->target);
		die(h, 1, "pidfd-ino", 0, ino, pid);
	}
	return pidfd;
}

int enter_ns_open(struct helper *h, struct enter_spec *es)
{
	bool want_pidfd = false;
	int pidfd = -1;

	for (int k = 0; k < NS_KIND_COUNT; k++)
		if (es->join[k].enabled && !es->join[k].path)
			want_pidfd = true;
	/*
	 * As util-linux HEAD (`pidfd`, decided by the TS side from the kernel version: setns(2)
	 * takes a pidfd since 5.8): the target's namespaces are joined through a pidfd, which
	 * names the process rather than paths under /proc, so no path lookup can be changed by a
	 * mount namespace joined in pass 1. If the pidfd cannot be had (the process is gone, say),
	 * the /proc/PID/ns files are opened instead and their errors reported, as util-linux does.
	 */
	if (es->target_ino)
		pidfd = open_checked_pidfd(h, es);
	else if (want_pidfd && es->pidfd)
		pidfd = (int)syscall(SYS_pidfd_open, (long)es->target, 0L);
	for (int k = 0; k < NS_KIND_COUNT; k++) {
		struct join *j = &es->join[k];

		if (!j->enabled)
			continue;
		if (j->path)
			j->fd = open_or_die(h, j->path);
		else if (pidfd >= 0 && es->pidfd)
			j->by_pidfd = true;
		else
			j->fd = open_target_ns(h, es->target, ns_names[k]);
	}
	return pidfd;
}

void enter_ns_open_derived(struct helper *h, struct enter_spec *es, int pidfd)
{
	if (es->userparent)
		open_user_parent(h, es);
	if (es->netsocket >= 0)
		open_socket_netns(h, es, pidfd);
}

static int join_one(const struct enter_spec *es, int k, int pidfd)
{
	const struct join *j = &es->join[k];

	return setns(j->by_pidfd ? pidfd : j->fd, ns_kinds[k].clone_flag);
}

void enter_ns_join(struct helper *h, struct enter_spec *es, int pidfd)
{
	/*
	 * Two passes, as util-linux: pass 1 joins everything but the user namespace and ignores
	 * failures; pass 2 joins what is left, user namespace included, and fails on any error.
	 * A privileged caller thus drops its privilege last (the user namespace after the
	 * others), and an unprivileged one gains it first (the others fail in pass 1, then work
	 * once the user namespace that owns them has been joined).
	 */
	for (int pass = 1; pass <= 2; pass++) {
		for (int k = 0; k < NS_KIND_COUNT; k++) {
			struct join *j = &es->join[k];

			if (!j->enabled || (pass == 1 && k == NS_USER))
				continue;
			if (join_one(es, k, pidfd) < 0) {
				if (pass == 2)
					die_errno(h, "setns", ns_names[k], NULL);
				continue;
			}
			/* Joined: the fd is a way back to where it came from; drop it at once. */
			if (j->fd >= 0)
				close(j->fd);
			j->fd = -1;
			j->enabled = false;
			es->base.clone_flags |= ns_kinds[k].clone_flag;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
}
