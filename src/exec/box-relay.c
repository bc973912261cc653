/*
 * The box's relay, native: what box-relay.ts does, without a Node start-up (50-90 ms) in front
 * of every app command. Runs inside a box, as the app's user, in the box's own network
 * namespace:
 *
 *   /run/coduck-relay <port> <file> [args...]
 *
 *   127.0.0.1:6432 (DATABASE_URL) -> /run/coduck/pooled.sock -> PgBouncer, the project's role only
 *   127.0.0.1:5433 (DIRECT_URL)   -> /run/coduck/direct.sock -> Postgres, the project's role only
 *   <port> > 0 (a release's PORT): 10.0.2.100:65535 -> 127.0.0.1:<port>, and once the app
 *     listens on <port>, one connection to /run/coduck/published.sock tells the launcher to
 *     forward the host's 127.0.0.1:<port> here.
 *
 * Then runs `file args` (PATH searched, the environment passed unchanged) and ends with it:
 * its exit status, or the signal that ended it. The checks on what a connection may ask for
 * are the launcher's, on the host side of the sockets: this only moves bytes, so whoever
 * subverted it would hold what the app already holds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 1024
/* Connections to the published port may take at most this many pairs: the rest are the
 * database bridges', so a flood of held HTTP connections cannot cut the app off its database. */
#define MAX_PUBLISHED_PAIRS (MAX_PAIRS - 64)
#define BUFFER 65536
#define POLL_MS 20

enum { LISTEN_POOLED, LISTEN_DIRECT, LISTEN_PUBLISHED, LISTENERS };

struct side {
  int fd;
  /* Bytes read from this side, not yet written to the other. */
  char *buf;
  size_t len, off;
  int eof; /* this side sent EOF (read 0) */
};

struct pair {
  struct side a, b;   /* a: the accepted client; b: where it is carried on to */
  int kind;           /* the listener it came from */
  int connecting;     /* b's connect is under way (the app's port, never waited for) */
};

static struct pair *pairs[MAX_PAIRS];
static int listeners[LISTENERS] = {-1, -1, -1};
static int open_pairs[LISTENERS];
/* accept failed for want of descriptors or memory: listeners rest until a pair closes */
static int accept_paused;
static int signal_pipe[2];

static void fail(const char *what) {
  fprintf(stderr, "box relay: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  (void)!write(signal_pipe[1], "c", 1);
  errno = saved;
}

static int listen_tcp(const char *host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 511) < 0) {
    char what[64];
    snprintf(what, sizeof what, "listen on %s:%d", host, port);
    fail(what);
  }
  return fd;
}

/*
 * Connects without waiting: a unix socket connects at once or not at all; a TCP connect to the
 * app's port may be under way when this returns (*pending set), and is finished in the loop.
 * A blocking connect would freeze every connection of the box while the app's accept queue is
 * full (the kernel then drops the SYN and retries it for up to two minutes).
 */
static int connect_unix(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int connect_loopback(int port, int *pending) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *pending = 0;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno != EINPROGRESS) {
      close(fd);
      return -1;
    }
    *pending = 1;
  }
  return fd;
}

static void close_pair(int i) {
  struct pair *p = pairs[i];
  open_pairs[p->kind]--;
  accept_paused = 0;
  close(p->a.fd);
  close(p->b.fd);
  free(p->a.buf);
  free(p->b.buf);
  free(p);
  pairs[i] = NULL;
}

/* Whether the listener of `kind` may take another connection now. */
static int has_room(int kind) {
  int all = open_pairs[LISTEN_POOLED] + open_pairs[LISTEN_DIRECT] + open_pairs[LISTEN_PUBLISHED];
  if (accept_paused || all >= MAX_PAIRS) return 0;
  return kind != LISTEN_PUBLISHED || open_pairs[LISTEN_PUBLISHED] < MAX_PUBLISHED_PAIRS;
}

static void accept_on(int listener, int kind, int app_port) {
  while (has_room(kind)) {
    int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) {
      /* Out of descriptors or memory: the listener stays readable, so rest until a pair closes. */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        accept_paused = 1;
      return; /* EAGAIN, or a connection already gone */
    }
    int pending = 0;
    int upstream = kind == LISTEN_POOLED   ? connect_unix("/run/coduck/pooled.sock")
                   : kind == LISTEN_DIRECT ? connect_unix("/run/coduck/direct.sock")
                                           : connect_loopback(app_port, &pending);
    int slot = -1;
    for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
      if (!pairs[i]) slot = i;
    struct pair *p = upstream < 0 || slot < 0 ? NULL : calloc(1, sizeof *p);
    char *a = p ? malloc(BUFFER) : NULL, *b = p ? malloc(BUFFER) : NULL;
    if (!a || !b) {
      free(a);
      free(b);
      free(p);
      close(client);
      if (upstream >= 0) close(upstream);
      continue;
    }
    p->a = (struct side){.fd = client, .buf = a};
    p->b = (struct side){.fd = upstream, .buf = b};
    p->kind = kind;
    p->connecting = pending;
    pairs[slot] = p;
    open_pairs[kind]++;
  }
}

