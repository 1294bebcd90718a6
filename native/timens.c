#include "timens.h"
#include "util.h"

#include "rt.h"

/*
 * "<clockid> <secs> 0". The offsets can only be set while no process lives in the new time
 * namespace, i.e. now, between unshare(2) and the fork/exec that enters it.
 */
static void write_offset(struct helper *h, int fd, clockid_t clock, int64_t secs)
{
	char line[64];
	size_t n = fmt_u64(line, (uint64_t)clock);
	ssize_t w;

	line[n++] = ' ';
	n += fmt_i64(line + n, secs);
	memcpy(line + n, " 0", 3);
	n += 2;
	/* One write per line: the kernel parses each write() call on its own. */
	w = write(fd, line, n);
	if (w < 0)
		die_errno(h, "timens-write", NULL, NULL);
	if (w != (ssize_t)n)
		die(h, 1, "timens-write", EIO, NULL, NULL);
}

void timens_apply(struct helper *h)
{
	const struct spec *s = h->spec;
	int fd;

	if (!s->has_boottime && !s->has_monotonic)
		return;
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(h, "timens-open", NULL, NULL);
	if (s->has_boottime)
		write_offset(h, fd, CLOCK_BOOTTIME, s->boottime);
	if (s->has_monotonic)
		write_offset(h, fd, CLOCK_MONOTONIC, s->monotonic);
	close(fd);
}
