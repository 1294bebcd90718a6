/*
 * Decoding and checking of the argv spec (docs/PROTOCOL.md §1). Nothing may happen before the
 * whole spec has been checked: a half-applied sandbox is worse than none, so any record that
 * is unknown, repeated when it must not be, malformed, or out of range fails the run with
 * `E spec <record>` before the first syscall that changes anything.
 */
#include "spec.h"
#include "util.h"

#include "rt.h"

#define SPEC_VERSION_TAG "NSBOX1"
#define COUNT_MAX 0xffffffffULL

const struct ns_kind_info ns_kinds[NS_KIND_COUNT] = {
	[NS_USER]   = { "user",   CLONE_NEWUSER,   "ns/user" },
	[NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP, "ns/cgroup" },
	[NS_IPC]    = { "ipc",    CLONE_NEWIPC,    "ns/ipc" },
	[NS_UTS]    = { "uts",    CLONE_NEWUTS,    "ns/uts" },
	[NS_NET]    = { "net",    CLONE_NEWNET,    "ns/net" },
	/* pid and time apply to children only, so the bind takes the *_for_children entry. */
	[NS_PID]    = { "pid",    CLONE_NEWPID,    "ns/pid_for_children" },
	[NS_MNT]    = { "mnt",    CLONE_NEWNS,     "ns/mnt" },
	[NS_TIME]   = { "time",   CLONE_NEWTIME,   "ns/time_for_children" },
};

int ns_kind_from_name(const char *s, size_t len)
{
	for (int i = 0; i < NS_KIND_COUNT; i++)
		if (strlen(ns_kinds[i].name) == len && memcmp(ns_kinds[i].name, s, len) == 0)
			return i;
	return -1;
}

bool parse_signal(const char *s, int *out)
{
	uint64_t v;

	if (!parse_u64(s, 1, SIGNAL_MAX, &v))
		return false;
	*out = (int)v;
	return true;
}

bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, 0, ID_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Splits "A:B[:C]" at the colons into a scratch copy; n fields exactly. */
static bool split_colons(const char *s, char *scratch, size_t scratch_len, char **fields, int n)
{
	size_t len = strlen(s);
	int got = 1;

	if (len >= scratch_len)
		return false;
	memcpy(scratch, s, len + 1);
	fields[0] = scratch;
	for (char *p = scratch; *p; p++) {
		if (*p != ':')
			continue;
		if (got == n)
			return false;
		*p = '\0';
		fields[got++] = p + 1;
	}
	return got == n;
}

/* ---- one handler per key; each returns false when the value is invalid ---- */

static bool key_report(struct spec *s, const char *v)
{
	uint64_t fd;

	/* 0-2 are the program's stdio: making one close-on-exec would take it from the program. */
	if (!parse_u64(v, 3, INT_MAX, &fd))
		return false;
	s->report_fd = (int)fd;
	return true;
}

static bool key_ns(struct spec *s, const char *v)
{
	int k = ns_kind_from_name(v, strlen(v));

	if (k < 0)
		return false;
	s->clone_flags |= ns_kinds[k].clone_flag;
	return true;
}

static bool key_persist(struct spec *s, const char *v)
{
	const char *colon = strchr(v, ':');
	int k;

	if (!colon || colon[1] == '\0')
		return false;
	k = ns_kind_from_name(v, (size_t)(colon - v));
	/* One target per kind: util-linux keeps only the last one, which is never what was meant. */
	if (k < 0 || s->persist[k])
		return false;
	s->persist[k] = colon + 1;
	s->any_persist = true;
	return true;
}

static bool key_fork(struct spec *s, const char *v)
{
	s->fork = true;
	return strcmp(v, "1") == 0;
}

static bool key_killchild(struct spec *s, const char *v)
{
	return parse_signal(v, &s->killchild);
}

static bool add_signal(uint64_t *set, const char *v)
{
	int sig;

	if (!parse_signal(v, &sig))
		return false;
	*set |= 1ULL << (sig - 1);
	return true;
}

static bool key_forward(struct spec *s, const char *v)
{
	return add_signal(&s->forward, v);
}

static bool key_block(struct spec *s, const char *v)
{
	return add_signal(&s->block, v);
}

static bool key_pdeathsig(struct spec *s, const char *v)
{
	return parse_signal(v, &s->pdeathsig);
}

static bool key_parent(struct spec *s, const char *v)
{
	uint64_t pid;

	/* 0 means "not known": the prctl is still made, the getppid() check is skipped. */
	if (!parse_u64(v, 0, INT_MAX, &pid))
		return false;
	s->parent = (pid_t)pid;
	return true;
}

