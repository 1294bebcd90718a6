/*
 * Enter mode: run one program in existing namespaces, as util-linux nsenter(1) would
 * (docs/PROTOCOL.md §5). The TS side has decided everything (which namespaces, whose, the
 * credentials, the environment, whether to fork); this follows util-linux's order:
 *
 *   open every namespace and directory first, join in two passes, then the root and working
 *   directories, the cgroup, the fork (pid namespace), the credentials, and exec.
 *
 * Security: once joined, the helper is inside somebody else's namespaces, with fds that lead
 * back out (the directories opened before the joins, the report fd) and a /proc/<pid>/exe
 * that is the helper binary itself. A process in there must not be able to use any of it
 * (CVE-2019-5736: a container overwriting runc through /proc/<runc>/exe). Hence:
 *  - PR_SET_DUMPABLE 0 before the first setns(2). A non-dumpable process can only be
 *    ptrace'd, and its /proc/<pid>/{exe,fd,cwd,root,environ,mem} only opened, with
 *    CAP_SYS_PTRACE in the user namespace of its memory map, which is the one the helper was
 *    exec'd in (the caller's), not the joined one: nobody inside holds that. The kernel keeps
 *    it 0 across our setuid/setgid; execve(2) of the program resets it for the program.
 *  - no fd to our own binary is ever opened, every fd is close-on-exec, and each is closed
 *    as soon as it has served (namespace fds right after their join);
 *  - the program is exec'd right after the joins; only with a pid namespace a parent stays
 *    (it must: setns(CLONE_NEWPID) applies to children), and that parent lives outside the
 *    joined pid namespace, holds nothing but its status pipes, and stays non-dumpable.
 */
#include "rt.h"

#include "enter.h"
#include "enter_ns.h"
#include "enter_spec.h"
#include "fds.h"
#include "helper.h"
#include "process.h"
#include "report.h"
#include "userns.h"
#include "util.h"

/* Directories and files opened before the joins, used after them. */
struct enter_fds {
	int root;
	int wd;
	int cgroup;
	int nsdir; /* our /proc/self/ns, for the `N` lines */
};

static noreturn void spec_error(int report_fd, const char *record)
{
	struct report out;

	if (report_fd < 0) {
		static const char pre[] = "nsbox-helper: invalid helper spec '";

		(void)write_all(2, pre, sizeof(pre) - 1);
		(void)write_all(2, record, strlen(record));
		(void)write_all(2, "'\n", 2);
		_exit(1);
	}
	report_init(&out, report_fd, -1);
	report_error(&out, "spec", 0, record, NULL);
	_exit(1);
}

/* `bindsrc`+`bindto` or `unbind`: persist() and unpersist() of the library. */
static noreturn void mount_action(struct helper *h, const struct enter_spec *es)
{
	if (es->unbind) {
		if (umount2(es->unbind, 0) < 0)
			die_errno(h, "unbind", es->unbind, NULL);
	} else if (mount(es->bindsrc, es->bindto, NULL, MS_BIND, NULL) < 0) {
		die_errno(h, "persist", es->bindsrc, es->bindto);
	}
	_exit(0);
}

