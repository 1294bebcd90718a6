#include "userns.h"
#include "process.h"
#include "util.h"

#include "rt.h"

/* The kernel refuses a map write of a page or more (util-linux: "too large for kernel 4k limit"). */
#define MAP_WRITE_MAX 4096

static bool delegated(const struct id_map *m)
{
	return m->by == MAP_WRITE || m->by == MAP_TOOL;
}

/*
 * Writes `text` to a /proc file in one go. Used for uid_map, gid_map and setgroups, which the
 * kernel parses per write() call. `missing_ok`: a kernel without the file (setgroups before
 * 3.19) needs nothing written.
 */
static void write_proc_file_as(struct helper *h, const char *path, const char *text, size_t len,
			       bool missing_ok, const char *open_step, const char *write_step)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		if (missing_ok && errno == ENOENT)
			return;
		die_errno(h, open_step, path, NULL);
	}
	if (write_all(fd, text, len) < 0)
		die_errno(h, write_step, path, NULL);
	close(fd);
}

static void write_proc_file(struct helper *h, const char *path, const char *text, size_t len,
			    bool missing_ok)
{
	write_proc_file_as(h, path, text, len, missing_ok, "open", "write");
}

/* `write`: as root outside, write every line of the map into /proc/<helper>/<file> at once. */
static void write_map(struct helper *h, const char *file, const struct id_map *m)
{
	char path[PROC_PATH_MAX];
	struct buf text = { 0 };

	proc_path(path, h->pid, file);
	for (size_t i = 0; i < m->nranges; i++) {
		buf_put_u64(&text, m->ranges[i].inner);
		buf_putc(&text, ' ');
		buf_put_u64(&text, m->ranges[i].outer);
		buf_putc(&text, ' ');
		buf_put_u64(&text, m->ranges[i].count);
		buf_putc(&text, '\n');
	}
	/* util-linux words these failures of its privileged map writer differently. */
	if (text.len >= MAP_WRITE_MAX)
		die(h, 1, "idmap-size", 0, path, NULL);
	write_proc_file_as(h, path, text.data, text.len, false, "idmap-open", "idmap-write");
	buf_free(&text);
}

/* Formats `v` at *cursor and moves the cursor past its NUL; returns the string. */
static char *put_number(char **cursor, uint64_t v)
{
	char *s = *cursor;

	*cursor += fmt_u64(s, v) + 1;
	return s;
}

/* argv for newuidmap/newgidmap: `TOOL PID inner outer count ...`. */
static char **map_tool_argv(const struct helper *h, const struct id_map *m)
{
	size_t n = 2 + 3 * m->nranges, k = 0;
	char **argv = calloc(n + 1, sizeof(char *));
	char *digits = malloc(n * 21), *cursor = digits;

	if (!argv || !digits)
		_exit(1);
	argv[k++] = (char *)m->tool;
	argv[k++] = put_number(&cursor, (uint64_t)h->pid);
	for (size_t i = 0; i < m->nranges; i++) {
		argv[k++] = put_number(&cursor, m->ranges[i].inner);
		argv[k++] = put_number(&cursor, m->ranges[i].outer);
		argv[k++] = put_number(&cursor, m->ranges[i].count);
	}
	argv[k] = NULL;
	return argv;
}

/* `tool`, as the last thing the map child does: become the tool, whose status is ours. */
static noreturn void exec_map_tool(struct helper *h, const struct id_map *m)
{
	int err;

	execvp(m->tool, map_tool_argv(h, m));
	err = errno;
	die(h, exec_failure_status(err), "idmap-exec", err, m->tool, NULL);
}

/*
 * `tool` for the uid map when the gid map comes after it: run it in a grandchild and wait.
 * A close-on-exec pipe carries execvp's errno back, so a tool that could not be started
 * (`idmap-exec`) is told apart from one that ran and failed (`idmap-status`).
 */
static void run_map_tool(struct helper *h, const struct id_map *m)
{
	int p[2], err = 0, status = 0, code;
	char codestr[21];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno(h, "pipe", NULL, NULL);
	pid = fork();
	if (pid < 0)
		die_errno(h, "fork", NULL, NULL);
	if (pid == 0) {
		close(p[0]);
		execvp(m->tool, map_tool_argv(h, m));
		err = errno;
		(void)write_all(p[1], &err, sizeof(err));
		_exit(exec_failure_status(err));
	}
	close(p[1]);
	n = read_full(p[0], &err, sizeof(err));
	close(p[0]);
	if (waitpid_retry(pid, &status) < 0)
		die_errno(h, "wait", NULL, NULL);
	if (n == (ssize_t)sizeof(err))
		die(h, exec_failure_status(err), "idmap-exec", err, m->tool, NULL);
	code = wait_code(status);
	fmt_u64(codestr, (uint64_t)code);
	if (code != 0)
		die(h, code, "idmap-status", 0, m->tool, codestr);
}

/* The map child, released after unshare(2): uid map first, then gid map, as util-linux. */
static noreturn void map_child_run(struct helper *h)
{
	const struct id_map *maps[2] = { &h->spec->uidmap, &h->spec->gidmap };
	static const char *const files[2] = { "uid_map", "gid_map" };
	int last = delegated(maps[1]) ? 1 : 0;

	for (int i = 0; i < 2; i++) {
		if (!delegated(maps[i]))
			continue;
		if (maps[i]->by == MAP_WRITE)
			write_map(h, files[i], maps[i]);
		else if (i == last)
			exec_map_tool(h, maps[i]); /* one fork fewer, as util-linux */
		else
			run_map_tool(h, maps[i]);
	}
	_exit(0);
}