static bool set_path(const char **field, const char *v)
{
	*field = v;
	return *v != '\0';
}

static bool key_procmount(struct spec *s, const char *v)
{
	return set_path(&s->procmount, v);
}

static bool key_binfmt(struct spec *s, const char *v)
{
	return set_path(&s->binfmt, v);
}

static bool key_interp(struct spec *s, const char *v)
{
	/* Any string: the kernel's binfmt_misc parser is the judge of its syntax. */
	s->interp = v;
	return true;
}

static bool key_propagation(struct spec *s, const char *v)
{
	if (strcmp(v, "private") == 0)
		s->propagation = MS_REC | MS_PRIVATE;
	else if (strcmp(v, "slave") == 0)
		s->propagation = MS_REC | MS_SLAVE;
	else if (strcmp(v, "shared") == 0)
		s->propagation = MS_REC | MS_SHARED;
	else if (strcmp(v, "unchanged") == 0)
		s->propagation = 0;
	else
		return false;
	return true;
}

static bool key_root(struct spec *s, const char *v)
{
	return set_path(&s->root, v);
}

static bool key_wd(struct spec *s, const char *v)
{
	return set_path(&s->wd, v);
}

static bool key_setgid(struct spec *s, const char *v)
{
	uint32_t id;

	if (!parse_id(v, &id))
		return false;
	s->has_setgid = true;
	s->setgid = id;
	return true;
}

static bool key_setuid(struct spec *s, const char *v)
{
	uint32_t id;

	if (!parse_id(v, &id))
		return false;
	s->has_setuid = true;
	s->setuid = id;
	return true;
}

static bool key_owner(struct spec *s, const char *v)
{
	char scratch[32], *f[2];
	uint32_t uid, gid;

	if (!split_colons(v, scratch, sizeof(scratch), f, 2) || !parse_id(f[0], &uid) ||
	    !parse_id(f[1], &gid))
		return false;
	s->has_owner = true;
	s->owner_uid = uid;
	s->owner_gid = gid;
	return true;
}

static bool set_mapby(struct id_map *m, const char *v)
{
	if (strcmp(v, "self") == 0)
		m->by = MAP_SELF;
	else if (strcmp(v, "write") == 0)
		m->by = MAP_WRITE;
	else if (strcmp(v, "tool") == 0)
		m->by = MAP_TOOL;
	else
		return false;
	return true;
}

static bool key_uidmapby(struct spec *s, const char *v)
{
	return set_mapby(&s->uidmap, v);
}

static bool key_gidmapby(struct spec *s, const char *v)
{
	return set_mapby(&s->gidmap, v);
}

static bool key_uidmaptool(struct spec *s, const char *v)
{
	return set_path(&s->uidmap.tool, v);
}

static bool key_gidmaptool(struct spec *s, const char *v)
{
	return set_path(&s->gidmap.tool, v);
}

/* m->ranges was sized by spec_parse() for every record, so there is always room. */
static bool add_range(struct id_map *m, const char *v)
{
	char scratch[48], *f[3];
	struct id_range r;
	uint64_t count;

	if (!split_colons(v, scratch, sizeof(scratch), f, 3) || !parse_id(f[0], &r.inner) ||
	    !parse_id(f[1], &r.outer) || !parse_u64(f[2], 1, COUNT_MAX, &count))
		return false;
	r.count = (uint32_t)count;
	m->ranges[m->nranges++] = r;
	return true;
}

static bool key_uidmap(struct spec *s, const char *v)
{
	return add_range(&s->uidmap, v);
}

static bool key_gidmap(struct spec *s, const char *v)
{
	return add_range(&s->gidmap, v);
}

static bool key_setgroups(struct spec *s, const char *v)
{
	if (strcmp(v, "allow") == 0)
		s->setgroups = SETGROUPS_ALLOW;
	else if (strcmp(v, "deny") == 0)
		s->setgroups = SETGROUPS_DENY;
	else
		return false;
	return true;
}

static bool key_keepcaps(struct spec *s, const char *v)
{
	s->keepcaps = true;
	return strcmp(v, "1") == 0;
}

static bool key_boottime(struct spec *s, const char *v)
{
	s->has_boottime = true;
	return parse_i64(v, &s->boottime);
}

static bool key_monotonic(struct spec *s, const char *v)
{
	s->has_monotonic = true;
	return parse_i64(v, &s->monotonic);
}

