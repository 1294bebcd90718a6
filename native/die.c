/*
 * The single exit path for failures. Whatever step fails, the children forked so far must not
 * outlive us: the bind/map children exit as soon as their socket closes without the go byte,
 * and we reap them so the caller never finds a stray process (util-linux leaves the map
 * helper blocked forever in this case).
 */
#include "helper.h"
#include "process.h"

#include "rt.h"

static void cleanup(struct helper *h)
{
	struct sync_child *children[] = { &h->bind, &h->map };

	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		struct sync_child *sc = children[i];

		if (sc->pid <= 0)
			continue;
		close(sc->fd);
		waitpid_retry(sc->pid, NULL);
		sc->pid = 0;
	}
	if (h->program > 0) {
		kill(h->program, SIGKILL);
		waitpid_retry(h->program, NULL);
		h->program = 0;
	}
}

noreturn void die(struct helper *h, int status, const char *step, int err, const char *arg0,
		  const char *arg1)
{
	report_error(&h->out, step, err, arg0, arg1);
	cleanup(h);
	_exit(status);
}

noreturn void die_errno(struct helper *h, const char *step, const char *arg0, const char *arg1)
{
	die(h, 1, step, errno, arg0, arg1);
}

noreturn void die_relay(struct helper *h, int status, const void *line, size_t len)
{
	report_send(&h->out, line, len);
	cleanup(h);
	_exit(status);
}

int exec_failure_status(int err)
{
	return err == ENOENT ? 127 : 126;
}
