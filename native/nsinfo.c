/*
 * nsinfo mode (docs/PROTOCOL.md §6): what lsns needs from the kernel that /proc does not show.
 *
 *   nsbox-helper NSBOX1-NSINFO report=FD keepfds=N -- <nsfile>...
 *
 * For each namespace file: open it, and follow NS_GET_PARENT / NS_GET_USERNS (ioctl_ns(2))
 * from it, recursively, so that namespaces no process is in any more (a user namespace that
 * only owns others, a parent pid namespace) are found too, as util-linux lsns finds them.
 * Node cannot issue ioctls on a file descriptor, hence this small piece of C. Nothing is
 * executed; the helper exits 0 once everything is reported (1 for a bad command line).
 */
#include "nsinfo.h"
#include "nsinfo_spec.h"

#include "rt.h"

#include "report.h"
#include "util.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/net_namespace.h>

/* linux/nsfs.h: spelled out so that the header is not needed (rt.h has NS_GET_USERNS). */
#ifndef NS_GET_PARENT
#define NS_GET_PARENT 0xb702   /* _IO(0xb7, 0x2) */
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703   /* _IO(0xb7, 0x3) */
#endif
#ifndef NS_GET_OWNER_UID
#define NS_GET_OWNER_UID 0xb704 /* _IO(0xb7, 0x4) */
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AF_NETLINK
#define AF_NETLINK 16
#endif
#ifndef SOCK_RAW
#define SOCK_RAW 3
#endif
#ifndef AF_UNSPEC
#define AF_UNSPEC 0
#endif

/* `netnsid=1`: the route netlink socket NETNSID queries go through, or -1. */
static int netlink_fd = -1;

/* The namespaces already reported, by inode: each is reported (and followed) once. */
struct seen {
	uint64_t *ino;
	size_t len, cap;
};

/* One namespace as reported on an `R` line (0 / -1: unknown, written as `-`). */
struct nsrel {
	uint64_t ino, parent, owner;
	const char *type;
	int64_t uid;
	int err;                /* the first failure util-linux would not ignore, or 0 */
	const char *err_ioctl;  /* which request failed with it */
	bool has_nsid;          /* net namespaces, when asked: the id below is known */
	int32_t nsid;           /* NETNSA_NSID: -1 means "not assigned" */
};

static bool seen_add(struct seen *s, uint64_t ino)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->ino[i] == ino)
			return false;
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *p = realloc(s->ino, cap * sizeof(*p));

		if (!p)
			_exit(1); /* nothing sane remains; the TS side sees a failed helper */
		s->ino = p;
		s->cap = cap;
	}
	s->ino[s->len++] = ino;
	return true;
}

static const char *clone_type_name(int t)
{
	switch (t) {
	case CLONE_NEWNS: return "mnt";
	case CLONE_NEWNET: return "net";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	default: return NULL;
	}
}

static bool fd_ino(int fd, uint64_t *ino)
{
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH) < 0)
		return false;
	*ino = (uint64_t)st.st_ino;
	return true;
}

/*
 * One relation ioctl: the related namespace's fd (the caller closes it) or -1. EPERM (the
 * relative lies outside our view, e.g. the parent of the initial user namespace) and ENOSYS
 * (seen under qemu-user) mean "none", exactly as util-linux treats them; anything else is kept
 * in `rel->err` so the TS side can act as lsns does (ENOTTY: exit status 2).
 */
static int relation_fd(int fd, unsigned long req, const char *name, struct nsrel *rel, uint64_t *ino)
{
	int r = ioctl(fd, req);

	if (r < 0) {
		if (errno != EPERM && errno != ENOSYS && rel->err == 0) {
			rel->err = errno;
			rel->err_ioctl = name;
		}
		return -1;
	}
	if (!fd_ino(r, ino)) {
		if (rel->err == 0) {
			rel->err = errno;
			rel->err_ioctl = "fstat";
		}
		close(r);
		return -1;
	}
	return r;
}

/*
 * RTM_GETNSID with NETNSA_FD, as util-linux lsns asks it: the id the caller's network
 * namespace has given the one open as `fd` (NETNSA_NSID_NOT_ASSIGNED, -1, when none). Plain
 * system calls: the freestanding runtime has no socket(2)/recv(2) wrappers of its own.
 */