static bool key_tryns(struct spec *s, const char *v)
{
	int k = ns_kind_from_name(v, strlen(v));

	if (k < 0)
		return false;
	s->try_flags |= ns_kinds[k].clone_flag;
	return true;
}

static bool key_init(struct spec *s, const char *v)
{
	s->init = true;
	return strcmp(v, "1") == 0;
}

static bool key_hostname(struct spec *s, const char *v)
{
	size_t len = strlen(v);

	/* The kernel takes 1 to 64 bytes; an empty hostname is a bug on the TS side. */
	s->hostname = v;
	return len > 0 && len <= HOSTNAME_MAX;
}

static bool key_setsid(struct spec *s, const char *v)
{
	s->setsid = true;
	return strcmp(v, "1") == 0;
}

static bool key_loopback(struct spec *s, const char *v)
{
	s->loopback = true;
	return strcmp(v, "1") == 0;
}

/*
 * A bind mount is three records in a row (`bind=MODE`, `bindsrc=SRC`, `binddst=DST`), so that
 * paths may hold any byte but NUL, ':' included. s->binds was sized by spec_parse() for every
 * record, so there is always room.
 */
static bool key_bind(struct spec *s, const char *v)
{
	struct bind *b = &s->binds[s->nbinds];

	if (strcmp(v, "ro") == 0)
		b->mode = BIND_RO;
	else if (strcmp(v, "rw") == 0)
		b->mode = BIND_RW;
	else if (strcmp(v, "dev") == 0)
		b->mode = BIND_DEV;
	else
		return false;
	s->nbinds++;
	s->bind_expect = 1;
	return true;
}

static bool key_bindsrc(struct spec *s, const char *v)
{
	if (s->bind_expect != 1)
		return false;
	s->bind_expect = 2;
	return set_path(&s->binds[s->nbinds - 1].src, v);
}

static bool key_binddst(struct spec *s, const char *v)
{
	if (s->bind_expect != 2)
		return false;
	s->bind_expect = 0;
	/* Absolute: the destination is resolved in the new mount namespace, not against our cwd. */
	return set_path(&s->binds[s->nbinds - 1].dst, v) && v[0] == '/';
}

/* `tmpfs=SIZE:DST`: the size (bytes, 0 = default) first, so DST may hold ':'. Kept in order with the binds. */
static bool key_tmpfs(struct spec *s, const char *v)
{
	struct bind *b = &s->binds[s->nbinds];
	const char *colon = strchr(v, ':');
	char num[24];
	size_t len;

	if (!colon || (len = (size_t)(colon - v)) == 0 || len >= sizeof(num))
		return false;
	memcpy(num, v, len);
	num[len] = '\0';
	if (!parse_u64(num, 0, UINT64_MAX, &b->size) || colon[1] != '/')
		return false;
	b->mode = BIND_TMPFS;
	b->src = NULL;
	b->dst = colon + 1;
	s->nbinds++;
	return true;
}

static bool key_rootfs(struct spec *s, const char *v)
{
	/* Absolute: it is opened after nothing has changed our cwd, but say what is meant. */
	return set_path(&s->rootfs, v) && v[0] == '/';
}

/*
 * `tmpfs` or an absolute directory. overlayfs splits its options at ',' and its lower dirs
 * at ':', and these paths go into the option string: neither may appear.
 */
static bool key_overlay(struct spec *s, const char *v)
{
	if (!set_path(&s->overlay, v))
		return false;
	if (strcmp(v, "tmpfs") == 0)
		return true;
	return v[0] == '/' && !strchr(v, ',') && !strchr(v, ':');
}

static bool key_rootro(struct spec *s, const char *v)
{
	s->rootro = true;
	return strcmp(v, "1") == 0;
}

static bool key_keepfds(struct spec *s, const char *v)
{
	uint64_t n;

	if (!parse_u64(v, 3, INT_MAX, &n))
		return false;
	s->keepfds = (int)n;
	return true;
}

struct key {
	const char *name;
	bool repeat;
	bool (*apply)(struct spec *, const char *);
};

