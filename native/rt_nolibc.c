/*
 * The freestanding runtime of the NSBOX_NOLIBC build (see rt.h for why it exists): program
 * entry, system calls, and the few libc functions the helper uses. Everything here is plain
 * and small on purpose; the helper is single-threaded and short-lived, so there is no locking,
 * no buffering and a malloc that never reuses memory.
 */
#ifdef NSBOX_NOLIBC

#include "nolibc.h"

int errno;
char **environ;

/* ---- architecture: system call instruction, entry point, signal return ---- */

#if defined(__x86_64__)

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The kernel starts us with argc at (%rsp); C wants a 16-byte aligned stack and no frame. */
__asm__(".text\n"
	".global _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call nsbox_rt_start\n"
	"	hlt\n");

/* x86_64 signal handlers return through a restorer that we must supply (SA_RESTORER). */
__asm__(".text\n"
	".global nsbox_rt_restore\n"
	".type nsbox_rt_restore, @function\n"
	".align 16\n"
	"nsbox_rt_restore:\n"
	"	mov $15, %rax\n" /* __NR_rt_sigreturn */
	"	syscall\n");
void nsbox_rt_restore(void);
#define RT_RESTORER 1

/*
 * The stack protector reads its canary at %fs:0x28: give %fs a small thread control block
 * (self pointer first, as the ABI expects) before any protected function runs.
 */
static unsigned long rt_tcb[8];

static void arch_setup(unsigned long canary)
{
	rt_tcb[0] = (unsigned long)rt_tcb;
	rt_tcb[5] = canary;
	sys6(__NR_arch_prctl, 0x1002 /* ARCH_SET_FS */, (long)rt_tcb, 0, 0, 0, 0);
}

#elif defined(__aarch64__)

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}

__asm__(".text\n"
	".global _start\n"
	".type _start, %function\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl nsbox_rt_start\n"
	"	brk #0\n");

/* arm64 returns from handlers through the vDSO trampoline: no restorer needed. */
#define RT_RESTORER 0

/* GCC and Clang on arm64 Linux read the canary from this global. */
unsigned long __stack_chk_guard;

static void arch_setup(unsigned long canary)
{
	__stack_chk_guard = canary;
}

#else
#error "the freestanding runtime supports x86_64 and aarch64; build against libc instead"
#endif

/* Called when a stack canary was overwritten: die loudly, do nothing else. */
noreturn void __stack_chk_fail(void);
noreturn void __stack_chk_fail(void)
{
	sys6(__NR_kill, sys6(__NR_getpid, 0, 0, 0, 0, 0, 0), SIGABRT, 0, 0, 0, 0);
	_exit(127);
}

/* Raw result to libc convention: -1 and errno for -4095..-1. */
static long ret(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define SYS(n, a, b, c, d, e, f) ret(sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)))

int main(int argc, char **argv);
noreturn void nsbox_rt_start(long *sp);

#define AT_NULL 0
#define AT_SECURE 23
#define AT_RANDOM 25

/* The kernel's AT_SECURE: set for setuid/setgid executables and file capabilities. */
unsigned long nsbox_rt_at_secure;

/* No arrays and no address-taken locals here: it runs before the canary exists. */
noreturn void nsbox_rt_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	unsigned long *aux, canary = 0x5a17c0ffee0dd00dUL;

	environ = envp;
	while (*envp)
		envp++;
	for (aux = (unsigned long *)(envp + 1); aux[0] != AT_NULL; aux += 2)
		if (aux[0] == AT_RANDOM)
			canary = *(unsigned long *)aux[1] & ~0xffUL; /* a NUL byte stops string overruns */
		else if (aux[0] == AT_SECURE)
			nsbox_rt_at_secure = aux[1];
	arch_setup(canary);
	_exit(main(argc, argv));
}

/* ---- system calls ---- */

noreturn void _exit(int status)
{
	for (;;)
		sys6(__NR_exit_group, status, 0, 0, 0, 0, 0);
}

long syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return ret(sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

int openat(int dirfd, const char *path, int flags, ...)
{
	long mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return (int)SYS(__NR_openat, dirfd, path, flags, mode, 0, 0);
}

int open(const char *path, int flags, ...)
{
	int mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return openat(AT_FDCWD, path, flags, mode);
}

int close(int fd)
{
	return (int)SYS(__NR_close, fd, 0, 0, 0, 0, 0);
}

ssize_t read(int fd, void *buf, size_t n)
{
	return SYS(__NR_read, fd, buf, n, 0, 0, 0);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return SYS(__NR_write, fd, buf, n, 0, 0, 0);
}

int pipe2(int fds[2], int flags)
{
	return (int)SYS(__NR_pipe2, fds, flags, 0, 0, 0, 0);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)SYS(__NR_fcntl, fd, cmd, arg, 0, 0, 0);
}

pid_t fork(void)
{
	/* clone(SIGCHLD) is fork(2); arm64 has no fork system call. */
	return (pid_t)SYS(__NR_clone, SIGCHLD, 0, 0, 0, 0, 0);
}

pid_t getpid(void)
{
	return (pid_t)sys6(__NR_getpid, 0, 0, 0, 0, 0, 0);
}

pid_t getppid(void)
{
	return (pid_t)sys6(__NR_getppid, 0, 0, 0, 0, 0, 0);
}

pid_t setsid(void)
{
	return (pid_t)SYS(__NR_setsid, 0, 0, 0, 0, 0, 0);
}

pid_t getsid(pid_t pid)
{
	return (pid_t)SYS(__NR_getsid, pid, 0, 0, 0, 0, 0);
}

uid_t getuid(void)
{
	return (uid_t)sys6(__NR_getuid, 0, 0, 0, 0, 0, 0);
}

uid_t geteuid(void)
{
	return (uid_t)sys6(__NR_geteuid, 0, 0, 0, 0, 0, 0);
}

gid_t getgid(void)
{
	return (gid_t)sys6(__NR_getgid, 0, 0, 0, 0, 0, 0);
}

gid_t getegid(void)
{
	return (gid_t)sys6(__NR_getegid, 0, 0, 0, 0, 0, 0);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	return (int)SYS(__NR_execve, path, argv, envp, 0, 0, 0);
}

int setgroups(size_t n, const gid_t *list)
{
	return (int)SYS(__NR_setgroups, n, list, 0, 0, 0, 0);
}

int setgid(gid_t gid)
{
	return (int)SYS(__NR_setgid, gid, 0, 0, 0, 0, 0);
}

int setuid(uid_t uid)
{
	return (int)SYS(__NR_setuid, uid, 0, 0, 0, 0, 0);
}

int chroot(const char *path)
{
	return (int)SYS(__NR_chroot, path, 0, 0, 0, 0, 0);
}

int mkdir(const char *path, unsigned int mode)
{
	return (int)SYS(__NR_mkdirat, AT_FDCWD, path, mode, 0, 0, 0);
}

int mkdirat(int dirfd, const char *path, unsigned int mode)
{
	return (int)SYS(__NR_mkdirat, dirfd, path, mode, 0, 0, 0);
}

int symlink(const char *target, const char *linkpath)
{
	return (int)SYS(__NR_symlinkat, target, AT_FDCWD, linkpath, 0, 0, 0);
}

int sethostname(const char *name, size_t len)
{
	return (int)SYS(__NR_sethostname, name, len, 0, 0, 0, 0);
}

int statfs(const char *path, struct statfs *buf)
{
	return (int)SYS(__NR_statfs, path, buf, 0, 0, 0, 0);
}

int chdir(const char *path)
{
	return (int)SYS(__NR_chdir, path, 0, 0, 0, 0, 0);
}

