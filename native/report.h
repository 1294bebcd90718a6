/*
 * Status lines from the helper to the TS side (docs/PROTOCOL.md §3): `P` (the program's pid),
 * `N` (its namespaces) and `E` (a failed step). Lines are built whole in memory and sent with
 * one write, so a reader never sees half a line from us.
 */
#ifndef NSBOX_REPORT_H
#define NSBOX_REPORT_H

#include "rt.h"

struct report {
	int fd;
	/*
	 * 1: a socket, written with send(MSG_NOSIGNAL) so a reader that went away costs us an
	 * EPIPE instead of a SIGPIPE death; 0: anything else, written with write(2); -1: not yet
	 * known (Node passes a socketpair, a shell passes whatever it has).
	 */
	int is_socket;
};

void report_init(struct report *r, int fd, int is_socket);

/* Sends raw bytes (already formatted lines). Failures are ignored: nobody is left to tell. */
void report_send(struct report *r, const void *data, size_t len);

/* Sends `E\t<step>\t<errno>\t<strerror>[\t<arg0>[\t<arg1>]]\n`. */
void report_error(struct report *r, const char *step, int err, const char *arg0, const char *arg1);

/* The /proc/<pid>/ns/ entries, in the order the `N` lines are written. */
enum ns_entry {
	NSE_CGROUP, NSE_IPC, NSE_MNT, NSE_NET, NSE_PID, NSE_PID_FOR_CHILDREN, NSE_TIME,
	NSE_TIME_FOR_CHILDREN, NSE_USER, NSE_UTS, NSE_COUNT
};

struct ns_inodes {
	uint64_t ino[NSE_COUNT];
	bool known[NSE_COUNT]; /* false when the kernel lacks that namespace type */
};

/* Opens the helper's /proc/self/ns directory (-1 if that fails: then no `N` lines). */
int report_open_ns_dir(void);

/*
 * Records the namespaces the program runs in, by stat(2)ing the helper's own entries through
 * `nsdir` (which it closes). See report.c for why the program's `pid` and `time` entries are
 * derived from the helper's instead of read from /proc/<program>/ns.
 */
void report_collect_ns(struct ns_inodes *ns, int nsdir, bool forked);

/* Sends the `P` line and the `N` lines in one write. */
void report_pid_ns(struct report *r, pid_t pid, const struct ns_inodes *ns);

#endif
