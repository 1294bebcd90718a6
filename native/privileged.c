/*
 * Refusal to run with elevated privileges. nsbox's security rests on the caller's own
 * privileges bounding everything (SECURITY.md): every path, uid and namespace in the spec is
 * taken on trust from the caller. A setuid-root or cap_sys_admin helper would let any local
 * user mount, chroot and setns with privileges they do not have. So if the kernel marks this
 * execution as "secure" (AT_SECURE: setuid, setgid, or file capabilities that raised ours),
 * or real and effective ids differ, the helper stops before reading its spec.
 */
#include "privileged.h"

#include "rt.h"

#include "util.h"

#ifndef NSBOX_NOLIBC
#include <sys/auxv.h>
#endif

static bool at_secure(void)
{
#ifdef NSBOX_NOLIBC
	return nsbox_rt_at_secure != 0;
#else
	return getauxval(AT_SECURE) != 0;
#endif
}

/*
 * The report fd named by a `report=N` record, or -1: pure string parsing, no system call, so
 * the refusal can reach the caller's NamespaceError instead of only the terminal.
 */
static int report_fd_from_argv(int argc, char **argv)
{
	uint64_t fd;

	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "report=", 7) == 0 && parse_u64(argv[i] + 7, 3, INT_MAX, &fd))
			return (int)fd;
	return -1;
}

void refuse_elevated(int argc, char **argv)
{
	static const char line[] =
		"nsbox-helper: refusing to run setuid, setgid or with file capabilities "
		"(nsbox must run with its caller's privileges only: chmod u-s,g-s and setcap -r it)\n";
	static const char report[] = "E\tprivileged\t1\tOperation not permitted\n";
	int fd;

	if (!at_secure() && getuid() == geteuid() && getgid() == getegid())
		return;
	fd = report_fd_from_argv(argc, argv);
	/* One message only: on the report fd the TS side prints it; else a human reads stderr. */
	if (fd < 0 || write_all(fd, report, sizeof(report) - 1) < 0)
		(void)write_all(2, line, sizeof(line) - 1);
	_exit(1);
}
