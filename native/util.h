/*
 * Small, dependency-free helpers shared by every part of the helper: complete reads and
 * writes, strict decimal parsing, and a growable byte buffer for status lines.
 */
#ifndef NSBOX_UTIL_H
#define NSBOX_UTIL_H

#include "rt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Room for "/proc/<pid>/ns/time_for_children" and the like: pids are at most 10 digits, and
 * the longest fixed part is well under 48 bytes.
 */
#define PROC_PATH_MAX 64

/* write(2) until everything is out; retries EINTR and short writes. 0 or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);

/* read(2) until EOF or `len` bytes; retries EINTR. Returns the byte count or -1 with errno. */
ssize_t read_full(int fd, void *buf, size_t len);

/*
 * Strict decimal parsing: the whole string must be digits (an optional leading '-' for the
 * signed variant), nothing before or after, and the value within [min, max]. A spec that says
 * "10x" or " 10" is a bug on the TS side, never something to guess at.
 */
bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
bool parse_i64(const char *s, int64_t *out);

/* Formats `v` in decimal into `buf` (at least 21 bytes); returns the length. */
size_t fmt_u64(char *buf, uint64_t v);
size_t fmt_i64(char *buf, int64_t v);

/* "/proc/<pid>/<rest>" into a PROC_PATH_MAX buffer. */
void proc_path(char *buf, pid_t pid, const char *rest);

/* A growable byte buffer; on allocation failure the process exits (nothing sane remains). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_put_u64(struct buf *b, uint64_t v);
/* A string field of a status line: '\' -> "\\", tab -> "\t", newline -> "\n" (PROTOCOL §3). */
void buf_put_escaped(struct buf *b, const char *s);
void buf_free(struct buf *b);

#endif