int unshare(int flags)
{
	return (int)SYS(__NR_unshare, flags, 0, 0, 0, 0, 0);
}

int setns(int fd, int nstype)
{
	return (int)SYS(__NR_setns, fd, nstype, 0, 0, 0, 0);
}

int fchdir(int fd)
{
	return (int)SYS(__NR_fchdir, fd, 0, 0, 0, 0, 0);
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	long arg;

	/* Every request the helper makes takes at most one argument (or none: then it is junk). */
	va_start(ap, request);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)SYS(__NR_ioctl, fd, request, arg, 0, 0, 0);
}

int mount(const char *src, const char *target, const char *fstype, unsigned long flags,
	  const void *data)
{
	return (int)SYS(__NR_mount, src, target, fstype, flags, data, 0);
}

int umount2(const char *target, int flags)
{
	return (int)SYS(__NR_umount2, target, flags, 0, 0, 0, 0);
}

int prctl(int option, ...)
{
	va_list ap;
	long a[4];

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return (int)SYS(__NR_prctl, option, a[0], a[1], a[2], a[3], 0);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct statx stx;

	/* statx exists on every architecture (arm64 has no fstatat); inode, type and owner. */
	if (SYS(__NR_statx, dirfd, path, flags, STATX_INO | STATX_TYPE | STATX_MODE | STATX_UID, &stx, 0) < 0)
		return -1;
	st->st_ino = stx.stx_ino;
	st->st_mode = stx.stx_mode;
	st->st_uid = stx.stx_uid;
	return 0;
}

int stat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	return (pid_t)SYS(__NR_wait4, pid, status, options, 0, 0, 0);
}

int kill(pid_t pid, int sig)
{
	return (int)SYS(__NR_kill, pid, sig, 0, 0, 0, 0);
}

int sigemptyset(sigset_t *set)
{
	memset(set, 0, sizeof(*set));
	return 0;
}

int sigaddset(sigset_t *set, int sig)
{
	unsigned long *words = (unsigned long *)set;
	unsigned bits = 8 * sizeof(unsigned long);

	if (sig < 1 || sig > 64) {
		errno = EINVAL;
		return -1;
	}
	words[(sig - 1) / bits] |= 1UL << ((sig - 1) % bits);
	return 0;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return (int)SYS(__NR_rt_sigprocmask, how, set, old, sizeof(sigset_t), 0, 0);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction k;

	if (!act)
		return (int)SYS(__NR_rt_sigaction, sig, 0, old, sizeof(sigset_t), 0, 0);
	k = *act;
#if RT_RESTORER
	k.sa_flags |= SA_RESTORER;
	k.sa_restorer = (__sigrestore_t)nsbox_rt_restore;
#endif
	return (int)SYS(__NR_rt_sigaction, sig, &k, old, sizeof(sigset_t), 0, 0);
}

sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART; /* BSD semantics, like glibc's signal() */
	if (sigaction(sig, &sa, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct __kernel_timespec ts = { timeout / 1000, (long long)(timeout % 1000) * 1000000 };

	/* ppoll: arm64 has no poll system call. */
	return (int)SYS(__NR_ppoll, fds, n, timeout < 0 ? 0 : (long)&ts, 0, sizeof(sigset_t), 0);
}

int setrlimit(int resource, const struct rlimit *rl)
{
	return (int)SYS(__NR_prlimit64, 0, resource, rl, 0, 0, 0);
}

int socketpair(int domain, int type, int protocol, int fds[2])
{
	return (int)SYS(__NR_socketpair, domain, type, protocol, fds, 0, 0);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return SYS(__NR_sendto, fd, buf, n, flags, 0, 0);
}

int socket(int domain, int type, int protocol)
{
	return (int)SYS(__NR_socket, domain, type, protocol, 0, 0, 0);
}

int setsockopt(int fd, int level, int name, const void *val, unsigned int len)
{
	return (int)SYS(__NR_setsockopt, fd, level, name, val, len, 0);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return SYS(__NR_recvmsg, fd, msg, flags, 0, 0, 0);
}

/* ---- dirent ---- */

struct nolibc_dir {
	int fd;
	size_t pos, len;
	char buf[4096] __attribute__((aligned(8)));
};

DIR *opendir(const char *path)
{
	DIR *d;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	d = malloc(sizeof(*d));
	if (!d) {
		close(fd);
		return 0;
	}
	d->fd = fd;
	d->pos = d->len = 0;
	return d;
}

struct dirent *readdir(DIR *d)
{
	struct dirent *e;

	if (d->pos >= d->len) {
		long n = SYS(__NR_getdents64, d->fd, d->buf, sizeof(d->buf), 0, 0, 0);

		if (n <= 0)
			return 0;
		d->len = (size_t)n;
		d->pos = 0;
	}
	e = (struct dirent *)(d->buf + d->pos);
	d->pos += e->d_reclen;
	return e;
}

int closedir(DIR *d)
{
	int r = close(d->fd);

	free(d);
	return r;
}

int dirfd(DIR *d)
{
	return d->fd;
}

/* ---- string.h ---- */

/*
 * The empty asm in each loop keeps the compiler from turning the loop back into a call to the
 * very function it implements.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--) {
		*d++ = *s++;
		__asm__ volatile("" ::: "memory");
	}
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--) {
		d[n] = s[n];
		__asm__ volatile("" ::: "memory");
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--) {
		*d++ = (unsigned char)c;
		__asm__ volatile("" ::: "memory");
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p) {
		p++;
		__asm__ volatile("");
	}
	return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return 0;
	}
}

char *strrchr(const char *s, int c)
{
	const char *found = 0;

	for (;; s++) {
		if (*s == (char)c)
			found = s;
		if (!*s)
			return (char *)found;
	}
}

/* glibc's messages, so that errors read exactly as util-linux prints them on glibc systems. */
static const char *const error_messages[] = {
	[0] = "Success",
	[1] = "Operation not permitted",
	[2] = "No such file or directory",
	[3] = "No such process",
	[4] = "Interrupted system call",
	[5] = "Input/output error",
	[6] = "No such device or address",
	[7] = "Argument list too long",
	[8] = "Exec format error",
	[9] = "Bad file descriptor",
	[10] = "No child processes",
	[11] = "Resource temporarily unavailable",
	[12] = "Cannot allocate memory",
	[13] = "Permission denied",
	[14] = "Bad address",
	[15] = "Block device required",
	[16] = "Device or resource busy",
	[17] = "File exists",
	[18] = "Invalid cross-device link",
	[19] = "No such device",
	[20] = "Not a directory",
	[21] = "Is a directory",
	[22] = "Invalid argument",
	[23] = "Too many open files in system",
	[24] = "Too many open files",
	[25] = "Inappropriate ioctl for device",
	[26] = "Text file busy",
	[27] = "File too large",
	[28] = "No space left on device",
	[29] = "Illegal seek",
	[30] = "Read-only file system",
	[31] = "Too many links",
	[32] = "Broken pipe",
	[33] = "Numerical argument out of domain",
	[34] = "Numerical result out of range",
	[35] = "Resource deadlock avoided",
	[36] = "File name too long",
	[37] = "No locks available",
	[38] = "Function not implemented",
	[39] = "Directory not empty",
	[40] = "Too many levels of symbolic links",
	[42] = "No message of desired type",
	[43] = "Identifier removed",
	[44] = "Channel number out of range",
	[45] = "Level 2 not synchronized",
	[46] = "Level 3 halted",
	[47] = "Level 3 reset",
	[48] = "Link number out of range",
	[49] = "Protocol driver not attached",
	[50] = "No CSI structure available",
	[51] = "Level 2 halted",
	[52] = "Invalid exchange",
	[53] = "Invalid request descriptor",
	[54] = "Exchange full",
	[55] = "No anode",
	[56] = "Invalid request code",
	[57] = "Invalid slot",
	[59] = "Bad font file format",
	[60] = "Device not a stream",
	[61] = "No data available",
	[62] = "Timer expired",
	[63] = "Out of streams resources",
	[64] = "Machine is not on the network",
	[65] = "Package not installed",
	[66] = "Object is remote",
	[67] = "Link has been severed",
	[68] = "Advertise error",
	[69] = "Srmount error",
	[70] = "Communication error on send",
	[71] = "Protocol error",
	[72] = "Multihop attempted",
	[73] = "RFS specific error",
	[74] = "Bad message",
	[75] = "Value too large for defined data type",
	[76] = "Name not unique on network",
	[77] = "File descriptor in bad state",
	[78] = "Remote address changed",
	[79] = "Can not access a needed shared library",
	[80] = "Accessing a corrupted shared library",
	[81] = ".lib section in a.out corrupted",
	[82] = "Attempting to link in too many shared libraries",
	[83] = "Cannot exec a shared library directly",
	[84] = "Invalid or incomplete multibyte or wide character",
	[85] = "Interrupted system call should be restarted",
	[86] = "Streams pipe error",
	[87] = "Too many users",
	[88] = "Socket operation on non-socket",
	[89] = "Destination address required",
	[90] = "Message too long",
	[91] = "Protocol wrong type for socket",
	[92] = "Protocol not available",
	[93] = "Protocol not supported",
	[94] = "Socket type not supported",
	[95] = "Operation not supported",
	[96] = "Protocol family not supported",
	[97] = "Address family not supported by protocol",
	[98] = "Address already in use",
	[99] = "Cannot assign requested address",
	[100] = "Network is down",
	[101] = "Network is unreachable",
	[102] = "Network dropped connection on reset",
	[103] = "Software caused connection abort",
	[104] = "Connection reset by peer",
	[105] = "No buffer space available",
	[106] = "Transport endpoint is already connected",
	[107] = "Transport endpoint is not connected",
	[108] = "Cannot send after transport endpoint shutdown",
	[109] = "Too many references: cannot splice",
	[110] = "Connection timed out",
	[111] = "Connection refused",
	[112] = "Host is down",
	[113] = "No route to host",
	[114] = "Operation already in progress",
	[115] = "Operation now in progress",
	[116] = "Stale file handle",
	[117] = "Structure needs cleaning",
	[118] = "Not a XENIX named type file",
	[119] = "No XENIX semaphores available",
	[120] = "Is a named type file",
	[121] = "Remote I/O error",
	[122] = "Disk quota exceeded",
	[123] = "No medium found",
	[124] = "Wrong medium type",
	[125] = "Operation canceled",
	[126] = "Required key not available",
	[127] = "Key has expired",
	[128] = "Key has been revoked",
	[129] = "Key was rejected by service",
	[130] = "Owner died",
	[131] = "State not recoverable",
	[132] = "Operation not possible due to RF-kill",
	[133] = "Memory page has hardware error",
};

char *strerror(int err)
{
	static char unknown[40] = "Unknown error ";
	const size_t prefix = sizeof("Unknown error ") - 1;
	unsigned v = err < 0 ? 0U - (unsigned)err : (unsigned)err;
	char digits[12];
	size_t n = 0, i = prefix;

	if (err >= 0 && (size_t)err < sizeof(error_messages) / sizeof(error_messages[0]) &&
	    error_messages[err])
		return (char *)error_messages[err];
	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	if (err < 0)
		unknown[i++] = '-';
	while (n)
		unknown[i++] = digits[--n];
	unknown[i] = '\0';
	return unknown;
}

/* ---- malloc: a bump allocator (bss pages cost nothing until touched), mmap for big blocks ---- */

#define ARENA_SIZE (256 * 1024)

struct block {
	size_t size;   /* usable bytes */
	size_t mapped; /* total mmap length, 0 for arena blocks */
};

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(16)));
static size_t arena_used;

