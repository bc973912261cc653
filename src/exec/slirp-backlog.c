/*
 * Loaded into slirp4netns (LD_PRELOAD, by the box launcher when it forwards a release's port):
 * libslirp listens for a host forward with a backlog of 1, so a burst of connections to a
 * release (a router opening a dozen at once) overflows the accept queue while slirp4netns is
 * busy, and the kernel answers some of them with a reset mid-request. Every listen of the
 * process gets at least LISTEN_BACKLOG instead. Compiled by scripts/build-relay.sh.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

#define LISTEN_BACKLOG 511

static int (*real_listen)(int, int);

/* Resolved at load, before slirp4netns sandboxes itself. */
__attribute__((constructor)) static void resolve(void) {
  real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
}

int listen(int fd, int backlog) {
  if (!real_listen) return -1;
  return real_listen(fd, backlog < LISTEN_BACKLOG ? LISTEN_BACKLOG : backlog);
}