/* Everything opened in the caller's namespaces: after the joins these paths mean other things. */
static void open_outside(struct helper *h, const struct enter_spec *es, struct enter_fds *f)
{
	f->root = f->wd = f->cgroup = -1;
	if (es->root && (f->root = open(es->root, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno(h, "open", es->root, NULL);
	if (es->wd && (f->wd = open(es->wd, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno(h, "open", es->wd, NULL);
	if (es->cgroup && (f->cgroup = open(es->cgroup, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		die_errno(h, "cgroup-open", NULL, NULL);
	/* Opened now: the joined mount namespace's /proc may not show us at all. */
	f->nsdir = report_open_ns_dir();
}

/*
 * The root "tunnel": chroot(2) to a directory opened before the joins, which may lie in
 * another mount namespace. Without a new working directory the old one is reopened first and
 * returned to afterwards (if a mount namespace was joined, that is its root directory).
 */
static void change_root(struct helper *h, const struct enter_spec *es, struct enter_fds *f)
{
	if (f->root < 0)
		return;
	if (f->wd < 0 && !es->wdns && (f->wd = open(".", O_RDONLY | O_CLOEXEC)) < 0)
		die_errno(h, "cwd-open", NULL, NULL);
	if (fchdir(f->root) < 0)
		die_errno(h, "root-fchdir", NULL, NULL);
	if (chroot(".") < 0)
		die_errno(h, "chroot-dot", NULL, NULL);
	if (chdir("/") < 0)
		die_errno(h, "chdir", "/", NULL);
	close(f->root);
	f->root = -1;
}

/* `wdns` (a path inside, after the chroot) or `wd` (a directory opened before the joins). */
static void change_wd(struct helper *h, const struct enter_spec *es, struct enter_fds *f)
{
	if (es->wdns && (f->wd = open(es->wdns, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno(h, "cwd-open", NULL, NULL);
	if (f->wd < 0)
		return;
	if (fchdir(f->wd) < 0)
		die_errno(h, "wd-fchdir", NULL, NULL);
	close(f->wd);
	f->wd = -1;
}

/* `cgroup`: move ourselves (and so the program) into the target's cgroup. */
static void join_cgroup(struct helper *h, struct enter_fds *f)
{
	char pid[24];
	size_t n;

	if (f->cgroup < 0)
		return;
	n = fmt_u64(pid, (uint64_t)getpid());
	if (write_all(f->cgroup, pid, n) < 0)
		die_errno(h, "cgroup-write", NULL, NULL);
	close(f->cgroup);
	f->cgroup = -1;
}

int enter_main(int argc, char **argv)
{
	static struct enter_spec es;
	struct helper h;
	struct enter_fds f;
	struct ns_inodes ns;
	const char *bad;
	bool groups_failed_early = false;
	int pidfd, chan = -1;
	pid_t child = 0;

	bad = enter_spec_parse(&es, argc, argv);
	if (bad)
		spec_error(es.base.report_fd, bad);
	memset(&h, 0, sizeof(h));
	memset(&ns, 0, sizeof(ns));
	h.spec = &es.base;
	h.pid = getpid();
	h.parent_pidfd = -1;
	report_init(&h.out, es.base.report_fd, -1);
	fds_keep(&h);
	pdeathsig_arm(&h);
	if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
		die_errno(&h, "signals", "sigaction", NULL);
	if (es.bindsrc || es.unbind)
		mount_action(&h, &es);
	/* Before anything is opened or joined: see the top of this file. */
	if (prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) < 0)
		die_errno(&h, "dumpable", NULL, NULL);

	/* Open everything while every path still means what the caller meant. */
	pidfd = enter_ns_open(&h, &es);
	open_outside(&h, &es, &f);
	enter_ns_open_derived(&h, &es, pidfd);
	if (es.dropgroups && setgroups(0, NULL) < 0)
		groups_failed_early = true;

	enter_ns_join(&h, &es, pidfd);
	change_root(&h, &es, &f);
	change_wd(&h, &es, &f);
	join_cgroup(&h, &f);

	if (!es.base.fork)
		report_collect_ns(&ns, f.nsdir, false);
	if (es.base.fork)
		child = program_fork(&h, &chan);
	if (child > 0) {
		/* The parent: pid_for_children is the program's pid namespace now. */
		report_collect_ns(&ns, f.nsdir, true);
		supervise(&h, child, chan, &ns);
	}
	if (es.base.fork && f.nsdir >= 0)
		close(f.nsdir);
	killchild_arm(&h);
	/*
	 * Credentials, as util-linux: with `dropgroups` (a user namespace joined without
	 * --preserve-credentials) setgroups(0) was tried before the joins and is tried again now;
	 * only failing both times is an error (the first works for root outside, the second for
	 * root in the joined namespace). Without it, a failing setgroups is ignored.
	 */
	ids_apply(&h, groups_failed_early);
	keepcaps_apply(&h);
	exec_program(&h, &ns);
}