static size_t round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

void *malloc(size_t n)
{
	size_t total;
	struct block *b;

	if (n > ((size_t)1 << 40)) {
		errno = ENOMEM;
		return 0;
	}
	total = sizeof(struct block) + round16(n ? n : 1);
	if (total <= ARENA_SIZE - arena_used) {
		b = (struct block *)(arena + arena_used);
		arena_used += total;
		b->mapped = 0;
	} else {
		long p = SYS(__NR_mmap, 0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == -1)
			return 0;
		b = (struct block *)p;
		b->mapped = total;
	}
	b->size = total - sizeof(struct block);
	return b + 1;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size) {
		errno = ENOMEM;
		return 0;
	}
	/* free() hands the top of the arena back, so memory may have been used before. */
	p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static bool is_arena_top(const struct block *b)
{
	return !b->mapped && (const unsigned char *)(b + 1) + b->size == arena + arena_used;
}

void free(void *p)
{
	struct block *b;

	if (!p)
		return;
	b = (struct block *)p - 1;
	if (b->mapped)
		SYS(__NR_munmap, b, b->mapped, 0, 0, 0, 0);
	else if (is_arena_top(b))
		arena_used -= sizeof(struct block) + b->size; /* the common push/pop pattern */
}

void *realloc(void *p, size_t n)
{
	struct block *b;
	void *q;

	if (!p)
		return malloc(n);
	b = (struct block *)p - 1;
	if (n <= b->size)
		return p;
	if (is_arena_top(b) && round16(n) - b->size <= ARENA_SIZE - arena_used) {
		arena_used += round16(n) - b->size;
		b->size = round16(n);
		return p;
	}
	q = malloc(n);
	if (!q)
		return 0;
	memcpy(q, p, b->size);
	free(p);
	return q;
}

