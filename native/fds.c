#include "fds.h"

#include "rt.h"

#include "util.h"

/* Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: walk /proc/self/fd instead. */
static void cloexec_by_listing(struct helper *h, int from)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		die_errno(h, "open", "/proc/self/fd", NULL);
	while ((e = readdir(d)) != NULL) {
		uint64_t fd;

		if (!parse_u64(e->d_name, (uint64_t)from, INT32_MAX, &fd) || (int)fd == dirfd(d))
			continue;
		/* FD_CLOEXEC is the only fd flag, so no F_GETFD is needed; every listed fd is open. */
		(void)fcntl((int)fd, F_SETFD, (long)FD_CLOEXEC);
	}
	closedir(d);
}

void fds_keep(struct helper *h)
{
	const struct spec *s = h->spec;

	/*
	 * The caller decides which fds the program gets (stdio plus whatever it put below
	 * keepfds); anything else we inherited, Node's internal fds for instance, must not leak
	 * into the sandbox. Close-on-exec rather than close: our own report fd is among them.
	 */
	if (syscall(SYS_close_range, (long)s->keepfds, (long)~0U, (long)CLOSE_RANGE_CLOEXEC) < 0)
		cloexec_by_listing(h, s->keepfds); /* ENOSYS before 5.9, EINVAL before 5.11 */
	/* The report fd must never reach the program, even when it is below keepfds. */
	if (s->report_fd < s->keepfds && fcntl(s->report_fd, F_SETFD, (long)FD_CLOEXEC) < 0) {
		/* Not an open fd: there is nowhere to report to but stderr. */
		static const char msg[] = "nsbox-helper: the report fd is not open\n";

		(void)write_all(2, msg, sizeof(msg) - 1);
		_exit(1);
	}
}