static bool query_netnsid(int fd, int32_t *nsid)
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
		char pad[NLMSG_ALIGN(sizeof(struct rtgenmsg)) - sizeof(struct rtgenmsg)];
		struct rtattr a;
		int32_t fd;
	} req;
	union {
		struct nlmsghdr nh;
		char bytes[256];
	} res;
	const struct rtattr *a;
	long n;
	int len;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETNSID;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.g.rtgen_family = AF_UNSPEC;
	req.a.rta_type = NETNSA_FD;
	req.a.rta_len = RTA_LENGTH(sizeof(int32_t));
	req.fd = fd;
	if (syscall(__NR_sendto, (long)netlink_fd, (long)&req, (long)sizeof(req), 0L, 0L, 0L) < 0)
		return false;
	do
		n = syscall(__NR_recvfrom, (long)netlink_fd, (long)&res, (long)sizeof(res), 0L, 0L, 0L);
	while (n < 0 && errno == EINTR);
	if (n < 0 || !NLMSG_OK(&res.nh, (unsigned long)n) || res.nh.nlmsg_type != RTM_NEWNSID)
		return false;
	a = (const struct rtattr *)((const char *)NLMSG_DATA(&res.nh) + NLMSG_ALIGN(sizeof(struct rtgenmsg)));
	len = (int)NLMSG_PAYLOAD(&res.nh, sizeof(struct rtgenmsg));
	if (!RTA_OK(a, len) || a->rta_type != NETNSA_NSID)
		return false;
	memcpy(nsid, RTA_DATA(a), sizeof(*nsid));
	return true;
}

static void put_opt_u64(struct buf *b, bool known, uint64_t v)
{
	buf_putc(b, '\t');
	if (known)
		buf_put_u64(b, v);
	else
		buf_putc(b, '-');
}

static void put_rel(struct buf *b, const struct nsrel *rel)
{
	buf_puts(b, "R");
	put_opt_u64(b, true, rel->ino);
	buf_putc(b, '\t');
	buf_puts(b, rel->type ? rel->type : "-");
	put_opt_u64(b, rel->parent != 0, rel->parent);
	put_opt_u64(b, rel->owner != 0, rel->owner);
	put_opt_u64(b, rel->uid >= 0, (uint64_t)rel->uid);
	put_opt_u64(b, true, (uint64_t)rel->err);
	buf_putc(b, '\t');
	buf_puts(b, rel->err_ioctl ? rel->err_ioctl : "-");
	buf_putc(b, '\t');
	if (!rel->has_nsid) {
		buf_putc(b, '-');
	} else if (rel->nsid < 0) {
		buf_putc(b, '-');
		buf_put_u64(b, (uint64_t)-(int64_t)rel->nsid);
	} else {
		buf_put_u64(b, (uint64_t)rel->nsid);
	}
	buf_putc(b, '\n');
}

/* Reports the namespace open as `fd` (inode `ino`), then its parent and owner, recursively. */
static void walk(struct buf *out, struct seen *seen, int fd, uint64_t ino, int depth)
{
	struct nsrel rel = { .ino = ino, .uid = -1 };
	int t, pfd = -1, ofd = -1;

	/* User and pid namespaces nest at most 32 deep; the bound only guards against a loop. */
	if (depth > 64 || !seen_add(seen, ino))
		return;
	t = ioctl(fd, NS_GET_NSTYPE);
	if (t < 0) {
		rel.err = errno;
		rel.err_ioctl = "NS_GET_NSTYPE";
	}
	rel.type = t < 0 ? NULL : clone_type_name(t);
	/* Only user and pid namespaces have parents (lsns asks for no other kind's). */
	if (t == CLONE_NEWUSER || t == CLONE_NEWPID)
		pfd = relation_fd(fd, NS_GET_PARENT, "NS_GET_PARENT", &rel, &rel.parent);
	ofd = relation_fd(fd, NS_GET_USERNS, "NS_GET_USERNS", &rel, &rel.owner);
	if (t == CLONE_NEWUSER) {
		uid_t uid;

		/* The argument is a pointer: the freestanding ioctl() passes it as a long. */
		if (ioctl(fd, NS_GET_OWNER_UID, &uid) == 0)
			rel.uid = (int64_t)uid;
	}
	if (t == CLONE_NEWNET && netlink_fd >= 0)
		rel.has_nsid = query_netnsid(fd, &rel.nsid);
	put_rel(out, &rel);
	if (pfd >= 0) {
		walk(out, seen, pfd, rel.parent, depth + 1);
		close(pfd);
	}
	if (ofd >= 0) {
		walk(out, seen, ofd, rel.owner, depth + 1);
		close(ofd);
	}
}