/* ---- execvp, with glibc's search rules ---- */

static const char *getenv_path(void)
{
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return 0;
}

/* A file without #! that the kernel refused (ENOEXEC) is a shell script, as POSIX says. */
static void exec_as_script(const char *path, char *const argv[])
{
	size_t argc = 0;
	char **sh_argv;

	while (argv[argc])
		argc++;
	sh_argv = calloc(argc + 2, sizeof(char *));
	if (!sh_argv)
		return;
	sh_argv[0] = (char *)"/bin/sh";
	sh_argv[1] = (char *)path;
	for (size_t i = 1; i < argc; i++)
		sh_argv[i + 1] = argv[i];
	execve("/bin/sh", sh_argv, environ);
	free(sh_argv); /* keeps errno: the caller looks at the shell's error */
}

int execvp(const char *file, char *const argv[])
{
	const char *path, *p, *end;
	size_t flen = strlen(file);
	bool eacces = false;
	char *buf;

	if (flen == 0) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/')) {
		execve(file, argv, environ);
		if (errno == ENOEXEC)
			exec_as_script(file, argv);
		return -1;
	}
	path = getenv_path();
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's _CS_PATH */
	buf = malloc(strlen(path) + flen + 2);
	if (!buf)
		return -1;
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		/* An empty element is the current directory. */
		memcpy(buf, p, dlen);
		if (dlen)
			buf[dlen++] = '/';
		memcpy(buf + dlen, file, flen + 1);
		execve(buf, argv, environ);
		if (errno == ENOEXEC)
			exec_as_script(buf, argv);
		switch (errno) {
		case EACCES:
			eacces = true;
			break;
		case ENOENT:
		case ESTALE:
		case ENOTDIR:
		case ENODEV:
		case ETIMEDOUT:
			break;
		default:
			free(buf);
			return -1;
		}
		if (*end == '\0')
			break;
	}
	free(buf);
	if (eacces)
		errno = EACCES;
	return -1;
}

#endif /* NSBOX_NOLIBC */
