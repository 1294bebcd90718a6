#include "process.h"

#include "rt.h"

#include "init.h"

/* The byte a waiting child needs before it starts (util-linux's PIPE_SYNC_BYTE). */
#define GO_BYTE 0x06
/* The byte a forked child sends on its channel just before execvp: setup is over. */
#define EXEC_MARKER 0x02

/*
 * The program's pid for the forwarding handler: the one piece of global state, because a
 * signal handler cannot be given anything else. 0 until fork() has returned in the parent.
 */
static volatile sig_atomic_t forward_pid;

pid_t waitpid_retry(pid_t pid, int *status)
{
	pid_t r;
	int st;

	do
		r = waitpid(pid, &st, 0);
	while (r < 0 && errno == EINTR);
	if (r > 0 && status)
		*status = st;
	return r;
}

int wait_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/*
 * A child of ours must not act on the helper's other children: it drops its copies of their
 * sockets (so they still see EOF when the helper dies) and forgets their pids (so its own
 * failure path does not try to reap what is not its child).
 */
static void forget_children(struct helper *h)
{
	if (h->bind.pid > 0)
		close(h->bind.fd);
	if (h->map.pid > 0)
		close(h->map.fd);
	h->bind.pid = 0;
	h->map.pid = 0;
	h->program = 0;
}

pid_t sync_child_fork(struct helper *h, struct sync_child *sc)
{
	int sv[2];
	pid_t pid;
	char go;

	/* A socketpair, not two pipes: one fd each way, and send(MSG_NOSIGNAL) for the reply. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die_errno(h, "pipe", NULL, NULL);
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(sv[0]);
		close(sv[1]);
		die(h, 1, "fork", err, NULL, NULL);
	}
	if (pid > 0) {
		close(sv[1]);
		sc->pid = pid;
		sc->fd = sv[0];
		return pid;
	}
	close(sv[0]);
	forget_children(h);
	report_init(&h->out, sv[1], 1);
	if (read_full(sv[1], &go, 1) != 1 || go != GO_BYTE)
		_exit(0);
	return 0;
}

static void read_until_eof(int fd, struct buf *out)
{
	char tmp[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf_put(out, tmp, (size_t)n);
	}
}

int sync_child_release(struct helper *h, struct sync_child *sc, struct buf *line)
{
	char go = GO_BYTE;
	pid_t pid = sc->pid;
	int status = 0;

	/* If the child is already gone the send fails; the wait below tells what happened. */
	while (send(sc->fd, &go, 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
	/* Read first, reap second: a long line must not block the child on a full socket. */
	read_until_eof(sc->fd, line);
	close(sc->fd);
	sc->pid = 0;
	if (waitpid_retry(pid, &status) < 0)
		die_errno(h, "wait", NULL, NULL);
	sc->killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return wait_code(status);
}

/* The parent is gone if getppid() no longer names it; behave as if the signal had come. */
static void check_parent(const struct helper *h)
{
	if (h->spec->parent > 0 && getppid() != h->spec->parent)
		kill(getpid(), h->spec->pdeathsig);
}

void pdeathsig_arm(struct helper *h)
{
	if (!h->spec->pdeathsig)
		return;
	if (prctl(PR_SET_PDEATHSIG, (unsigned long)h->spec->pdeathsig, 0UL, 0UL, 0UL) < 0)
		die_errno(h, "signals", "prctl", NULL);
	check_parent(h);
}

static void forward_signal(int sig)
{
	int saved = errno;

	if (forward_pid > 0)
		kill((pid_t)forward_pid, sig);
	errno = saved;
}

static void sigset_from_bits(sigset_t *set, uint64_t bits)
{
	sigemptyset(set);
	for (int sig = 1; sig <= 64; sig++)
		if (sig_in(bits, sig))
			sigaddset(set, sig);
}

static void set_forward_handlers(struct helper *h, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	/* SA_RESTART: the parent's blocking reads and waitpid continue after a forward. */
	sa.sa_flags = handler == SIG_DFL ? 0 : SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig <= 64; sig++)
		if (sig_in(h->spec->forward, sig) && sigaction(sig, &sa, NULL) < 0)
			die_errno(h, "signals", "sigaction", NULL);
}

/* Child side of program_fork(): back to the caller's signal state, reports to the parent. */
static void program_child_setup(struct helper *h, int chan_end, const sigset_t *oldmask,
				bool mask_changed)
{
	report_init(&h->out, chan_end, 1);
	forget_children(h);
	/* Handlers first, while the signals are still blocked, so none hits the parent's handler. */
	set_forward_handlers(h, SIG_DFL);
	if (mask_changed && h->spec->init) {
		/*
		 * We become pid 1 of the new pid namespace, which ignores every signal it has no
		 * handler for, even one forwarded from outside: a signal forwarded before
		 * init_become() installs its handlers would be lost. Keep them blocked (pending)
		 * until then; init_become() gives the original mask back and passes them on.
		 */
		h->init_mask = *oldmask;
		h->init_mask_saved = true;
		return;
	}
	if (mask_changed && sigprocmask(SIG_SETMASK, oldmask, NULL) < 0)
		die_errno(h, "signals", "sigprocmask", NULL);
}

/*
 * The forking parent outlives the program's start and may sit in its user namespace, where the
 * program holds every capability: non-dumpable, it cannot be ptrace'd, nor its
 * /proc/<pid>/{exe,fd,mem} opened, from in there (CAP_SYS_PTRACE would be needed in the
 * caller's user namespace, where the helper was exec'd). So nothing inside can write the helper
 * binary through it, use its fds, or borrow its controlling terminal (TIOCSTI). Before the
 * fork, or the program could be running before the parent is covered. Returns the old setting.
 */
static int parent_undumpable(struct helper *h)
{
	int old = prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);

	if (old < 0 || prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) < 0)
		die_errno(h, "dumpable", NULL, NULL);
	return old;
}

