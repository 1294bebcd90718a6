/*
 * Processes: the children that wait for a go byte (bind and map children), the fork of the
 * program with signal blocking and forwarding, the kill-child race check, supervision of the
 * program by the forking helper, and the final execvp(3).
 */
#ifndef NSBOX_PROCESS_H
#define NSBOX_PROCESS_H

#include "rt.h"

#include "helper.h"
#include "util.h"

/* waitpid(2), retried on EINTR (forwarded signals interrupt it). `status` may be NULL. */
pid_t waitpid_retry(pid_t pid, int *status);

/* A wait status as a shell would show it: the exit code, or 128 + the signal. */
int wait_code(int status);

/*
 * Forks a child that first waits for the go byte from sync_child_release(). Returns the pid in
 * the parent. In the child it returns 0 only once the go byte has arrived, with h->out turned
 * into the socket back to the parent; if the socket closes without it (we failed or died), the
 * child exits at once, so no step failure can leave it behind.
 */
pid_t sync_child_fork(struct helper *h, struct sync_child *sc);

/*
 * Sends the go byte, collects the `E` line the child may send (into `line`) until it closes the
 * socket, and reaps it. Returns its wait_code(), 0 when it succeeded.
 */
int sync_child_release(struct helper *h, struct sync_child *sc, struct buf *line);

/* `pdeathsig`: PR_SET_PDEATHSIG, then make sure the parent did not die before it was armed. */
void pdeathsig_arm(struct helper *h);

/*
 * `fork`: blocks/forwards signals and forks. Returns the child's pid in the parent (with the
 * read end of the child's private status socket in *chan), 0 in the child (whose `E` lines then
 * go to that socket).
 */
pid_t program_fork(struct helper *h, int *chan);

/* `killchild`, in the forked child: PR_SET_PDEATHSIG, then the pidfd check for a dead parent. */
void killchild_arm(struct helper *h);

/* The forking parent from here on: report, relay the child's status line, wait, mirror. */
noreturn void supervise(struct helper *h, pid_t child, int chan, const struct ns_inodes *ns);

/* The last step: `P`/`N` lines (without fork), re-armed death signals, execvp(3). */
noreturn void exec_program(struct helper *h, const struct ns_inodes *ns);

/* `setsid`: a new session, without a controlling terminal (a leader of its own is fine). */
void new_session(struct helper *h);

#endif