static const struct key keys[] = {
	{ "report",      false, key_report },
	{ "ns",          true,  key_ns },
	{ "persist",     true,  key_persist },
	{ "fork",        false, key_fork },
	{ "killchild",   false, key_killchild },
	{ "forward",     true,  key_forward },
	{ "block",       true,  key_block },
	{ "pdeathsig",   false, key_pdeathsig },
	{ "parent",      false, key_parent },
	{ "procmount",   false, key_procmount },
	{ "binfmt",      false, key_binfmt },
	{ "interp",      false, key_interp },
	{ "propagation", false, key_propagation },
	{ "root",        false, key_root },
	{ "wd",          false, key_wd },
	{ "setgid",      false, key_setgid },
	{ "setuid",      false, key_setuid },
	{ "owner",       false, key_owner },
	{ "uidmapby",    false, key_uidmapby },
	{ "gidmapby",    false, key_gidmapby },
	{ "uidmaptool",  false, key_uidmaptool },
	{ "gidmaptool",  false, key_gidmaptool },
	{ "uidmap",      true,  key_uidmap },
	{ "gidmap",      true,  key_gidmap },
	{ "setgroups",   false, key_setgroups },
	{ "keepcaps",    false, key_keepcaps },
	{ "boottime",    false, key_boottime },
	{ "monotonic",   false, key_monotonic },
	{ "keepfds",     false, key_keepfds },
	{ "tryns",       true,  key_tryns },
	{ "init",        false, key_init },
	{ "hostname",    false, key_hostname },
	{ "loopback",    false, key_loopback },
	{ "setsid",      false, key_setsid },
	{ "bind",        true,  key_bind },
	{ "bindsrc",     true,  key_bindsrc },
	{ "binddst",     true,  key_binddst },
	{ "tmpfs",       true,  key_tmpfs },
	{ "rootfs",      false, key_rootfs },
	{ "overlay",     false, key_overlay },
	{ "rootro",      false, key_rootro },
};

/* Bit i of `seen` is set once keys[i] has been applied. */
_Static_assert(ARRAY_SIZE(keys) <= 64, "seen is a 64-bit mask");

static int key_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool seen_key(uint64_t seen, const char *name)
{
	return (seen >> key_index(name)) & 1;
}

static const char *apply_record(struct spec *s, char *rec, uint64_t *seen)
{
	char *eq = strchr(rec, '=');
	char name[16];
	size_t nlen;
	int i;

	if (!eq || (nlen = (size_t)(eq - rec)) >= sizeof(name))
		return rec;
	memcpy(name, rec, nlen);
	name[nlen] = '\0';
	i = key_index(name);
	if (i < 0)
		return rec;
	if (!keys[i].repeat && ((*seen >> i) & 1))
		return rec;
	/* The records of one bind mount come together: nothing may come between them. */
	if (s->bind_expect && strcmp(name, s->bind_expect == 1 ? "bindsrc" : "binddst") != 0)
		return rec;
	*seen |= 1ULL << i;
	return keys[i].apply(s, eq + 1) ? NULL : rec;
}

/* An id map is consistent: a writer with lines, one line for `self`, a tool only for `tool`. */
static const char *check_map(const struct id_map *m, const char *by_key, const char *tool_key)
{
	if (m->by == MAP_NONE)
		return m->nranges ? by_key : m->tool ? tool_key : NULL;
	if (m->nranges == 0)
		return by_key;
	if (m->by == MAP_SELF && (m->nranges != 1 || m->ranges[0].count != 1))
		return by_key;
	if ((m->by == MAP_TOOL) != (m->tool != NULL))
		return tool_key;
	return NULL;
}

/* A mount namespace of our own whose mounts do not propagate back to the host. */
static bool private_mount_ns(const struct spec *s)
{
	return (s->clone_flags & CLONE_NEWNS) && !(s->try_flags & CLONE_NEWNS) &&
	       (s->propagation == (MS_REC | MS_PRIVATE) || s->propagation == (MS_REC | MS_SLAVE));
}

/*
 * Rootfs mode builds the whole file system view itself: it needs a private mount namespace,
 * and a pid namespace of its own for the fresh /proc (a user namespace may not mount the
 * host's); chroot, proc and binfmt records would fight with it.
 */
static const char *check_rootfs(const struct spec *s)
{
	if ((s->overlay || s->rootro) && !s->rootfs)
		return s->overlay ? "overlay=" : "rootro=";
	if (!s->rootfs)
		return NULL;
	if (!private_mount_ns(s) || !s->fork || !(s->clone_flags & CLONE_NEWPID) ||
	    (s->try_flags & CLONE_NEWPID) || s->root || s->procmount || s->binfmt)
		return "rootfs=";
	return NULL;
}

/*
 * The profile-level features (`tryns`, `init`, `hostname`, `loopback`, binds) each need the
 * namespace they act in: without it they would change the host instead.
 */
