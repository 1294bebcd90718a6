/*
 * Shared by the fuzz targets: turns the fuzzer's bytes into the argv the helper would get.
 *
 * The input is the helper's command line after argv[0], as /proc/PID/cmdline shows it: records
 * terminated by NUL bytes (a last record without one counts too). Each record gets a heap
 * block of its exact size, so AddressSanitizer catches a decoder reading past a record's end;
 * argv[0] is "nsbox-helper" and argv[argc] is NULL, as execve(2) makes them.
 */
#ifndef NSBOX_FUZZ_RECORDS_H
#define NSBOX_FUZZ_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* More records than any real spec has; keeps one input from taking seconds. */
#define FUZZ_MAX_RECORDS 4096

struct records {
	int argc;
	char **argv;
};

static inline char *fuzz_dup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Returns 0, or -1 when the input has too many records (the target then ignores it). */
static inline int records_split(struct records *r, const uint8_t *data, size_t size)
{
	size_t count = 1, start = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\0')
			count++;
	if (size > 0 && data[size - 1] == '\0')
		count--;
	if (count + 1 > FUZZ_MAX_RECORDS)
		return -1;
	r->argv = calloc(count + 2, sizeof(char *));
	if (!r->argv)
		abort();
	r->argc = 0;
	r->argv[r->argc++] = fuzz_dup((const uint8_t *)"nsbox-helper", 12);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\0')
			continue;
		if (i == size && start == size)
			break;
		r->argv[r->argc++] = fuzz_dup(data + start, i - start);
		start = i + 1;
	}
	r->argv[r->argc] = NULL;
	return 0;
}

static inline void records_free(struct records *r)
{
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
}

/* A broken invariant: crash loudly, so that the fuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                              \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                                      \
		}                                                                                     \
	} while (0)

/* The record a decoder blames is a readable string: touch every byte of it. */
static inline size_t touch_string(const char *s)
{
	volatile size_t n = strlen(s);

	return n;
}

#endif
