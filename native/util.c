#include "util.h"

#include "rt.h"

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/* A regular write never returns 0 for len > 0; do not spin if one does. */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_i64(const char *s, int64_t *out)
{
	uint64_t mag;

	if (*s == '-') {
		/* The magnitude of INT64_MIN is INT64_MAX + 1. */
		if (!parse_u64(s + 1, 0, (uint64_t)INT64_MAX + 1, &mag))
			return false;
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		return true;
	}
	if (!parse_u64(s, 0, INT64_MAX, &mag))
		return false;
	*out = (int64_t)mag;
	return true;
}

size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

size_t fmt_i64(char *buf, int64_t v)
{
	if (v >= 0)
		return fmt_u64(buf, (uint64_t)v);
	buf[0] = '-';
	/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
	return 1 + fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
}

void proc_path(char *buf, pid_t pid, const char *rest)
{
	size_t n = sizeof("/proc/") - 1;
	size_t rlen = strlen(rest);

	memcpy(buf, "/proc/", n);
	n += fmt_u64(buf + n, (uint64_t)pid);
	buf[n++] = '/';
	if (n + rlen >= PROC_PATH_MAX)
		rlen = PROC_PATH_MAX - 1 - n; /* never happens with our fixed names */
	memcpy(buf + n, rest, rlen);
	buf[n + rlen] = '\0';
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t want = b->len + extra;
	char *p;

	if (want <= b->cap)
		return;
	if (want < 256)
		want = 256;
	if (want < b->cap * 2)
		want = b->cap * 2;
	p = realloc(b->data, want);
	if (!p)
		_exit(1);
	b->data = p;
	b->cap = want;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	/* Nothing to add: an empty buffer has no data pointer, and NULL + 0 is undefined (UBSan). */
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

void buf_put_u64(struct buf *b, uint64_t v)
{
	char tmp[21];

	buf_put(b, tmp, fmt_u64(tmp, v));
}

void buf_put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			buf_put(b, "\\\\", 2);
			break;
		case '\t':
			buf_put(b, "\\t", 2);
			break;
		case '\n':
			buf_put(b, "\\n", 2);
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
