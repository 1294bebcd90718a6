/*
 * The subset of the C library the helper uses, for the NSBOX_NOLIBC build (see rt.h). Types,
 * constants and prototypes follow POSIX/glibc so that the same code compiles against either;
 * the constants come from the kernel's UAPI headers, which is where libc gets them too.
 */
#ifndef NSBOX_NOLIBC_H
#define NSBOX_NOLIBC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <asm/unistd.h>
#include <asm/signal.h>
#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/poll.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/stat.h>
#include <linux/time.h>
#include <linux/uio.h>
#include <asm/statfs.h>

#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif

typedef long ssize_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef int clockid_t;
typedef int sig_atomic_t;
typedef unsigned long nfds_t;
typedef __sighandler_t sighandler_t;

extern int errno;
extern char **environ;
/* AT_SECURE from the auxiliary vector (rt_nolibc.c reads it at start-up). */
extern unsigned long nsbox_rt_at_secure;

/* string.h */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strerror(int err);

/* stdlib.h */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

/* unistd.h, fcntl.h, and friends */
int open(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int close(int fd);
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int pipe2(int fds[2], int flags);
int fcntl(int fd, int cmd, ...);
pid_t fork(void);
pid_t getpid(void);
pid_t getppid(void);
pid_t setsid(void);
pid_t getsid(pid_t pid);
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int execve(const char *path, char *const argv[], char *const envp[]);
int execvp(const char *file, char *const argv[]);
noreturn void _exit(int status);
int setgroups(size_t n, const gid_t *list);
int setgid(gid_t gid);
int setuid(uid_t uid);
int chroot(const char *path);
int mkdir(const char *path, unsigned int mode);
int mkdirat(int dirfd, const char *path, unsigned int mode);
int symlink(const char *target, const char *linkpath);
int sethostname(const char *name, size_t len);
int statfs(const char *path, struct statfs *buf);
int chdir(const char *path);
int fchdir(int fd);
long syscall(long nr, ...);

/* sched.h, sys/mount.h, sys/prctl.h */
int unshare(int flags);
int setns(int fd, int nstype);
int mount(const char *src, const char *target, const char *fstype, unsigned long flags,
	  const void *data);
int umount2(const char *target, int flags);
#ifndef MNT_DETACH
#define MNT_DETACH 2 /* sys/mount.h: not in linux/mount.h */
#endif
int prctl(int option, ...);

/* sys/ioctl.h */
int ioctl(int fd, unsigned long request, ...);

/* sys/stat.h: only the inode number, the mode and the owner are ever needed. */
struct stat {
	unsigned long long st_ino;
	unsigned int st_mode;
	uid_t st_uid;
};
int stat(const char *path, struct stat *st);
int fstatat(int dirfd, const char *path, struct stat *st, int flags);

/* sys/wait.h */
#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (((signed char)(((s) & 0x7f) + 1) >> 1) > 0)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#ifndef WUNTRACED
#define WUNTRACED 2
#endif
pid_t waitpid(pid_t pid, int *status, int options);

/* signal.h (the kernel's sigset_t and struct sigaction are what rt_sigaction takes) */
int kill(pid_t pid, int sig);
sighandler_t signal(int sig, sighandler_t handler);
int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
int sigemptyset(sigset_t *set);
int sigaddset(sigset_t *set, int sig);

/* poll.h */
int poll(struct pollfd *fds, nfds_t n, int timeout);

/* sys/resource.h */
int setrlimit(int resource, const struct rlimit *rl);

/* sys/socket.h */
#define AF_UNIX 1
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_CLOEXEC O_CLOEXEC
#define MSG_NOSIGNAL 0x4000
#define SOL_SOCKET 1
#define SO_PASSCRED 16
#define SCM_CREDENTIALS 2
struct ucred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};
/* The kernel's struct user_msghdr, which has glibc's layout. */
struct msghdr {
	void *msg_name;
	int msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};
struct cmsghdr {
	size_t cmsg_len;
	int cmsg_level;
	int cmsg_type;
};
#define CMSG_ALIGN(len) (((len) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_SPACE(len) (CMSG_ALIGN(sizeof(struct cmsghdr)) + CMSG_ALIGN(len))
#define CMSG_LEN(len) (CMSG_ALIGN(sizeof(struct cmsghdr)) + (len))
#define CMSG_DATA(c) ((unsigned char *)(c) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_FIRSTHDR(m) \
	((m)->msg_controllen >= sizeof(struct cmsghdr) ? (struct cmsghdr *)(m)->msg_control : (struct cmsghdr *)0)
int socket(int domain, int type, int protocol);
int socketpair(int domain, int type, int protocol, int fds[2]);
int setsockopt(int fd, int level, int name, const void *val, unsigned int len);
ssize_t send(int fd, const void *buf, size_t n, int flags);
ssize_t recvmsg(int fd, struct msghdr *msg, int flags);

/* dirent.h */
struct dirent {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
typedef struct nolibc_dir DIR;
DIR *opendir(const char *path);
struct dirent *readdir(DIR *dir);
int closedir(DIR *dir);
int dirfd(DIR *dir);

/* sys/syscall.h */
#define SYS_capget __NR_capget
#define SYS_capset __NR_capset
#ifdef __NR_close_range
#define SYS_close_range __NR_close_range
#endif
#ifdef __NR_pidfd_open
#define SYS_pidfd_open __NR_pidfd_open
#endif
#ifdef __NR_pidfd_getfd
#define SYS_pidfd_getfd __NR_pidfd_getfd
#endif
#ifdef __NR_mount_setattr
#define SYS_mount_setattr __NR_mount_setattr
#endif
#define SYS_pivot_root __NR_pivot_root

#endif
