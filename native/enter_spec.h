/*
 * The decoded enter-mode spec (docs/PROTOCOL.md §5). The fields shared with unshare mode
 * (report fd, keepfds, fork and its signals, setuid/setgid, keepcaps, the program) live in a
 * `struct spec`, so that the common steps (fds_keep, program_fork, exec_program, ...) run
 * unchanged; the rest is specific to joining existing namespaces.
 */
#ifndef NSBOX_ENTER_SPEC_H
#define NSBOX_ENTER_SPEC_H

#include "rt.h"

#include "spec.h"

/* One namespace to join. */
struct join {
	bool enabled;
	/* The file to open (a /proc/PID/ns entry or a bind mount of one); NULL: the target's. */
	const char *path;
	/* Open namespace fd, -1 until opened (and again once joined). */
	int fd;
	/* Joined through the target's pidfd instead of an fd of its own. */
	bool by_pidfd;
};

struct enter_spec {
	struct spec base;
	pid_t target;                 /* 0: none */
	bool pidfd;                   /* join the target's namespaces through a pidfd */
	uint64_t target_ino;          /* `PID:inode`: the pidfd inode the target must have; 0: any */
	struct join join[NS_KIND_COUNT];
	int netsocket;                /* the target's socket fd for the net namespace; -1: none */
	bool userparent;
	const char *root;             /* opened before the joins, then fchdir + chroot(".") */
	const char *wd;               /* opened before the joins, then fchdir */
	const char *wdns;             /* opened after the chroot, then fchdir */
	const char *cgroup;           /* a cgroup.procs file, opened before the joins */
	bool dropgroups;              /* setgroups(0) before the joins; see enter.c */
	/* A mount action instead of a program: bind bindsrc on bindto, or unmount unbind. */
	const char *bindsrc, *bindto, *unbind;
};

/* Like spec_parse(): NULL on success, or the offending record. */
const char *enter_spec_parse(struct enter_spec *es, int argc, char **argv);

#endif
