#include "netns.h"

#include "rt.h"

#include "sandbox.h"

void netns_defer(struct helper *h)
{
	const struct spec *s = h->spec;

	h->net_late = s->fork && (s->clone_flags & CLONE_NEWNET) && !(s->try_flags & CLONE_NEWNET);
}

/* The control buffer for one fd, aligned as a cmsghdr must be. */
union fd_control {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* A message of one byte with room for one fd (SCM_RIGHTS): the only way to give a child an fd. */
static void fd_msg_init(struct msghdr *msg, struct iovec *iov, char *byte, union fd_control *control)
{
	iov->iov_base = byte;
	iov->iov_len = 1;
	memset(control, 0, sizeof(*control));
	memset(msg, 0, sizeof(*msg));
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = control->buf;
	msg->msg_controllen = sizeof(control->buf);
}

static int send_fd(int sock, int fd)
{
	char byte = 'n';
	struct iovec iov;
	union fd_control control;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	fd_msg_init(&msg, &iov, &byte, &control);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov;
	union fd_control control;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	fd_msg_init(&msg, &iov, &byte, &control);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Room for 1024 CPUs, as glibc's cpu_set_t. */
#define CPU_WORDS (1024 / (8 * sizeof(unsigned long)))
#define WORD_BITS (8 * sizeof(unsigned long))

/*
 * fork() leaves the child on our CPU, where it would wait until our unshare(CLONE_NEWNET) is
 * done (a syscall is not preempted): move to another CPU we may use, so that the child's setup
 * runs beside it. Best effort: with one CPU, or any call refused, we stay. Returns whether
 * `saved` holds the affinity to restore.
 */
static bool move_off_cpu(unsigned long *saved)
{
	unsigned long other[CPU_WORDS];
	unsigned int cpu, ncpus;
	long len = syscall(SYS_sched_getaffinity, 0L, (long)(CPU_WORDS * sizeof(long)), saved);

	if (len <= 0 || syscall(SYS_getcpu, &cpu, NULL, NULL) < 0)
		return false;
	ncpus = (unsigned int)len * 8;
	for (unsigned int i = 1; i < ncpus; i++) {
		unsigned int c = (cpu + i) % ncpus;

		if (!(saved[c / WORD_BITS] & (1UL << (c % WORD_BITS))))
			continue;
		memset(other, 0, sizeof(other));
		other[c / WORD_BITS] = 1UL << (c % WORD_BITS);
		return syscall(SYS_sched_setaffinity, 0L, len, other) == 0;
	}
	return false;
}

void netns_create_late(struct helper *h, int chan, int nsdir)
{
	unsigned long affinity[CPU_WORDS];
	bool moved;
	int fd;

	if (!h->net_late)
		return;
	moved = move_off_cpu(affinity);
	/*
	 * We are in the new user namespace (if any) already, so the network namespace belongs to
	 * it, exactly as if step 4 had made it. A failure here is step 4's failure; die() kills
	 * the child, which is still waiting for the namespace.
	 */
	if (unshare(CLONE_NEWNET) < 0)
		die_errno(h, "unshare", NULL, NULL);
	/* The supervisor is not pinned for good; failing to undo it costs nothing but balance. */
	if (moved)
		(void)syscall(SYS_sched_setaffinity, 0L, (long)sizeof(affinity), affinity);
	if (h->spec->loopback)
		loopback_up(h);
	/* Through the directory opened before the fork: the child may have mounted a new /proc. */
	fd = openat(nsdir, "net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(h, "unshare", "/proc/self/ns/net", NULL);
	/* The child gone already? Then its own report, read next, says why. */
	(void)send_fd(chan, fd);
	close(fd);
}

void netns_join_late(struct helper *h)
{
	int fd;

	if (!h->net_late || h->net_joined)
		return;
	h->net_joined = true;
	fd = recv_fd(h->out.fd);
	/* No namespace came: the parent failed (and is killing us) or died. */
	if (fd < 0)
		_exit(1);
	if (setns(fd, CLONE_NEWNET) < 0)
		die_errno(h, "unshare", NULL, NULL);
	close(fd);
}