/* Reads what `from` has when nothing of it waits, and moves it on to `to`; -1 on an error. */
static int pump(struct side *from, struct side *to, short from_events) {
  if (from_events & POLLIN && from->len == 0 && !from->eof) {
    ssize_t n = read(from->fd, from->buf, BUFFER);
    if (n > 0) from->len = (size_t)n, from->off = 0;
    else if (n == 0) from->eof = 1;
    else if (errno != EAGAIN && errno != EINTR) return -1;
  } else if (from_events & (POLLERR | POLLHUP) && from->len == 0 && !from->eof) {
    from->eof = 1;
  }
  if (from->len > 0) { /* tried at once: EAGAIN waits for POLLOUT */
    ssize_t n = send(to->fd, from->buf + from->off, from->len, MSG_NOSIGNAL);
    if (n > 0) from->len -= (size_t)n, from->off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR) return -1;
  }
  if (from->eof && from->len == 0 && from->eof != 2) {
    shutdown(to->fd, SHUT_WR);
    from->eof = 2;
  }
  return 0;
}

static short wanted(struct side *from, struct side *to) {
  short events = 0;
  if (!from->eof && from->len == 0) events |= POLLIN;
  if (to->len > 0) events |= POLLOUT;
  return events;
}

/* Whether something accepts connections on the app's port inside the box (a connect to the
 * box's own loopback is answered at once: accepted, or refused while nothing listens). */
static int app_listening(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  close(fd);
  return ok;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  char *end = NULL;
  errno = 0;
  long port = argc >= 3 && *argv[1] != '-' ? strtol(argv[1], &end, 10) : -1;
  if (argc < 3 || errno || !end || *end || end == argv[1] || port < 0 || port > 65535) {
    fputs("box relay: usage: coduck-relay <port 0-65535> <file> [args...]\n", stderr);
    return 2;
  }
  int app_port = (int)port;
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) fail("pipe");
  /* Whatever mask it was started with, the relay must hear of its child's end. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&child.sa_mask);
  sigaction(SIGCHLD, &child, NULL);
  /* The process group's signals reach the command directly: the relay waits for it to end. */
  struct sigaction ignore = {.sa_handler = SIG_IGN};
  sigemptyset(&ignore.sa_mask);
  for (int sig = 0; sig < 4; sig++)
    sigaction((int[]){SIGTERM, SIGINT, SIGHUP, SIGPIPE}[sig], &ignore, NULL);

  listeners[LISTEN_POOLED] = listen_tcp("127.0.0.1", 6432);
  listeners[LISTEN_DIRECT] = listen_tcp("127.0.0.1", 5433);
  if (app_port > 0) listeners[LISTEN_PUBLISHED] = listen_tcp("10.0.2.100", 65535);

  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    /* Ignored signals stay ignored across exec: the command gets the defaults back. */
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "box relay: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }

  int ready = app_port == 0; /* told the launcher the app listens (releases only) */
  long long next_probe = 0;
  struct pollfd fds[1 + LISTENERS + 2 * MAX_PAIRS];
  for (;;) {
    int status;
    pid_t ended = waitpid(pid, &status, WNOHANG);
    if (ended == pid) {
      if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        signal(sig, SIG_DFL);
        kill(getpid(), sig);
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    if (!ready && now_ms() >= next_probe) {
      if (app_listening(app_port)) {
        int told = connect_unix("/run/coduck/published.sock");
        if (told >= 0) close(told);
        ready = 1;
      } else {
        next_probe = now_ms() + POLL_MS;
      }
    }
    int n = 0;
    fds[n++] = (struct pollfd){.fd = signal_pipe[0], .events = POLLIN};
    for (int l = 0; l < LISTENERS; l++)
      fds[n++] = (struct pollfd){.fd = listeners[l] >= 0 && has_room(l) ? listeners[l] : -1,
                                 .events = POLLIN};
    for (int i = 0; i < MAX_PAIRS; i++) {
      struct pair *p = pairs[i];
      short ea = 0, eb = 0;
      if (p && p->connecting) eb = POLLOUT;
      else if (p) ea = wanted(&p->a, &p->b), eb = wanted(&p->b, &p->a);
      /* A side asked for nothing is not polled at all: a socket at its end (or reset) would
       * report POLLHUP or POLLERR at every poll and spin the loop. */
      fds[n++] = (struct pollfd){.fd = ea ? p->a.fd : -1, .events = ea};
      fds[n++] = (struct pollfd){.fd = eb ? p->b.fd : -1, .events = eb};
    }
    if (poll(fds, (nfds_t)n, ready ? -1 : POLL_MS) < 0 && errno != EINTR) fail("poll");
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (read(signal_pipe[0], drain, sizeof drain) > 0) {
      }
    }
    for (int i = 0; i < MAX_PAIRS; i++) {
      struct pair *p = pairs[i];
      if (!p) continue;
      short ra = fds[1 + LISTENERS + 2 * i].revents, rb = fds[2 + LISTENERS + 2 * i].revents;
      if (p->connecting) {
        if (!rb) continue;
        int error = 0;
        socklen_t size = sizeof error;
        if (getsockopt(p->b.fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0 || error) close_pair(i);
        else p->connecting = 0;
        continue;
      }
      if (pump(&p->a, &p->b, ra) < 0 || pump(&p->b, &p->a, rb) < 0 ||
          (p->a.eof == 2 && p->b.eof == 2))
        close_pair(i);
    }
    /* After the pairs: a pair closed above makes room (and lifts a pause) for these. */
    for (int l = 0; l < LISTENERS; l++)
      if (fds[1 + l].revents & POLLIN) accept_on(listeners[l], l, app_port);
  }
}
