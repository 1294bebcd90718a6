#include "report.h"
#include "util.h"

#include "rt.h"

void report_init(struct report *r, int fd, int is_socket)
{
	r->fd = fd;
	r->is_socket = is_socket;
}

static ssize_t send_some(struct report *r, const char *p, size_t len)
{
	ssize_t n;

	if (r->is_socket != 0) {
		n = send(r->fd, p, len, MSG_NOSIGNAL);
		if (n >= 0 || errno != ENOTSOCK) {
			r->is_socket = 1;
			return n;
		}
		/* A pipe or a file: learn it once, then use plain write(2). */
		r->is_socket = 0;
	}
	return write(r->fd, p, len);
}

void report_send(struct report *r, const void *data, size_t len)
{
	const char *p = data;

	if (r->fd < 0)
		return;
	while (len > 0) {
		ssize_t n = send_some(r, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void report_error(struct report *r, const char *step, int err, const char *arg0, const char *arg1)
{
	struct buf b = { 0 };

	buf_puts(&b, "E\t");
	buf_puts(&b, step);
	buf_putc(&b, '\t');
	buf_put_u64(&b, (uint64_t)(err < 0 ? 0 : err));
	buf_putc(&b, '\t');
	buf_put_escaped(&b, strerror(err));
	if (arg0) {
		buf_putc(&b, '\t');
		buf_put_escaped(&b, arg0);
	}
	if (arg1) {
		buf_putc(&b, '\t');
		buf_put_escaped(&b, arg1);
	}
	buf_putc(&b, '\n');
	report_send(r, b.data, b.len);
	buf_free(&b);
}

static const char *const ns_entry_names[NSE_COUNT] = {
	[NSE_CGROUP] = "cgroup",
	[NSE_IPC] = "ipc",
	[NSE_MNT] = "mnt",
	[NSE_NET] = "net",
	[NSE_PID] = "pid",
	[NSE_PID_FOR_CHILDREN] = "pid_for_children",
	[NSE_TIME] = "time",
	[NSE_TIME_FOR_CHILDREN] = "time_for_children",
	[NSE_USER] = "user",
	[NSE_UTS] = "uts",
};

int report_open_ns_dir(void)
{
	return open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void stat_ns(struct ns_inodes *ns, int nsdir, enum ns_entry e)
{
	struct stat st;

	/* stat(2) follows the magic link to the nsfs inode, whose number names the namespace. */
	ns->known[e] = fstatat(nsdir, ns_entry_names[e], &st, 0) == 0;
	ns->ino[e] = ns->known[e] ? (uint64_t)st.st_ino : 0;
}

/*
 * Why the helper reads its own entries, through a directory fd opened right after unshare(2):
 * reading /proc/<program>/ns is racy. The program may mount a new proc on /proc of the mount
 * namespace it shares with the forking helper (so /proc/<host pid> vanishes, and /proc/self
 * with it), or be a zombie already (a fast `true`), and then its entries cannot be read at all.
 * The fd keeps the original proc instance whatever gets mounted later. With a fork, the
 * entries are read after fork(): pid_for_children of a new pid namespace cannot be read
 * before its first process exists.
 *
 * The program's entries equal the helper's with two exceptions, both made by the kernel:
 *  - `time`: a forked child starts in the parent's time_for_children, and execve(2) without a
 *    fork moves the process there too (that is how `unshare -T` without --fork works);
 *  - `pid`: a forked child lives in the parent's pid_for_children; without a fork, the pid
 *    namespace of the process never changes.
 * pid_for_children and time_for_children themselves are inherited unchanged.
 */
void report_collect_ns(struct ns_inodes *ns, int nsdir, bool forked)
{
	if (nsdir < 0)
		return;
	for (int e = 0; e < NSE_COUNT; e++) {
		if (e == NSE_TIME || (e == NSE_PID && forked))
			continue;
		stat_ns(ns, nsdir, (enum ns_entry)e);
	}
	close(nsdir);
	ns->known[NSE_TIME] = ns->known[NSE_TIME_FOR_CHILDREN];
	ns->ino[NSE_TIME] = ns->ino[NSE_TIME_FOR_CHILDREN];
	if (forked) {
		ns->known[NSE_PID] = ns->known[NSE_PID_FOR_CHILDREN];
		ns->ino[NSE_PID] = ns->ino[NSE_PID_FOR_CHILDREN];
	}
}

void report_pid_ns(struct report *r, pid_t pid, const struct ns_inodes *ns)
{
	struct buf b = { 0 };

	buf_puts(&b, "P\t");
	buf_put_u64(&b, (uint64_t)pid);
	buf_putc(&b, '\n');
	for (int e = 0; e < NSE_COUNT; e++) {
		if (!ns->known[e])
			continue;
		buf_puts(&b, "N\t");
		buf_puts(&b, ns_entry_names[e]);
		buf_putc(&b, '\t');
		buf_put_u64(&b, ns->ino[e]);
		buf_putc(&b, '\n');
	}
	report_send(r, b.data, b.len);
	buf_free(&b);
}