/*
 * The child gets the helper's own setting back: a non-dumpable process's /proc/self files
 * belong to root, so it could not write its own uid_map. Its exec makes the program's anyway.
 */
static void child_dumpable(struct helper *h, int dumpable)
{
	if (prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL) < 0)
		die_errno(h, "dumpable", NULL, NULL);
}

pid_t program_fork(struct helper *h, int *chan)
{
	const struct spec *s = h->spec;
	sigset_t during, oldmask, after;
	bool mask_changed = (s->block | s->forward) != 0;
	int sv[2], dumpable;
	pid_t pid;

	/*
	 * Forwarded signals are blocked across the fork too: one arriving before the parent knows
	 * the child's pid would otherwise be lost (the handler would have nobody to send it to).
	 * Blocked ones stay blocked while the parent waits, as util-linux does for SIGINT/SIGTERM
	 * ("impatient parent"); the child gets the original mask back.
	 */
	if (mask_changed) {
		sigset_from_bits(&during, s->block | s->forward);
		if (sigprocmask(SIG_BLOCK, &during, &oldmask) < 0)
			die_errno(h, "signals", "sigprocmask", NULL);
	}
	set_forward_handlers(h, forward_signal);
	if (s->killchild) {
		/* Taken before fork(), so it refers to us and not to whoever adopts the child later. */
		h->parent_pidfd = (int)syscall(SYS_pidfd_open, (long)h->pid, 0L);
		/* Before Linux 5.3 there is no pidfd: only the prctl, as util-linux < 2.39 did. */
		if (h->parent_pidfd < 0 && errno != ENOSYS)
			die_errno(h, "signals", "pidfd_open", NULL);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die_errno(h, "pipe", NULL, NULL);
	init_prepare(h, sv[0]);
	dumpable = parent_undumpable(h);
	pid = fork();
	if (pid < 0)
		die_errno(h, "fork", NULL, NULL);
	init_after_fork(h, pid == 0);
	if (pid == 0) {
		close(sv[0]);
		child_dumpable(h, dumpable);
		program_child_setup(h, sv[1], &oldmask, mask_changed);
		return 0;
	}
	close(sv[1]);
	if (h->parent_pidfd >= 0) {
		close(h->parent_pidfd);
		h->parent_pidfd = -1;
	}
	h->program = pid;
	forward_pid = pid;
	if (s->forward) {
		/* Now a forwarded signal has a destination: let the pending ones through. */
		after = oldmask;
		for (int sig = 1; sig <= 64; sig++)
			if (sig_in(s->block, sig))
				sigaddset(&after, sig);
		if (sigprocmask(SIG_SETMASK, &after, NULL) < 0)
			die_errno(h, "signals", "sigprocmask", NULL);
	}
	*chan = sv[0];
	return pid;
}

/* Has the forking helper exited? Then PR_SET_PDEATHSIG was armed too late to fire. */
static void check_parent_pidfd(struct helper *h)
{
	struct pollfd pfd = { .fd = h->parent_pidfd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die_errno(h, "signals", "poll", NULL);
	/*
	 * Readable: the parent is gone and the child was re-parented before the prctl. Whoever
	 * adopted it does not want a program nobody supervises (util-linux PR #1561).
	 */
	if (n > 0)
		die(h, 1, "parent-gone", 0, NULL, NULL);
}

void killchild_arm(struct helper *h)
{
	if (!h->spec->killchild)
		return;
	if (prctl(PR_SET_PDEATHSIG, (unsigned long)h->spec->killchild, 0UL, 0UL, 0UL) < 0)
		die_errno(h, "signals", "prctl", NULL);
	if (h->parent_pidfd >= 0)
		check_parent_pidfd(h);
}

/*
 * Exit the way the program did, so the caller cannot tell the helper from the program: the
 * same exit code, or death by the same signal (the shell then reports 128 + n).
 */
static noreturn void mirror_status(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = { 0, 0 };
		sigset_t set;

		/*
		 * Failures below are not reported (the report fd is closed): they show up as the
		 * exit status 1 at the end, which is what util-linux exits with in that case.
		 */
		if (sig != SIGKILL) {
			/* Our own disposition may be a forwarding handler or inherited SIG_IGN. */
			signal(sig, SIG_DFL);
			sigemptyset(&set);
			sigaddset(&set, sig);
			sigprocmask(SIG_UNBLOCK, &set, NULL);
		}
		/* A second core file from the helper would only overwrite the program's. */
		setrlimit(RLIMIT_CORE, &no_core);
		kill(getpid(), sig);
		/* Still alive: the signal cannot kill us (util-linux: "child exit failed"). */
		_exit(1);
	}
	_exit(wait_code(status));
}

/*
 * Waits for the program to end. With `follow_stops` (nsenter's continue_as_child()), a stopped
 * program stops us too, so that the shell that started us sees the job stop; when the shell
 * continues us, we continue the program.
 */
static pid_t wait_program(struct helper *h, pid_t child, int *status)
{
	pid_t r;

	if (!h->spec->follow_stops)
		return waitpid_retry(child, status);
	for (;;) {
		r = waitpid(child, status, WUNTRACED);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != child || !WIFSTOPPED(*status))
			return r;
		/* Failures here only cost job control; the wait goes on either way. */
		(void)kill(getpid(), SIGSTOP);
		(void)kill(child, SIGCONT);
	}
}

