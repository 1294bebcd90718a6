/*
 * The escape suite's probe (src/test/escape.test.ts): each argument `cmd[:arg[:arg2]]` tries one
 * thing and prints `cmd=OK` or `cmd=<errno name>` on a line of its own, so that one run inside a
 * sandbox answers many questions. Built static by the test (it also runs inside a busybox rootfs).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void result(const char *cmd, int r)
{
	printf("%s=%s\n", cmd, r < 0 ? strerrorname_np(errno) : "OK");
	fflush(stdout);
}

static int do_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
	return fd;
}

static int do_setns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = setns(fd, 0);
	close(fd);
	return r;
}

static int do_ptrace(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0)
		return -1;
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

static int do_tiocsti(int fd, const char *text)
{
	for (const char *p = text; *p; p++) {
		char c = *p == '~' ? '\n' : *p; /* '~' stands for a newline */

		if (ioctl(fd, TIOCSTI, &c) < 0)
			return -1;
	}
	return 0;
}

/* A line from the terminal on fd 0, waiting at most 1.5 s: what was injected, if anything. */
static void ttyread(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[256] = "";
	ssize_t n = 0;

	if (poll(&p, 1, 1500) > 0)
		n = read(0, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("ttyread=[%s]\n", buf);
	fflush(stdout);
}

/* Every open fd but the directory's own: "fds=0,1,2". */
static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int list[256], n = 0;

	if (!d) {
		result("fds", -1);
		return;
	}
	while ((e = readdir(d)) && n < 256)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			list[n++] = atoi(e->d_name);
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && list[j - 1] > list[j]; j--) {
			int t = list[j];
			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	printf("fds=");
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", list[i]);
	printf("\n");
	fflush(stdout);
}

static void status_line(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') {
			char *v = line + strlen(key) + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			printf("%s=%s\n", key, v);
		}
	if (f)
		fclose(f);
	fflush(stdout);
}

static void one(const char *arg)
{
	/* A copy: argv itself stays intact, so that pgrep -f finds the probe by its arguments. */
	char *spec = strdup(arg), *cmd = spec, *a = strchr(spec, ':'), *b = NULL;
	struct timespec now;
	char path[64];

	if (a) {
		*a++ = '\0';
		b = strchr(a, ':');
		if (b)
			*b++ = '\0';
	}
	if (!strcmp(cmd, "openr"))
		result(cmd, do_open(a, O_RDONLY));
	else if (!strcmp(cmd, "openw"))
		result(cmd, do_open(a, O_WRONLY));
	else if (!strcmp(cmd, "creat"))
		result(cmd, do_open(a, O_WRONLY | O_CREAT | O_EXCL));
	else if (!strcmp(cmd, "opendir"))
		result(cmd, do_open(a, O_RDONLY | O_DIRECTORY));
	else if (!strcmp(cmd, "setns"))
		result(cmd, do_setns(a));
	else if (!strcmp(cmd, "setnsppid")) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)getppid(), a);
		result(cmd, do_setns(path));
	} else if (!strcmp(cmd, "kill"))
		result(cmd, kill(atoi(a), 0));
	else if (!strcmp(cmd, "ptrace"))
		result(cmd, do_ptrace(atoi(a)));
	else if (!strcmp(cmd, "ppid")) {
		printf("ppid=%d\n", (int)getppid());
		fflush(stdout);
	} else if (!strcmp(cmd, "pid")) {
		printf("pid=%d\n", (int)getpid());
		fflush(stdout);
	} else if (!strcmp(cmd, "parentexe")) {
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)getppid());
		result(cmd, do_open(path, O_WRONLY));
	} else if (!strcmp(cmd, "parentmem")) {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)getppid());
		result(cmd, do_open(path, O_RDWR));
	} else if (!strcmp(cmd, "parentfds")) {
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)getppid());
		result(cmd, do_open(path, O_RDONLY | O_DIRECTORY));
	} else if (!strcmp(cmd, "parentptrace"))
		result(cmd, do_ptrace(getppid()));
	else if (!strcmp(cmd, "mount"))
		result(cmd, mount("none", a, "tmpfs", 0, NULL));
	else if (!strcmp(cmd, "bind"))
		result(cmd, mount(a, b, NULL, MS_BIND, NULL));
	else if (!strcmp(cmd, "hostname"))
		result(cmd, sethostname(a, strlen(a)));
	else if (!strcmp(cmd, "settime")) {
		clock_gettime(CLOCK_REALTIME, &now);
		result(cmd, clock_settime(CLOCK_REALTIME, &now));
	} else if (!strcmp(cmd, "mknod"))
		result(cmd, mknod(a, S_IFCHR | 0600, makedev(1, 3)));
	else if (!strcmp(cmd, "mknodopen")) {
		/* A node made in a tmpfs inside (allowed there) must still not open the device. */
		if (mknod(a, S_IFCHR | 0600, makedev(1, 3)) < 0)
			result(cmd, -1);
		else
			result(cmd, do_open(a, O_RDONLY));
	} else if (!strcmp(cmd, "delmod"))
		result(cmd, (int)syscall(SYS_delete_module, "nsbox_no_such_module", O_NONBLOCK));
	else if (!strcmp(cmd, "tiocsti"))
		result(cmd, do_tiocsti(atoi(a), b ? b : "x"));
	else if (!strcmp(cmd, "tiocsctty"))
		result(cmd, ioctl(atoi(a), TIOCSCTTY, 1));
	else if (!strcmp(cmd, "ttyread"))
		ttyread();
	else if (!strcmp(cmd, "fds"))
		fds();
	else if (!strcmp(cmd, "status"))
		status_line(a);
	else if (!strcmp(cmd, "sleep"))
		sleep((unsigned)atoi(a));
	else if (!strcmp(cmd, "wait")) {
		/* Until the file exists (a test's go signal), at most 20 s. */
		for (int i = 0; i < 400 && access(a, F_OK) < 0; i++)
			usleep(50000);
	} else {
		printf("%s=UNKNOWN\n", cmd);
	}
	free(spec);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		one(argv[i]);
	return 0;
}