/* A decimal number ending at `*end` (at its first non-digit); false without digits. */
static bool parse_num(const char **p, long *v)
{
	const char *s = *p;
	long n = 0;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9') {
		if (n > 100000000L)
			return false;
		n = n * 10 + (*s++ - '0');
	}
	*v = n;
	*p = s;
	return true;
}

/*
 * `/proc/PID/fd/N` naming a socket (open(2) of it fails with ENXIO): the socket's network
 * namespace, as util-linux lsns's add_namespace_from_sock() finds it: pidfd_open(PID),
 * pidfd_getfd(N) (ptrace access to PID is needed), ioctl(SIOCGSKNS). -1 with errno otherwise.
 */
static int socket_netns(const char *path)
{
	const char *p = path;
	long pid, num;
	int pidfd, sk, nsfd, e;

	if (strncmp(p, "/proc/", 6) != 0)
		return errno = ENXIO, -1;
	p += 6;
	if (!parse_num(&p, &pid) || strncmp(p, "/fd/", 4) != 0)
		return errno = ENXIO, -1;
	p += 4;
	if (!parse_num(&p, &num) || *p != '\0')
		return errno = ENXIO, -1;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0L);
	if (pidfd < 0)
		return -1;
	sk = (int)syscall(SYS_pidfd_getfd, (long)pidfd, num, 0L);
	e = errno;
	close(pidfd);
	if (sk < 0)
		return errno = e, -1;
	nsfd = ioctl(sk, SIOCGSKNS);
	e = errno;
	close(sk);
	if (nsfd < 0)
		return errno = e, -1;
	(void)fcntl(nsfd, F_SETFD, (long)FD_CLOEXEC);
	return nsfd;
}

/* `I\t<path>\t<ino or ->\t<errno>`, then the `R` lines of what it leads to. */
static void one_path(struct buf *out, struct seen *seen, const char *path)
{
	uint64_t ino = 0;
	int err = 0;
	/* O_RDONLY as util-linux: an nsfs file opened O_PATH refuses ioctls. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 && errno == ENXIO)
		fd = socket_netns(path);
	if (fd < 0)
		err = errno;
	else if (!fd_ino(fd, &ino))
		err = errno;
	buf_puts(out, "I\t");
	buf_put_escaped(out, path);
	put_opt_u64(out, err == 0, ino);
	put_opt_u64(out, true, (uint64_t)err);
	buf_putc(out, '\n');
	if (fd < 0)
		return;
	if (err == 0)
		walk(out, seen, fd, ino, 0);
	close(fd);
}

static int usage_error(const char *arg)
{
	static const char pre[] = "nsbox-helper: invalid helper spec '";

	(void)write_all(2, pre, sizeof(pre) - 1);
	(void)write_all(2, arg, strlen(arg));
	(void)write_all(2, "'\n", 2);
	return 1;
}

int nsinfo_main(int argc, char **argv)
{
	struct report rep;
	struct buf out = { 0 };
	struct seen seen = { 0 };
	struct nsinfo_spec spec;
	const char *bad = nsinfo_spec_parse(&spec, argc, argv);
	int i;

	if (bad)
		return usage_error(bad);
	/* Nothing is executed here, so keepfds has no further effect: the fds die with us. */
	if (spec.netnsid) {
		/* Failing to open it is what util-linux shows as an empty NETNSID: no error. */
		long fd = syscall(__NR_socket, (long)AF_NETLINK, (long)(SOCK_RAW | O_CLOEXEC), (long)NETLINK_ROUTE);

		netlink_fd = fd < 0 ? -1 : (int)fd;
	}
	for (i = spec.first_path; i < argc; i++)
		one_path(&out, &seen, argv[i]);
	report_init(&rep, spec.report_fd, -1);
	report_send(&rep, out.data, out.len);
	buf_free(&out);
	free(seen.ino);
	if (netlink_fd >= 0)
		close(netlink_fd);
	return 0;
}