noreturn void supervise(struct helper *h, pid_t child, int chan, const struct ns_inodes *ns)
{
	struct buf line = { 0 };
	int status = 0;
	int exec_seen, died_in_setup = 0;
	pid_t program = child;

	/* With an init, the program is its child: its pid comes from its first message. */
	if (h->spec->init)
		program = init_program_pid(h, chan, &line);
	if (program > 0)
		report_pid_ns(&h->out, program, ns);
	/*
	 * EOF: the child exec'd (the socket is close-on-exec) or died. The exec marker comes just
	 * before execvp, maybe followed by an exec E line; an E line alone is a setup failure;
	 * nothing at all means the child died during setup (killed) without a word.
	 */
	read_until_eof(chan, &line);
	close(chan);
	exec_seen = line.len > 0 && line.data[0] == EXEC_MARKER;
	if (line.len > (size_t)exec_seen)
		report_send(&h->out, line.data + exec_seen, line.len - exec_seen);
	else if (exec_seen)
		report_send(&h->out, "X\n", 2); /* the exec is confirmed: a kill of ours before this is a setup failure */
	else
		died_in_setup = 1;
	buf_free(&line);
	/* EOF on the report fd now tells the caller that the program runs (or failed, see above). */
	if (!died_in_setup) {
		close(h->out.fd);
		h->out.fd = -1;
	}
	if (wait_program(h, child, &status) < 0)
		die_errno(h, "wait", NULL, NULL);
	/* Reaped: its pid may be reused, so a late forwarded signal must go nowhere. */
	forward_pid = 0;
	h->program = 0;
	status = init_program_status(h, status);
	if (died_in_setup) {
		/* Said only now that the status is known: `E setup-died 0 ... signal|status N`. */
		char num[21];

		fmt_u64(num, (uint64_t)(WIFSIGNALED(status) ? WTERMSIG(status) : WIFEXITED(status) ? WEXITSTATUS(status) : 0));
		report_error(&h->out, "setup-died", 0, WIFSIGNALED(status) ? "signal" : "status", num);
		close(h->out.fd);
		h->out.fd = -1;
	}
	mirror_status(status);
}

void new_session(struct helper *h)
{
	if (!h->spec->setsid || setsid() >= 0)
		return;
	/* EPERM for a process group leader: fine if it already leads its own session. */
	if (errno == EPERM && getsid(0) == getpid())
		return;
	die_errno(h, "setsid", NULL, NULL);
}

noreturn void exec_program(struct helper *h, const struct ns_inodes *ns)
{
	const struct spec *s = h->spec;
	int err;

	/*
	 * Last, so nothing of ours runs after it: without a controlling terminal the program
	 * cannot push input into the caller's (TIOCSTI, CVE-2017-5226), nor take it back
	 * (TIOCSCTTY refuses a terminal that is another session's).
	 */
	new_session(h);

	if (!s->fork) {
		report_pid_ns(&h->out, h->pid, ns);
		/* A setuid/setgid (or the owner step) cleared it; re-arming is cheap, so always do. */
		pdeathsig_arm(h);
	} else if (s->killchild && h->creds_changed) {
		/* Same for the child's kill-child signal, and the parent may have died meanwhile. */
		killchild_arm(h);
	}
	if (s->fork) {
		/* Setup is over: tell the supervising parent (an exec failure follows as an E line). */
		char marker = EXEC_MARKER;

		report_send(&h->out, &marker, 1);
	}
	execvp(s->file, s->argv);
	err = errno;
	die(h, exec_failure_status(err), "exec", err, s->file, NULL);
}
