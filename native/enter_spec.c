/*
 * Decoding and checking of the enter-mode records (docs/PROTOCOL.md §5). As in unshare mode,
 * nothing happens before every record has been checked; a bad record fails the run with
 * `E spec <record>` before the first system call that changes anything.
 */
#include "enter_spec.h"
#include "enter.h"
#include "util.h"

#include "rt.h"

static bool parse_fd_at_least(const char *v, uint64_t min, int *out)
{
	uint64_t n;

	if (!parse_u64(v, min, INT_MAX, &n))
		return false;
	*out = (int)n;
	return true;
}

static bool set_path(const char **field, const char *v)
{
	/* Once only: a second value would silently win, and that is never what was meant. */
	if (*field)
		return false;
	*field = v;
	return *v != '\0';
}

static bool flag(bool *field, const char *v)
{
	*field = true;
	return strcmp(v, "1") == 0;
}

/* `join=KIND` (the target's) or `join=KIND:PATH`; one per kind. */
static bool key_join(struct enter_spec *es, const char *v)
{
	const char *colon = strchr(v, ':');
	size_t len = colon ? (size_t)(colon - v) : strlen(v);
	int k = ns_kind_from_name(v, len);

	if (k < 0 || es->join[k].enabled || (colon && colon[1] == '\0'))
		return false;
	es->join[k].enabled = true;
	es->join[k].path = colon ? colon + 1 : NULL;
	return true;
}

static bool add_signal(uint64_t *set, const char *v)
{
	int sig;

	if (!parse_signal(v, &sig))
		return false;
	*set |= 1ULL << (sig - 1);
	return true;
}

/* Applies one `key=value` record; false if the key is unknown or the value invalid. */
static bool apply(struct enter_spec *es, const char *key, size_t klen, const char *v)
{
	struct spec *s = &es->base;
	uint64_t n;
	uint32_t id;

#define IS(name) (klen == sizeof(name) - 1 && memcmp(key, name, klen) == 0)
	if (IS("report"))
		return parse_fd_at_least(v, 3, &s->report_fd);
	if (IS("keepfds"))
		return parse_fd_at_least(v, 3, &s->keepfds);
	if (IS("target")) {
		if (es->target || !parse_u64(v, 1, INT_MAX, &n))
			return false;
		es->target = (pid_t)n;
		return true;
	}
	if (IS("targetino"))
		return !es->target_ino && parse_u64(v, 1, UINT64_MAX, &es->target_ino);
	if (IS("pidfd"))
		return flag(&es->pidfd, v);
	if (IS("join"))
		return key_join(es, v);
	if (IS("netsocket"))
		return es->netsocket < 0 && parse_fd_at_least(v, 0, &es->netsocket);
	if (IS("userparent"))
		return flag(&es->userparent, v);
	if (IS("root"))
		return set_path(&es->root, v);
	if (IS("wd"))
		return set_path(&es->wd, v);
	if (IS("wdns"))
		return set_path(&es->wdns, v);
	if (IS("cgroup"))
		return set_path(&es->cgroup, v);
	if (IS("fork"))
		return flag(&s->fork, v);
	if (IS("killchild"))
		return parse_signal(v, &s->killchild);
	if (IS("forward"))
		return add_signal(&s->forward, v);
	if (IS("pdeathsig"))
		return parse_signal(v, &s->pdeathsig);
	if (IS("parent")) {
		if (!parse_u64(v, 0, INT_MAX, &n))
			return false;
		s->parent = (pid_t)n;
		return true;
	}
	if (IS("dropgroups"))
		return flag(&es->dropgroups, v);
	if (IS("setgid")) {
		if (s->has_setgid || !parse_id(v, &id))
			return false;
		s->has_setgid = true;
		s->setgid = id;
		return true;
	}
	if (IS("setuid")) {
		if (s->has_setuid || !parse_id(v, &id))
			return false;
		s->has_setuid = true;
		s->setuid = id;
		return true;
	}
	if (IS("keepcaps"))
		return flag(&s->keepcaps, v);
	if (IS("setsid"))
		return flag(&s->setsid, v);
	if (IS("bindsrc"))
		return set_path(&es->bindsrc, v);
	if (IS("bindto"))
		return set_path(&es->bindto, v);
	if (IS("unbind"))
		return set_path(&es->unbind, v);
#undef IS
	return false;
}

static bool any_join(const struct enter_spec *es)
{
	for (int k = 0; k < NS_KIND_COUNT; k++)
		if (es->join[k].enabled)
			return true;
	return false;
}

/* Combinations no valid spec has; returns the record to blame, or NULL. */
static const char *check(const struct enter_spec *es, bool has_program)
{
	const struct spec *s = &es->base;
	bool mount_action = es->bindsrc || es->bindto || es->unbind;

	if (s->report_fd < 0)
		return "report=";
	if (s->keepfds < 0)
		return "keepfds=";
	if (mount_action) {
		/* A mount action is all there is: exactly one of bind or unbind, nothing else. */
		if (has_program || any_join(es) || es->target || es->netsocket >= 0 || s->fork)
			return "--";
		if (es->unbind ? (es->bindsrc || es->bindto) : !(es->bindsrc && es->bindto))
			return es->unbind ? "unbind=" : "bindto=";
		return NULL;
	}
	if (!has_program)
		return "--";
	if (!any_join(es) && es->netsocket < 0 && !es->userparent)
		return "join=";
	for (int k = 0; k < NS_KIND_COUNT; k++)
		if (es->join[k].enabled && !es->join[k].path && !es->target)
			return "target=";
	if ((es->netsocket >= 0 || es->userparent || es->target_ino) && !es->target)
		return "target=";
	if (es->wd && es->wdns)
		return "wdns=";
	if ((s->killchild || s->forward) && !s->fork)
		return "fork=";
	return NULL;
}

static void init(struct enter_spec *es)
{
	memset(es, 0, sizeof(*es));
	es->base.report_fd = -1;
	es->base.keepfds = -1;
	es->netsocket = -1;
	/* nsenter's continue_as_child(): the forking parent follows the program's stops. */
	es->base.follow_stops = true;
	for (int k = 0; k < NS_KIND_COUNT; k++)
		es->join[k].fd = -1;
}

const char *enter_spec_parse(struct enter_spec *es, int argc, char **argv)
{
	int i;
	init(es);
	if (argc < 2 || strcmp(argv[1], ENTER_VERSION_TAG) != 0)
		return argc < 2 ? "" : argv[1];
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq || !apply(es, argv[i], (size_t)(eq - argv[i]), eq + 1))
			return argv[i];
	}
	/* After "--": the file, then argv[0] and the arguments. */
	if (i < argc) {
		if (argc - i < 3)
			return "--";
		es->base.file = argv[i + 1];
		es->base.argv = argv + i + 2;
	}
	/* An empty file is the program's problem, as in unshare mode: execvp(3) fails with ENOENT. */
	return check(es, es->base.file != NULL);
}
