/*
 * The one header the helper's code includes for everything the system provides.
 *
 * Two builds share the code (scripts/build-helper.mjs picks one):
 *  - NSBOX_NOLIBC (x86_64, aarch64): no C library at all; nolibc.h declares the small subset
 *    of libc the helper uses, implemented on raw system calls by rt_nolibc.c. This is for
 *    start-up time: a static glibc spends ~0.3 ms (on a VM) before main() probing the CPU
 *    (dozens of trapping CPUID instructions) and faulting in its pages, which is more than
 *    everything the helper itself does.
 *  - otherwise, the system's libc, linked statically when possible.
 * Code written against this header must stick to what nolibc.h declares.
 */
#ifndef NSBOX_RT_H
#define NSBOX_RT_H

#ifdef NSBOX_NOLIBC
#include "nolibc.h"
#else
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
/* linux/nsfs.h and linux/sockios.h: defined here so that neither header is needed. */
#ifndef NS_GET_USERNS
#define NS_GET_USERNS 0xb701 /* _IO(0xb7, 0x1) */
#endif
#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif
#ifndef PR_SET_DUMPABLE
#define PR_SET_DUMPABLE 4
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
/* linux/mount.h (mount_setattr, Linux 5.12), for C libraries whose headers predate it. */
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
/* statfs(2) f_flags (ST_* in sys/statvfs.h), under their own names so both builds agree. */
#define NSBOX_ST_NOSUID 0x0002
#define NSBOX_ST_NODEV 0x0004
#define NSBOX_ST_NOEXEC 0x0008
/* linux/sockios.h and linux/if.h: only what bringing up `lo` takes (linux/if.h clashes with libc). */
#define NSBOX_SIOCGIFFLAGS 0x8913
#define NSBOX_SIOCSIFFLAGS 0x8914
#define NSBOX_IFF_UP 0x1
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif

#endif
