#include "sandbox.h"

#include "rt.h"

#include "util.h"

/* The errors with which unshare(2) says "not this namespace here" (as bubblewrap's -try). */
static bool refusal(int err)
{
	return err == EPERM || err == EINVAL || err == ENOSPC || err == EUSERS;
}

/* `D\t<kind>\t<errno>\t<strerror>`: a try namespace was left out (PROTOCOL §3). */
static void report_dropped(struct helper *h, int flags, int err)
{
	for (int k = 0; k < NS_KIND_COUNT; k++) {
		struct buf b = { 0 };

		if (!(flags & ns_kinds[k].clone_flag))
			continue;
		buf_puts(&b, "D\t");
		buf_puts(&b, ns_kinds[k].name);
		buf_putc(&b, '\t');
		buf_put_u64(&b, (uint64_t)err);
		buf_putc(&b, '\t');
		buf_put_escaped(&b, strerror(err));
		buf_putc(&b, '\n');
		report_send(&h->out, b.data, b.len);
		buf_free(&b);
	}
}

/* Without the user namespace, maps written by ourselves would target the host's: drop them. */
static void forget_user_ns(struct spec *spec)
{
	spec->uidmap.by = MAP_NONE;
	spec->gidmap.by = MAP_NONE;
	spec->setgroups = SETGROUPS_NONE;
}

void unshare_apply(struct helper *h, struct spec *spec)
{
	int first_err, tries[3], n = 0;
	int user = spec->try_flags & CLONE_NEWUSER;
	int others = spec->try_flags & ~CLONE_NEWUSER;

	if (unshare(spec->clone_flags) == 0)
		return;
	first_err = errno;
	if (!spec->try_flags || !refusal(first_err))
		die(h, 1, "unshare", first_err, NULL, NULL);
	/*
	 * unshare(2) changes nothing when it fails, so retrying is safe. One call cannot say which
	 * namespace was refused: try without the non-user ones first (the user namespace is what
	 * the others need when we are not root), then without the user namespace, then without all.
	 */
	if (others)
		tries[n++] = others;
	if (user)
		tries[n++] = user;
	if (others && user)
		tries[n++] = others | user;
	for (int i = 0; i < n; i++) {
		if (unshare(spec->clone_flags & ~tries[i]) < 0)
			continue;
		report_dropped(h, tries[i], first_err);
		spec->clone_flags &= ~tries[i];
		if (tries[i] & CLONE_NEWUSER)
			forget_user_ns(spec);
		return;
	}
	/* Refused without them too: the first answer is the one that explains most. */
	die(h, 1, "unshare", first_err, NULL, NULL);
}

void hostname_apply(struct helper *h)
{
	const char *name = h->spec->hostname;

	/* spec.c made sure this is a new UTS namespace: the host's name is never touched. */
	if (name && sethostname(name, strlen(name)) < 0)
		die_errno(h, "hostname", name, NULL);
}

/* struct ifreq as far as SIOC[GS]IFFLAGS use it (linux/if.h cannot be mixed with libc headers). */
struct lo_ifreq {
	char name[16];
	union {
		short flags;
		char pad[24];
	} u;
};

void loopback_apply(struct helper *h)
{
	struct lo_ifreq ifr;
	int fd;

	if (!h->spec->loopback)
		return;
	/*
	 * A new network namespace has `lo`, down. Setting IFF_UP is all it takes: the kernel then
	 * gives it 127.0.0.1/8 and ::1 itself. Any socket of the namespace can carry the ioctls.
	 */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno(h, "loopback", "socket", NULL);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.name, "lo", 3);
	if (ioctl(fd, NSBOX_SIOCGIFFLAGS, &ifr) < 0)
		die_errno(h, "loopback", "SIOCGIFFLAGS", NULL);
	ifr.u.flags |= NSBOX_IFF_UP;
	if (ioctl(fd, NSBOX_SIOCSIFFLAGS, &ifr) < 0)
		die_errno(h, "loopback", "SIOCSIFFLAGS", NULL);
	close(fd);
}
