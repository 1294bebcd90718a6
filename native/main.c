/*
 * nsbox-helper: runs one program in new Linux namespaces, as util-linux unshare(1) would.
 *
 * The TS side decides everything and passes the result as argv records (docs/PROTOCOL.md);
 * this program checks them, applies them in util-linux's order of operations, reports what it
 * did as status lines on the report fd, and execs the program. It is a fresh, single-threaded
 * process, which is what unshare(CLONE_NEWUSER) needs and what Node itself could never offer.
 */
#include "rt.h"

#include "binds.h"
#include "enter.h"
#include "fds.h"
#include "helper.h"
#include "init.h"
#include "mounts.h"
#include "nsinfo.h"
#include "persist.h"
#include "privileged.h"
#include "process.h"
#include "report.h"
#include "rootfs.h"
#include "sandbox.h"
#include "spec.h"
#include "timens.h"
#include "userns.h"
#include "util.h"

/* A bad spec: nothing has happened yet, so report it and stop. */
static noreturn void spec_error(const struct spec *spec, const char *record)
{
	struct report out;

	if (spec->report_fd < 0) {
		/* No usable report fd: a human is probably at the keyboard. */
		static const char pre[] = "nsbox-helper: invalid helper spec '";

		(void)write_all(2, pre, sizeof(pre) - 1);
		(void)write_all(2, record, strlen(record));
		(void)write_all(2, "'\n", 2);
		_exit(1);
	}
	report_init(&out, spec->report_fd, -1);
	report_error(&out, "spec", 0, record, NULL);
	_exit(1);
}

/* One binary, three jobs, told apart by the version tag (docs/PROTOCOL.md). */
static int unshare_main(int argc, char **argv);

int main(int argc, char **argv)
{
	/* Before anything else: never act with more privilege than the caller has (SECURITY.md). */
	refuse_elevated(argc, argv);
	if (argc >= 2 && strcmp(argv[1], ENTER_VERSION_TAG) == 0)
		return enter_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], NSINFO_VERSION_TAG) == 0)
		return nsinfo_main(argc, argv);
	return unshare_main(argc, argv);
}

static int unshare_main(int argc, char **argv)
{
	struct spec spec;
	struct helper h;
	struct ns_inodes ns;
	const char *bad;
	int chan = -1, nsdir;
	pid_t child = 0;

	/* 1. Decode and check everything before touching anything. */
	bad = spec_parse(&spec, argc, argv);
	if (bad)
		spec_error(&spec, bad);
	memset(&h, 0, sizeof(h));
	memset(&ns, 0, sizeof(ns));
	h.spec = &spec;
	h.pid = getpid();
	h.parent_pidfd = -1;
	h.init_status[0] = h.init_status[1] = -1;
	report_init(&h.out, spec.report_fd, -1);
	fds_keep(&h);
	pdeathsig_arm(&h);
	/* An inherited SIG_IGN would make the kernel reap our children before we can wait. */
	if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
		die_errno(&h, "signals", "sigaction", NULL);

	/* 2. Children that must stay outside the new namespaces, waiting for our go. */
	persist_prepare(&h);
	idmap_prepare(&h);

	/* 3-5. Owner, the namespaces themselves (try ones maybe left out), then outside maps. */
	owner_apply(&h);
	unshare_apply(&h, &spec);
	idmap_release(&h);

	/* 6. Offsets must be set before any process enters the new time namespace. */
	timens_apply(&h);
	nsdir = report_open_ns_dir();
	if (!spec.fork)
		report_collect_ns(&ns, nsdir, false);

	/* 7-9. With fork the helper stays as the parent; it never returns from supervise(). */
	if (spec.fork)
		child = program_fork(&h, &chan);
	if (child > 0)
		report_collect_ns(&ns, nsdir, true);
	if (!spec.fork || child > 0)
		persist_apply(&h);
	if (child > 0)
		supervise(&h, child, chan, &ns);

	/* 10-19. In the program's process (with `init`, in pid 1: the program is forked at 20a). */
	killchild_arm(&h);
	self_maps_apply(&h);
	setgroups_apply(&h);
	hostname_apply(&h);
	loopback_apply(&h);
	propagation_apply(&h);
	binds_apply(&h);
	rootfs_apply(&h);
	binfmt_fixed_apply(&h);
	root_apply(&h);
	procmount_apply(&h);
	binfmt_apply(&h);
	setids_apply(&h);
	keepcaps_apply(&h);

	/* 20a. pid 1 stays as init; the program goes on as its child. 20. */
	init_become(&h);
	exec_program(&h, &ns);
}
