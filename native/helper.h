/*
 * The state the steps share: the decoded spec, where failures are reported, and the processes
 * we are responsible for. It is passed explicitly to every step; the only global in the helper
 * is the pid the signal-forwarding handler needs (process.c).
 */
#ifndef NSBOX_HELPER_H
#define NSBOX_HELPER_H

#include "rt.h"

#include "report.h"
#include "spec.h"

/* A child forked before unshare(2) that waits for our go byte (the bind and map children). */
struct sync_child {
	pid_t pid; /* 0: not forked */
	int fd;    /* our end of the socketpair: go byte out, the child's `E` line back */
	int killed_by; /* after sync_child_release(): the signal that killed it, else 0 */
};

struct helper {
	const struct spec *spec;
	/* Where `E` lines go: the report fd, or in a child of ours the socket back to the helper. */
	struct report out;
	/* The helper's pid: the source of /proc/<pid>/ns binds and the target of id maps. */
	pid_t pid;
	struct sync_child bind;
	struct sync_child map;
	/* Forking parent only: the program's process, killed if a later step of ours fails. */
	pid_t program;
	/* killchild: pidfd of the forking helper, so the child can tell whether it still lives. */
	int parent_pidfd;
	/* A uid/gid change makes the kernel drop PR_SET_PDEATHSIG; it is re-armed after one. */
	bool creds_changed;
	/* `init`: pipe from pid 1 to the forking parent for the program's wait status (init.c). */
	int init_status[2];
	/*
	 * `init`, in pid 1 from the fork on: the signal mask to give back once its forwarding
	 * handlers are in place (until then the forwarded signals stay blocked, see process.c).
	 */
	sigset_t init_mask;
	bool init_mask_saved;
};

/*
 * A step failed: report `E <step> <err> <strerror> [args]`, clean up (release and reap the
 * waiting children, kill and reap a forked program), and exit with `status`.
 */
noreturn void die(struct helper *h, int status, const char *step, int err, const char *arg0,
		  const char *arg1);

/* The common case: exit status 1, errno as the error. */
noreturn void die_errno(struct helper *h, const char *step, const char *arg0, const char *arg1);

/* A child of ours already formatted the `E` line: pass it on verbatim, clean up, exit. */
noreturn void die_relay(struct helper *h, int status, const void *line, size_t len);

/* Exit status for an exec failure, as util-linux's errexec(): 127 for ENOENT, else 126. */
int exec_failure_status(int err);

#endif
