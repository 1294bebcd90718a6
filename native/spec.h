/*
 * The decoded spec (docs/PROTOCOL.md §1). Every value has been checked by spec_parse(); the
 * rest of the helper trusts these fields and never looks at argv again, except for the program
 * argv, which is passed to execvp(3) as is.
 */
#ifndef NSBOX_SPEC_H
#define NSBOX_SPEC_H

#include "rt.h"

/* Namespace kinds, in the order util-linux creates persistence binds for them. */
enum ns_kind { NS_USER, NS_CGROUP, NS_IPC, NS_UTS, NS_NET, NS_PID, NS_MNT, NS_TIME, NS_KIND_COUNT };

struct ns_kind_info {
	const char *name;    /* as in `ns=` and `persist=KIND:` */
	int clone_flag;      /* CLONE_NEW* for unshare(2) */
	const char *nsfile;  /* the /proc/PID/ns/ entry a persistence bind uses */
};

extern const struct ns_kind_info ns_kinds[NS_KIND_COUNT];

enum map_writer { MAP_NONE, MAP_SELF, MAP_WRITE, MAP_TOOL };

struct id_range {
	uint32_t inner;
	uint32_t outer;
	uint32_t count;
};

struct id_map {
	enum map_writer by;
	const char *tool;        /* newuidmap/newgidmap for MAP_TOOL */
	struct id_range *ranges; /* in spec order */
	size_t nranges;
};

enum setgroups_mode { SETGROUPS_NONE, SETGROUPS_DENY, SETGROUPS_ALLOW };

/* A bind mount (`bind=` + `bindsrc=` + `binddst=`): read-only, read-write, or with devices. */
enum bind_mode { BIND_RO, BIND_RW, BIND_DEV, BIND_TMPFS };

struct bind {
	enum bind_mode mode;
	const char *src;   /* NULL for BIND_TMPFS */
	const char *dst;
	uint64_t size;     /* BIND_TMPFS: size= in bytes, 0 for the kernel's default */
};

/* Hostnames are at most 64 bytes (HOST_NAME_MAX, the kernel's __NEW_UTS_LEN). */
#define HOSTNAME_MAX 64

struct spec {
	int report_fd;
	int keepfds;
	int clone_flags;                    /* CLONE_NEW* of every `ns=` */
	const char *persist[NS_KIND_COUNT]; /* bind target per kind, or NULL */
	bool any_persist;
	bool fork;
	/* The forking parent stops when the program stops, then continues it (nsenter mode). */
	bool follow_stops;
	int killchild;                      /* signal, 0 = none */
	uint64_t forward;                   /* bit (sig - 1) per signal */
	uint64_t block;
	int pdeathsig;                      /* signal, 0 = none */
	pid_t parent;                       /* expected parent pid, 0 = not checked */
	const char *procmount;
	const char *binfmt;
	const char *interp;
	unsigned long propagation;          /* MS_REC | MS_<mode>; 0 = unchanged */
	const char *root;
	const char *wd;
	bool has_setgid, has_setuid;
	gid_t setgid;
	uid_t setuid;
	bool has_owner;
	uid_t owner_uid;
	gid_t owner_gid;
	struct id_map uidmap, gidmap;
	enum setgroups_mode setgroups;
	bool keepcaps;
	/* setsid(2) just before exec (and in an init): the program has no controlling terminal. */
	bool setsid;
	/* CLONE_NEW* flags that may be left out if unshare(2) refuses them (`tryns=`). */
	int try_flags;
	/* With fork and a pid namespace: the forked child stays as a minimal init (pid 1). */
	bool init;
	const char *hostname;               /* sethostname(2) in the new UTS namespace, or NULL */
	bool loopback;                      /* bring `lo` up in the new network namespace */
	struct bind *binds;                 /* in spec order (`tmpfs=` records too) */
	size_t nbinds;
	/* Decoding only: 1 while a `bindsrc=` must come next, 2 for `binddst=`, else 0. */
	int bind_expect;
	/* Rootfs mode (rootfs.c): the new root, its overlay upper ("tmpfs" or a dir), read-only. */
	const char *rootfs;
	const char *overlay;
	bool rootro;
	bool has_boottime, has_monotonic;
	int64_t boottime, monotonic;
	const char *file;                   /* what execvp(3) looks up */
	char **argv;                        /* argv[0] included, NULL-terminated */
};

/*
 * Decodes argv into `spec`. Returns NULL on success, or the offending record (an argv element,
 * or "<key>=" for a missing required record, or "--" for a missing program) on failure. Even
 * on failure spec->report_fd is set when a valid `report=` record was seen, so the error can
 * be reported there; it is -1 otherwise.
 */
const char *spec_parse(struct spec *spec, int argc, char **argv);

/* Shared with the enter-mode decoder (enter_spec.c), which takes the same kinds, signals, ids. */
#define SIGNAL_MAX 64
#define ID_MAX 0xfffffffeULL /* (uid_t)-1 is "no id" to the kernel */

/* The kind named by the `len` bytes at `s`, or -1. */
int ns_kind_from_name(const char *s, size_t len);
/* A signal number 1..SIGNAL_MAX, strictly decimal. */
bool parse_signal(const char *s, int *out);
/* A uid or gid 0..ID_MAX, strictly decimal. */
bool parse_id(const char *s, uint32_t *out);

static inline bool sig_in(uint64_t set, int sig)
{
	return sig >= 1 && sig <= 64 && (set >> (sig - 1)) & 1;
}

#endif