static const char *check_sandbox(const struct spec *s)
{
	/* Only a namespace that was asked for can be left out. */
	if (s->try_flags & ~s->clone_flags)
		return "tryns=";
	/* Leaving out the user namespace must leave nothing behind that needs it. */
	if ((s->try_flags & CLONE_NEWUSER) &&
	    (s->uidmap.by == MAP_WRITE || s->uidmap.by == MAP_TOOL || s->gidmap.by == MAP_WRITE ||
	     s->gidmap.by == MAP_TOOL || s->binfmt))
		return "tryns=";
	for (int k = 0; k < NS_KIND_COUNT; k++)
		if (s->persist[k] && (s->try_flags & ns_kinds[k].clone_flag))
			return "tryns=";
	/* pid 1 of a new pid namespace is the forked child; without both there is no init. */
	if (s->init && !(s->fork && (s->clone_flags & CLONE_NEWPID) && !(s->try_flags & CLONE_NEWPID)))
		return "init=";
	if (s->hostname && (!(s->clone_flags & CLONE_NEWUTS) || (s->try_flags & CLONE_NEWUTS)))
		return "hostname=";
	if (s->loopback && (!(s->clone_flags & CLONE_NEWNET) || (s->try_flags & CLONE_NEWNET)))
		return "loopback=";
	if (s->bind_expect)
		return s->bind_expect == 1 ? "bindsrc=" : "binddst=";
	/*
	 * Binds need their own mount namespace, and one whose mounts do not propagate back to the
	 * host (private or slave): with shared propagation a bind would appear outside too.
	 */
	if (s->nbinds && !private_mount_ns(s))
		return s->binds[0].mode == BIND_TMPFS ? "tmpfs=" : "bind=";
	return check_rootfs(s);
}

/* Cross-record rules, and the records every spec must have. */
static const char *check_spec(const struct spec *s, uint64_t seen)
{
	const char *bad;

	if (!seen_key(seen, "report"))
		return "report=";
	if (!seen_key(seen, "propagation"))
		return "propagation=";
	if (!seen_key(seen, "keepfds"))
		return "keepfds=";
	if (seen_key(seen, "parent") && !s->pdeathsig)
		return "parent=";
	/* The kill-child signal is armed in a forked child; without a fork there is none. */
	if (s->killchild && !s->fork)
		return "killchild=";
	/* Without a mount point there is nowhere to write the interpreter to. */
	if (s->interp && !s->binfmt)
		return "interp=";
	if ((bad = check_map(&s->uidmap, "uidmapby=", "uidmaptool=")))
		return bad;
	if ((bad = check_map(&s->gidmap, "gidmapby=", "gidmaptool=")))
		return bad;
	return check_sandbox(s);
}

/* Finds a usable `report=` record so that even an early spec error can be reported. */
static int find_report_fd(int argc, char **argv)
{
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		struct spec tmp;

		if (strncmp(argv[i], "report=", 7) == 0 && key_report(&tmp, argv[i] + 7))
			return tmp.report_fd;
	}
	return -1;
}

static const char *fail(struct spec *s, int argc, char **argv, const char *bad)
{
	s->report_fd = find_report_fd(argc, argv);
	return bad;
}

const char *spec_parse(struct spec *s, int argc, char **argv)
{
	uint64_t seen = 0;
	const char *bad;
	int i;

	memset(s, 0, sizeof(*s));
	s->report_fd = -1;
	if (argc < 2 || strcmp(argv[1], SPEC_VERSION_TAG) != 0)
		return fail(s, argc, argv, argc < 2 ? "" : argv[1]);

	/* Every map line fits: there are fewer map records than argv elements. */
	s->uidmap.ranges = calloc((size_t)argc, sizeof(struct id_range));
	s->gidmap.ranges = calloc((size_t)argc, sizeof(struct id_range));
	s->binds = calloc((size_t)argc, sizeof(struct bind));
	if (!s->uidmap.ranges || !s->gidmap.ranges || !s->binds)
		return fail(s, argc, argv, argv[1]);

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if ((bad = apply_record(s, argv[i], &seen)))
			return fail(s, argc, argv, bad);
	/* "--", the file for execvp(3), then at least argv[0]. */
	if (argc - i < 3)
		return fail(s, argc, argv, "--");
	if ((bad = check_spec(s, seen)))
		return fail(s, argc, argv, bad);
	s->file = argv[i + 1];
	s->argv = argv + i + 2;
	return NULL;
}