void idmap_prepare(struct helper *h)
{
	if (!delegated(&h->spec->uidmap) && !delegated(&h->spec->gidmap))
		return;
	/*
	 * Forked before unshare(2): the child must stay in the original user namespace, where it
	 * has the privilege (root, or the setuid tool) to write our maps.
	 */
	if (sync_child_fork(h, &h->map) == 0)
		map_child_run(h);
}

/* The tool that decides the map child's exit status: the one it becomes by execvp. */
static const char *last_tool(const struct spec *s)
{
	if (s->gidmap.by == MAP_TOOL)
		return s->gidmap.tool;
	if (s->uidmap.by == MAP_TOOL && s->gidmap.by != MAP_WRITE)
		return s->uidmap.tool;
	return "";
}

void idmap_release(struct helper *h)
{
	struct buf line = { 0 };
	char codestr[21];
	int code;

	if (h->map.pid <= 0)
		return;
	code = sync_child_release(h, &h->map, &line);
	if (line.len)
		die_relay(h, code ? code : 1, line.data, line.len);
	buf_free(&line);
	if (h->map.killed_by) {
		/* Killed without a word (SIGKILL, the OOM killer): say so. */
		fmt_u64(codestr, (uint64_t)h->map.killed_by);
		die(h, code, "setup-died", 0, "signal", codestr);
	}
	if (code != 0) {
		/* The tool ran and failed; it printed its own message (util-linux exits likewise). */
		fmt_u64(codestr, (uint64_t)code);
		die(h, code, "idmap-status", 0, last_tool(h->spec), codestr);
	}
}

void owner_apply(struct helper *h)
{
	const struct spec *s = h->spec;

	if (!s->has_owner)
		return;
	if (setgroups(0, NULL) < 0)
		die_errno(h, "owner", "setgroups", NULL);
	if (setgid(s->owner_gid) < 0)
		die_errno(h, "owner", "setgid()", NULL);
	if (setuid(s->owner_uid) < 0)
		die_errno(h, "owner", "setuid()", NULL);
	/* The uid change cleared PR_SET_PDEATHSIG: arm it again (and re-check the parent). */
	h->creds_changed = true;
	pdeathsig_arm(h);
}

/* "<inner> <outer> 1", the single-id map an unprivileged process may write for itself. */
static void write_self_map(struct helper *h, const char *path, const struct id_range *r)
{
	char text[64];
	size_t n = fmt_u64(text, r->inner);

	text[n++] = ' ';
	n += fmt_u64(text + n, r->outer);
	memcpy(text + n, " 1", 3);
	write_proc_file(h, path, text, n + 2, false);
}

void self_maps_apply(struct helper *h)
{
	const struct spec *s = h->spec;

	if (s->uidmap.by == MAP_SELF)
		write_self_map(h, "/proc/self/uid_map", &s->uidmap.ranges[0]);
	if (s->gidmap.by == MAP_SELF) {
		/* Since Linux 3.19 an unprivileged gid map needs setgroups disabled first. */
		write_proc_file(h, "/proc/self/setgroups", "deny", 4, true);
		write_self_map(h, "/proc/self/gid_map", &s->gidmap.ranges[0]);
	}
}

void setgroups_apply(struct helper *h)
{
	switch (h->spec->setgroups) {
	case SETGROUPS_ALLOW:
		write_proc_file(h, "/proc/self/setgroups", "allow", 5, true);
		break;
	case SETGROUPS_DENY:
		write_proc_file(h, "/proc/self/setgroups", "deny", 4, true);
		break;
	case SETGROUPS_NONE:
		break;
	}
}

void ids_apply(struct helper *h, bool groups_must_drop)
{
	const struct spec *s = h->spec;

	if (s->has_setgid) {
		/* Supplementary groups would keep the old group's access: drop them first. */
		if (setgroups(0, NULL) < 0 && groups_must_drop)
			die_errno(h, "setgroups", NULL, NULL);
		if (setgid(s->setgid) < 0)
			die_errno(h, "setgid", NULL, NULL);
		h->creds_changed = true;
	}
	if (s->has_setuid) {
		if (setuid(s->setuid) < 0)
			die_errno(h, "setuid", NULL, NULL);
		h->creds_changed = true;
	}
}

void setids_apply(struct helper *h)
{
	ids_apply(h, true);
}

void keepcaps_apply(struct helper *h)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint64_t permitted;

	/* As util-linux: only meaningful with a new user namespace, where we hold capabilities. */
	if (!h->spec->keepcaps || !(h->spec->clone_flags & CLONE_NEWUSER))
		return;
	memset(data, 0, sizeof(data));
	/* Raw syscalls: no libcap for a static binary, and these two calls are all it takes. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		die_errno(h, "caps", "capget", NULL);
	/* A capability can only become ambient if it is both permitted and inheritable. */
	data[0].inheritable = data[0].permitted;
	data[1].inheritable = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		die_errno(h, "caps", "capset", NULL);
	permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	/* Only bits the kernel knows can be permitted, so no cap_last_cap lookup is needed. */
	for (unsigned cap = 0; cap < 64; cap++)
		if ((permitted >> cap) & 1 &&
		    prctl(PR_CAP_AMBIENT, (unsigned long)PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0UL, 0UL) < 0)
			die_errno(h, "caps", "prctl(PR_CAP_AMBIENT)", NULL);
}
