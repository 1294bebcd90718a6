#include "init.h"

#include "rt.h"

#include "process.h"

/* The byte the program sends first, so the parent learns its pid from the credentials. */
#define PID_MARKER 0x01

/*
 * The program's pid (2) for pid 1's forwarding handler: like process.c's forward_pid, the only
 * way to give a signal handler anything.
 */
static volatile sig_atomic_t init_target;

void init_prepare(struct helper *h, int parent_chan_end)
{
	int one = 1;

	if (!h->spec->init)
		return;
	/*
	 * The program only knows its pid inside (2); a unix socket translates the sender's pid
	 * into the receiver's pid namespace when the receiver asks for credentials. Set before
	 * the fork, so no message can arrive before the option.
	 */
	if (setsockopt(parent_chan_end, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		die_errno(h, "pipe", NULL, NULL);
	/* pid 1 cannot exit by the program's signal: it writes the wait status here instead. */
	if (pipe2(h->init_status, O_CLOEXEC) < 0)
		die_errno(h, "pipe", NULL, NULL);
}

void init_after_fork(struct helper *h, bool in_child)
{
	if (!h->spec->init)
		return;
	close(h->init_status[in_child ? 0 : 1]);
	h->init_status[in_child ? 0 : 1] = -1;
}

static void forward_to_program(int sig)
{
	int saved = errno;

	if (init_target > 0)
		kill((pid_t)init_target, sig);
	errno = saved;
}

/* Every signal a process can catch, except SIGCHLD, which is pid 1's own business. */
static bool forwardable(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD;
}

static void set_init_handlers(struct helper *h, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = handler == SIG_DFL ? 0 : SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < 32; sig++)
		if (forwardable(sig) && sigaction(sig, &sa, NULL) < 0)
			die_errno(h, "signals", "sigaction", NULL);
}

/*
 * pid 1 keeps only the status pipe: the report fd and the status socket must reach EOF on
 * the parent's side once the program has exec'd, and nothing else is pid 1's to hold.
 */
static void init_close_fds(struct helper *h)
{
	int keep = h->init_status[1];

	if (h->out.fd >= 0 && close(h->out.fd) < 0)
		_exit(1);
	h->out.fd = -1;
	if (h->spec->report_fd != keep)
		(void)close(h->spec->report_fd); /* EBADF if the fork path already closed it */
	/* Failures (ENOSYS before Linux 5.9) leave the caller's other fds open until we exit. */
	if (keep > 3)
		(void)syscall(SYS_close_range, 3L, (long)keep - 1, 0L);
	(void)syscall(SYS_close_range, (long)keep + 1, (long)~0U, 0L);
}

/* pid 1 from here on: reap everything, end with the program, hand its status to the parent. */
static noreturn void init_loop(struct helper *h, pid_t program)
{
	int status, fd = h->init_status[1];
	pid_t r;

	for (;;) {
		r = waitpid(-1, &status, 0);
		if (r < 0 && errno == EINTR)
			continue;
		/* ECHILD cannot happen while the program lives; if it does, there is nobody left. */
		if (r < 0)
			_exit(1);
		if (r != program)
			continue; /* an orphan reparented to us: reaped, nothing more */
		/*
		 * The program is gone: so is the sandbox. Exiting kills whatever is left in the
		 * namespace (the kernel's rule for pid 1), as bubblewrap's --die-with-parent does.
		 */
		if (write_all(fd, &status, sizeof(status)) < 0)
			_exit(1);
		_exit(0);
	}
}

/* pid 2: tell the parent who we are (the credentials carry our pid), then go on to exec. */
static void program_announce(struct helper *h)
{
	char marker = PID_MARKER;

	while (send(h->out.fd, &marker, 1, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			die_errno(h, "pipe", NULL, NULL);
	}
}

void init_become(struct helper *h)
{
	sigset_t all, old;
	pid_t pid;

	if (!h->spec->init)
		return;
	/* Blocked across the fork: a signal must not arrive before the handler knows the program. */
	sigemptyset(&all);
	for (int sig = 1; sig < 32; sig++)
		if (forwardable(sig))
			sigaddset(&all, sig);
	if (sigprocmask(SIG_BLOCK, &all, &old) < 0)
		die_errno(h, "signals", "sigprocmask", NULL);
	/* pid 1 lives with the program: it must not hold the caller's terminal either. */
	new_session(h);
	/*
	 * Nor be a way out: the program shares our user namespace and credentials, so a dumpable
	 * pid 1 could be ptrace'd, or its /proc/1/exe (the helper binary, maybe the caller's own
	 * file) opened and kept for writing later (CVE-2019-5736). Non-dumpable, that needs
	 * CAP_SYS_PTRACE in the caller's user namespace. Before the fork: pid 2 is covered until
	 * its execve, which makes the program dumpable again (a new image, not ours).
	 */
	if (prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) < 0)
		die_errno(h, "dumpable", NULL, NULL);
	/* Forwarded signals were kept blocked since the fork (process.c): the caller's mask. */
	if (h->init_mask_saved)
		old = h->init_mask;
	pid = fork();
	if (pid < 0)
		die_errno(h, "fork", NULL, NULL);
	if (pid == 0) {
		if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
			die_errno(h, "signals", "sigprocmask", NULL);
		program_announce(h);
		return;
	}
	init_close_fds(h);
	set_init_handlers(h, forward_to_program);
	init_target = pid;
	/* Nothing left to report to: failures from here end pid 1, and the parent sees its status. */
	if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
		_exit(1);
	init_loop(h, pid);
}

/* The credentials of one recvmsg(2), if any: the sender's pid in our pid namespace. */
static pid_t sender_pid(struct msghdr *msg)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);
	struct ucred cred;

	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS ||
	    c->cmsg_len < CMSG_LEN(sizeof(cred)))
		return 0;
	memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	return cred.pid;
}

pid_t init_program_pid(struct helper *h, int chan, struct buf *rest)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	char data[4096];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg;
	ssize_t n;

	do {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		n = recvmsg(chan, &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die_errno(h, "wait", NULL, NULL);
	/* EOF or an `E` line from pid 1: the program was never forked. */
	if (n == 0 || data[0] != PID_MARKER) {
		buf_put(rest, data, (size_t)(n < 0 ? 0 : n));
		return 0;
	}
	buf_put(rest, data + 1, (size_t)n - 1);
	return sender_pid(&msg);
}

int init_program_status(struct helper *h, int status)
{
	int program_status;

	if (!h->spec->init)
		return status;
	if (read_full(h->init_status[0], &program_status, sizeof(program_status)) == sizeof(program_status))
		return program_status;
	return status;
}
