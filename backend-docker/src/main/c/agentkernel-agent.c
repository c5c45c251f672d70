/*
 * agentkernel-agent: the in-sandbox process that starts commands and touches files for the backend.
 *
 * It is the container's PID 1 (no other init), with exactly the sandbox's user, capabilities and limits: it
 * adds no privilege and listens on no port (it only connects to the sandbox's own loopback, see Ports). It speaks a framed binary protocol on its stdin/stdout, which the
 * backend reaches through the container's attached stdio. Diagnostics go to stderr. Built static, so the
 * image needs no libc or shell.
 *
 * The channel is out of the commands' reach (the backend trusts nothing on it anyway, see AgentClient):
 *  - the agent makes itself non-dumpable before anything else, so no process of the sandbox, same uid or
 *    container root without CAP_SYS_PTRACE (no profile grants it), can open /proc/1/fd/N, /proc/1/mem or
 *    /proc/1/environ, or ptrace it. Commands get their own dumpable flag back at execve.
 *  - commands start with fresh pipes as fds 0/1/2 and every other fd closed, so none inherits the channel.
 *  - as a namespace's init it cannot be stopped or killed from inside: the kernel drops SIGKILL, SIGSTOP and
 *    every default-disposition signal that a process of the namespace sends to its init. SIGTERM, SIGINT and
 *    SIGHUP are blocked and read from a signalfd; as PID 1 they end the agent (and so the sandbox) only when
 *    they come from outside the namespace (ssi_pid 0: docker stop), so a command cannot make it exit.
 *  - it does init's duties: every orphan of the namespace is re-parented to it and reaped.
 * Run as an ordinary process (tests run it locally) it is a child subreaper instead and obeys SIGTERM.
 *
 * Frame (both directions): u32 payload length (big endian), u8 type, u32 request id, payload.
 * Every request but PING ends with exactly one of EXIT, DONE or ERROR carrying its id; requests run concurrently.
 *
 *   client -> agent                         agent -> client
 *   HELLO  u32 version                      HELLO  u32 version, u32 pid, u32 uid, u32 gid
 *   EXEC   see parse_exec()                 STDOUT / STDERR  bytes, as produced
 *   STDIN  bytes; empty = EOF               STDIN_ACK u64 stdin bytes consumed so far, u8 1 = stdin closed
 *   KILL   (kills the exec's tree, see below)      (the client keeps at most a window of bytes unacknowledged)
 *   FREAD  u64 max bytes, path              EXIT   u8 kind (0 exited, 1 signalled), u8 flags
 *   FWRITE u32 mode, path                          (1 timed out, 2 truncated, 4 cancelled), i32 code
 *   FDATA  bytes for FWRITE; empty = end    FDATA  file bytes (FREAD)
 *   FDELETE path                            DONE   u64 size (FREAD/FWRITE) or 0
 *   PING   (liveness)                       ERROR  u32 errno, u32 stage, message
 *                                           PONG   answers PING, even in the middle of a long kill
 *   DSTART string id, then an EXEC payload  DONE   u64 pid (the command runs on, detached)
 *   DLIST  string id (empty = all)          DINFO  one per command, see send_dinfo(); then DONE u64 count
 *   DLOGS  u8 stream (0 out, 1 err), id     DLOG   kept output bytes; then DONE u64 size
 *   DKILL  string id                        DONE   0 (the command's tree is killed, see the kill rule)
 *   PTY    u32 rows, u32 cols, then as EXEC: the command runs on a new pseudo-terminal (see below); its
 *          output comes as STDOUT, its input goes as STDIN, it ends with EXIT or ERROR like an exec
 *   RESIZE u32 rows, u32 cols (TIOCSWINSZ on the PTY request with this id; no answer, ignored when gone)
 *   PORT   u32 port: connect to 127.0.0.1:port     PORT   (empty) connected
 *   PDATA  bytes for the socket; empty = half      PDATA  bytes from the socket; empty = it said end-of-file
 *          close (shutdown of writing once sent)   PACK   u64 client bytes written to the socket so far
 *   PACK   u64 PDATA bytes the client consumed     DONE   u64 bytes sent: closed cleanly (both ways ended, or
 *   PCLOSE close now (both ways)                          PCLOSE)  /  ERROR errno, STAGE_PORT: refused, reset...
 *
 * Ports (PORT..PCLOSE, 0x30-0x33, replies 0xb0-0xb2): one TCP connection from the agent to 127.0.0.1:port in the
 * sandbox's own network namespace (loopback exists even with no network), so the backend reaches a server in the
 * sandbox without any network path to it. The connect is non-blocking and completes in the main loop's poll
 * (ETIMEDOUT after CONNECT_TIMEOUT_MS). Flow is credit-based both ways, so nothing here buffers more than a window
 * per connection and a stuck peer pauses only its own connection: the agent reads the socket only while fewer than
 * PORT_WINDOW bytes it sent are unacknowledged by PACK, and the client sends at most PORT_WINDOW bytes the agent has
 * not acknowledged by its PACK (twice that is refused with ERROR EPROTO). At most MAX_PORTS connections are open
 * (then PORT answers ERROR EAGAIN). Sockets are close-on-exec and closed for commands anyway. They end with the
 * client: with the agent when its stdin ends, and at the next HELLO (a new client after a dropped channel: Docker
 * keeps the stdin of PID 1 open across attaches), silently, since their ids mean nothing to the new client.
 *
 * Detached commands (DSTART..DKILL): started like an EXEC, but nothing is streamed; the agent keeps their output
 * (up to the request's cap per stream, the rest dropped and flagged truncated), their exit status and their record
 * after they end, so a client that reconnects (a restarted server) finds them. At most MAX_DETACHED records are
 * kept (the oldest ended one makes room; when all are running DSTART fails with EAGAIN). They die with the agent,
 * and so with the sandbox. An unknown id is ERROR ENOENT.
 *
 * PTY: the agent opens /dev/ptmx (the sandbox's own devpts), sets the initial size, and starts the command as
 * the leader of a new session with the terminal's slave side as its controlling terminal and fds 0/1/2, so
 * Ctrl-C typed by the client reaches the foreground process group through the line discipline. For the kill
 * and stray rules a PTY request is an exec: same marker, same session, killed when the client sends KILL.
 *
 * Kill rule (timeout, KILL): every command starts a new session and carries the marker
 * AGENTKERNEL_EXEC_ID=<agent pid>.<seq> in its environment (the name the docker-exec path uses too; a
 * same-named request entry is overridden). A process belongs to the exec when its session or process
 * group is the command's pid, when it descends from a member (ppid chain in /proc/<pid>/stat), or when its
 * /proc/<pid>/environ holds the marker (readable for our uid's dumpable processes; this catches descendants
 * that called setsid and were orphaned: they come back to the agent and lose their ancestry). The sweep
 * reads /proc with plain syscalls, no fork, so it works while a fork bomb holds the pids limit: first it
 * SIGSTOPs members until a pass finds none still running (a stopped process cannot fork), then it SIGKILLs
 * members until none is left.
 * Stray rule (every end of an exec: exit, timeout, KILL): a process that left its exec's session, dropped
 * the marker and lost its ancestry (double fork + setsid + env -i) belongs to no exec. Every process
 * descending from the agent that belongs to no still-running exec is killed the same way when any exec ends.
 * A detached command is an exec that runs on after DSTART answered: while it runs, its tree is kept like any
 * running exec's (the sanctioned survivors of this rule); once it ends, its group and strays go as for any exec. (As PID 1 that is every process of the sandbox except those started by
 * `docker exec`, whose parent is outside the namespace; run locally, only the agent's own descendants.)
 *
 * Path rule (files): paths are absolute; no ".." or "." segments and no empty segments are accepted.
 * The final component is opened with O_NOFOLLOW, so a symlink there is refused (ELOOP). A symlink in
 * a parent position is followed only when its target, taken relative to the directory holding the link,
 * stays inside that directory (so /bin -> usr/bin in "/" is fine, /tmp/x -> /etc is refused with
 * EXDEV); resolution is done component by component with openat, never by the kernel on a full path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PROTOCOL_VERSION 4
#define HEADER 9
#define MAX_PAYLOAD (1u << 20)
#define CHUNK 65536
/* The client keeps at most its window (1 MiB, AgentProtocol.STDIN_WINDOW) of one exec's stdin unacknowledged;
   this limit only guards against a client that ignores it (we would then stop reading, and its write deadline
   fires). */
#define STDIN_QUEUE_LIMIT (64u << 20)
#define ACK_STEP (256u << 10)
/* Room to keep reading (and answering PINGs) while a long kill runs and frames pile up unhandled. */
#define INPUT_BUFFER (8u << 20)
#define MAX_TIMEOUT_MS (1000ull * 3600 * 24 * 365 * 100)
#define MAX_SYMLINK_HOPS 16
#define GRACE_MS 100
#define MARKER_VAR "AGENTKERNEL_EXEC_ID"
#define MAX_DETACHED 64
#define MAX_DETACHED_ID 64
/* Port connections open at once per agent (each holds a socket and up to two windows of buffer). */
#define MAX_PORTS 64
/* Bytes the agent sends on one port connection before the client acknowledges them (PortStream.WINDOW). */
#define PORT_WINDOW (1u << 20)
/* A listener whose backlog is full drops SYNs: the connect would retry for minutes. */
#define CONNECT_TIMEOUT_MS 10000

enum {
    Q_HELLO = 0x01, Q_EXEC = 0x02, Q_STDIN = 0x03, Q_KILL = 0x04, Q_FREAD = 0x05, Q_FWRITE = 0x06,
    Q_FDATA = 0x07, Q_FDELETE = 0x08, Q_PING = 0x09,
    Q_PTY = 0x20, Q_RESIZE = 0x21,
    Q_ANSWERED = 0x7f, /* internal: a PING already answered by service_input(), left in place in the buffer */
    R_HELLO = 0x81, R_STDOUT = 0x82, R_STDERR = 0x83, R_EXIT = 0x84, R_ERROR = 0x85, R_FDATA = 0x86, R_DONE = 0x87,
    R_PONG = 0x88, R_STDIN_ACK = 0x89,
    /* detached commands: requests 0x10-0x1f, replies 0x90-0x9f */
    Q_DSTART = 0x10, Q_DLIST = 0x11, Q_DLOGS = 0x12, Q_DKILL = 0x13,
    R_DINFO = 0x90, R_DLOG = 0x91,
    /* ports: requests 0x30-0x3f, replies 0xb0-0xbf */
    Q_PORT = 0x30, Q_PDATA = 0x31, Q_PACK = 0x32, Q_PCLOSE = 0x33,
    R_PORT = 0xb0, R_PDATA = 0xb1, R_PACK = 0xb2
};

/* Stages reported with ERROR so the client can tell a bad workdir from a missing program. */
enum { STAGE_PROTOCOL = 0, STAGE_CHDIR = 1, STAGE_EXEC = 2, STAGE_FILE = 3, STAGE_SPAWN = 4, STAGE_PORT = 5 };

extern char **environ;

struct exec {
    uint32_t id;
    int reported;              /* EXIT sent; only draining orphaned pipes now */
    pid_t pid;
    int in_fd, out_fd, err_fd;
    unsigned char *inq;        /* stdin bytes not yet written to the child */
    size_t inq_len, inq_cap;
    int in_eof;                /* client sent EOF: close in_fd once the queue is empty */
    int in_follows;            /* the client announced stdin frames */
    uint64_t in_consumed, in_acked; /* stdin bytes written to the command (or dropped), and acknowledged */
    int in_closed_sent;        /* the client was told the command's stdin is closed */
    int64_t deadline;          /* monotonic ms, 0 = none */
    uint64_t max_out, n_out, n_err;
    int truncated, timed_out, cancelled, exited, status;
    char marker[64];           /* MARKER_VAR=value, in the command's environment */
    int64_t grace_until;       /* after the command exited: report by then even if pipes stay open */
    int is_pty;                /* out_fd is a PTY master (in_fd a dup of it) */
    int detached;              /* started by DSTART: output kept below, no EXIT sent, the record outlives its end */
    char did[MAX_DETACHED_ID + 1];
    char **argv;               /* detached: the command, for DINFO */
    uint64_t started_wall_ms;  /* detached: when it started, Unix ms */
    unsigned char *kept[2];    /* detached: stdout and stderr as kept (at most max_out each) */
    size_t kept_len[2], kept_cap[2];
    struct exec *next;
};

struct upload {                /* an FWRITE in progress */
    uint32_t id;
    int fd, dirfd, err;
    char *tmpname, *name, *path;
    uint64_t written;
    struct upload *next;
};

static struct exec *execs;
static void reap(void);
static struct upload *uploads;
static unsigned char *inbuf;
static size_t in_len, in_cap;
static size_t ping_scan;       /* inbuf offset up to which frames were looked at for PINGs (a frame boundary) */
static int is_init;            /* we are PID 1 of the sandbox's pid namespace */
static void service_input(void);
static struct exec *last_started; /* the exec start_exec() made, for DSTART; NULL when it answered ERROR */
static void keep_output(struct exec *e, const unsigned char *buf, size_t n, int is_err);

static void die(const char *what) {
    fprintf(stderr, "agentkernel-agent: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t get32(const unsigned char *p) {
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static uint64_t get64(const unsigned char *p) {
    return ((uint64_t) get32(p) << 32) | get32(p + 4);
}

static void write_all(int fd, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                poll(&pfd, 1, -1);
                continue;
            }
            die("write to client");
        }
        p += n;
        len -= (size_t) n;
    }
}

/* One frame is written with one writev-like buffer so frames never interleave. */
static void send_frame(uint8_t type, uint32_t id, const void *payload, size_t len) {
    unsigned char small[HEADER + 64];
    unsigned char *buf = len <= 64 ? small : malloc(HEADER + len);
    if (!buf) die("malloc");
    put32(buf, (uint32_t) len);
    buf[4] = type;
    put32(buf + 5, id);
    if (len) memcpy(buf + HEADER, payload, len);
    write_all(1, buf, HEADER + len);
    if (buf != small) free(buf);
}

static void send_error(uint32_t id, int err, int stage, const char *msg) {
    unsigned char buf[512];
    size_t ml = strlen(msg);
    if (ml > sizeof buf - 8) ml = sizeof buf - 8;
    put32(buf, (uint32_t) err);
    put32(buf + 4, (uint32_t) stage);
    memcpy(buf + 8, msg, ml);
    send_frame(R_ERROR, id, buf, 8 + ml);
}

static void send_ok(uint32_t id, uint64_t value) {
    unsigned char buf[8];
    put32(buf, (uint32_t) (value >> 32));
    put32(buf + 4, (uint32_t) value);
    send_frame(R_DONE, id, buf, 8);
}

static void set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static struct exec *find_exec(uint32_t id) {
    for (struct exec *e = execs; e; e = e->next)
        if (!e->reported && e->id == id) return e;
    return NULL;
}

static struct upload *find_upload(uint32_t id) {
    for (struct upload *u = uploads; u; u = u->next)
        if (u->id == id) return u;
    return NULL;
}

/* ---------- killing an exec's tree and strays (the kill and stray rules in the header comment) ---------- */

enum { M_TARGET = 1, M_KEEP = 2, M_DESC = 4 };
struct proc { pid_t pid, ppid, pgrp, sid; char state; int mark; };
static struct proc *procs;
static size_t nprocs, procs_cap;

/* Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
static int read_stat(pid_t pid, struct proc *p) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *end = strrchr(buf, ')');
    int ppid, pgrp, sid;
    if (!end || sscanf(end + 1, " %c %d %d %d", &p->state, &ppid, &pgrp, &sid) != 4) return -1;
    p->pid = pid; p->ppid = ppid; p->pgrp = pgrp; p->sid = sid; p->mark = 0;
    return 0;
}

/*
 * Copies the first MARKER_VAR=value entry of the process's initial environment into out (NUL-terminated);
 * returns 0 when there is none or it cannot be read (not our uid, not dumpable, gone).
 */
static int read_marker(pid_t pid, char *out, size_t outlen) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int) pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    static const char prefix[] = MARKER_VAR "=";
    size_t pl = sizeof prefix - 1;
    char buf[8192];
    size_t have = 0;
    int found = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0) break;
        have += (size_t) n;
        /* Entries are NUL-terminated; only complete entries are looked at. */
        size_t start = 0;
        for (size_t i = 0; i < have && !found; i++) {
            if (buf[i] != 0) continue;
            size_t el = i - start;
            if (el >= pl && el < outlen && memcmp(buf + start, prefix, pl) == 0) {
                memcpy(out, buf + start, el + 1);
                found = 1;
            }
            start = i + 1;
        }
        if (found) break;
        /* Keep the unfinished last entry and read on; one longer than the buffer is skipped. */
        if (start == 0) { if (have == sizeof buf) have = 0; continue; }
        memmove(buf, buf + start, have - start);
        have -= start;
    }
    close(fd);
    return found;
}

/* Fills procs with every process of /proc but ourselves. Needs no fork and no memory beyond a growing array. */
static void list_procs(void) {
    nprocs = 0;
    DIR *d = opendir("/proc");
    if (!d) return;
    pid_t self = getpid();
    for (struct dirent *de; (de = readdir(d));) {
        char *endp;
        long v = strtol(de->d_name, &endp, 10);
        if (*endp || v <= 0 || v == self) continue;
        if (nprocs == procs_cap) {
            size_t nc = procs_cap ? procs_cap * 2 : 256;
            struct proc *np = realloc(procs, nc * sizeof *np);
            if (!np) break; /* sweep what we have; the caller repeats */
            procs = np; procs_cap = nc;
        }
        if (read_stat((pid_t) v, &procs[nprocs]) == 0) nprocs++;
    }
    closedir(d);
}

/* Adds flag to every process whose parent has it, until nothing changes (descendants inherit a mark). */
static void close_over_children(int flag) {
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < nprocs; i++) {
            if (procs[i].mark & flag) continue;
            for (size_t j = 0; j < nprocs; j++)
                if ((procs[j].mark & flag) && procs[j].pid == procs[i].ppid) { procs[i].mark |= flag; changed = 1; break; }
        }
    }
}

/* Marks the members of e by session, group and (while it is not reaped, so the pid is not reused) its pid. */
static void mark_by_tree(struct exec *e, int flag) {
    for (size_t i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        if (p->sid == e->pid || p->pgrp == e->pid || (!e->exited && p->pid == e->pid)) p->mark |= flag;
    }
}

static int marker_is(const char *marker, struct exec *e) {
    return strcmp(marker, e->marker) == 0;
}

/* The kill rule: picks the members of one exec. */
static void pick_exec(void *arg) {
    struct exec *e = arg;
    mark_by_tree(e, M_TARGET);
    char m[64];
    for (size_t i = 0; i < nprocs; i++)
        if (!(procs[i].mark & M_TARGET) && procs[i].state != 'Z' && read_marker(procs[i].pid, m, sizeof m)
                && marker_is(m, e))
            procs[i].mark |= M_TARGET;
    close_over_children(M_TARGET);
}

/* The stray rule: picks our descendants that belong to no running exec (with keep_running 0: all of them). */
static void pick_strays(void *arg) {
    int keep_running = *(int *) arg;
    pid_t self = getpid();
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].ppid == self) procs[i].mark |= M_DESC;
    close_over_children(M_DESC);
    if (keep_running) {
        for (struct exec *e = execs; e; e = e->next)
            if (!e->reported) mark_by_tree(e, M_KEEP);
        /* Markers are read only for what the cheap rules left over: usually nothing. */
        char m[64];
        for (size_t i = 0; i < nprocs; i++) {
            struct proc *p = &procs[i];
            if (!(p->mark & M_DESC) || (p->mark & M_KEEP) || p->state == 'Z' || !read_marker(p->pid, m, sizeof m)) continue;
            for (struct exec *e = execs; e; e = e->next)
                if (!e->reported && marker_is(m, e)) { p->mark |= M_KEEP; break; }
        }
        close_over_children(M_KEEP);
    }
    for (size_t i = 0; i < nprocs; i++)
        if ((procs[i].mark & M_DESC) && !(procs[i].mark & M_KEEP)) procs[i].mark |= M_TARGET;
}

/*
 * One pass: lists processes, lets pick mark targets, sends sig to those not in state skip; returns how many it
 * signalled. *live (when given) is set to the number of live targets, signalled or not.
 */
static int sweep(void (*pick)(void *), void *arg, int sig, char skip, int *live) {
    list_procs();
    pick(arg);
    int signalled = 0, targets = 0;
    for (size_t i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        if (!(p->mark & M_TARGET) || p->state == 'Z' || p->state == 'X') continue;
        targets++;
        if (p->state != skip && kill(p->pid, sig) == 0) signalled++;
    }
    if (live) *live = targets;
    return signalled;
}

/*
 * Stops, then kills, everything pick selects; repeats until nothing is left (bounded). Keeps answering PINGs
 * meanwhile, so the client can tell a long kill (a fork bomb on a busy host) from a frozen agent.
 */
static void stop_then_kill(void (*pick)(void *), void *arg) {
    /* Stop first, so ancestry is still intact (nothing reparented yet) and nothing forks meanwhile. */
    int live = 0;
    if (sweep(pick, arg, SIGSTOP, 'T', &live) > 0)
        for (int i = 0; i < 50 && sweep(pick, arg, SIGSTOP, 'T', NULL) > 0; i++) service_input();
    if (live == 0) return; /* the usual end of an exec: nothing to kill, one look at /proc */
    /* Each pass lists its targets before signalling any, so a child is killed in the same pass as its
       parent, before being reparented would hide its ancestry. */
    for (int i = 0; i < 200 && sweep(pick, arg, SIGKILL, 0, NULL) > 0; i++) {
        struct timespec pause = { 0, 1000 * 1000 }; /* let the killed ones turn into zombies */
        nanosleep(&pause, NULL);
        reap(); /* zombies hold pids: free them for the next command */
        service_input();
    }
}

static void kill_tree(struct exec *e) {
    if (e->pid <= 0) return;
    stop_then_kill(pick_exec, e);
    kill(-e->pid, SIGKILL); /* the group again, in case /proc could not be read */
}

/* Kills what escaped the execs (keep_running) or, when the agent ends, everything it started. */
static void kill_strays(int keep_running) {
    stop_then_kill(pick_strays, &keep_running);
}

/* ---------- a bounded reader over a request payload ---------- */

struct rd { const unsigned char *p; size_t left; int bad; };

static uint32_t rd32(struct rd *r) {
    if (r->left < 4) { r->bad = 1; return 0; }
    uint32_t v = get32(r->p); r->p += 4; r->left -= 4; return v;
}

static uint64_t rd64(struct rd *r) {
    if (r->left < 8) { r->bad = 1; return 0; }
    uint64_t v = get64(r->p); r->p += 8; r->left -= 8; return v;
}

/* A length-prefixed string, copied and NUL-terminated; NUL bytes inside are refused. */
static char *rdstr(struct rd *r) {
    uint32_t n = rd32(r);
    if (r->bad || n > r->left || memchr(r->p, 0, n)) { r->bad = 1; return NULL; }
    char *s = malloc(n + 1);
    if (!s) die("malloc");
    memcpy(s, r->p, n);
    s[n] = 0;
    r->p += n; r->left -= n;
    return s;
}

static void free_strv(char **v) {
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

/* ---------- exec ---------- */

/* Closes every fd from lowest up, except keep. close_range where the kernel has it (5.9+), else one by one. */
static void close_from(int lowest, int keep) {
#ifdef SYS_close_range
    int ok = keep <= lowest || syscall(SYS_close_range, lowest, keep - 1, 0) == 0;
    if (ok && syscall(SYS_close_range, keep >= lowest ? keep + 1 : lowest, ~0u, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = lowest; fd < max; fd++)
        if (fd != keep) close(fd);
}

/*
 * A new container's first process start costs more than the ones after it: through the API the first exec in a
 * fresh sandbox took ~2.5 ms longer at p50 than its second (9.1 against 6.5 ms on a 2-core machine), and a warm
 * pool member's first command is a user's. So the agent pays that once, at start and before it reads its first
 * request, with one child that runs this binary's --version into /dev/null (with it, the first exec took as long as
 * the second). The child holds nothing of the channel: /dev/null is its fds 0/1/2 and every other fd is closed
 * before execve, and no command of the sandbox runs yet.
 */
static void prime(const char *self) {
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0) _exit(127);
        dup2(null, 0); dup2(null, 1); dup2(null, 2);
        close_from(3, -1);
        char *args[] = { (char *) self, "--version", NULL };
        execv(self, args);
        _exit(127);
    }
    if (pid > 0) while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

/* Environment of the command: the sandbox's own (ours) with the request's entries replacing same-named ones. */
static char **merge_env(char **extra, size_t n_extra, char *marker) {
    size_t n_base = 0;
    while (environ[n_base]) n_base++;
    char **out = calloc(n_base + n_extra + 2, sizeof *out);
    if (!out) die("calloc");
    size_t k = 0;
    size_t mkl = strlen(MARKER_VAR);
    for (size_t i = 0; i < n_base; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t kl = eq ? (size_t) (eq - environ[i]) : strlen(environ[i]);
        if (kl == mkl && strncmp(environ[i], MARKER_VAR, mkl) == 0) continue;
        int replaced = 0;
        for (size_t j = 0; j < n_extra; j++)
            if (strncmp(extra[j], environ[i], kl) == 0 && extra[j][kl] == '=') { replaced = 1; break; }
        if (!replaced) out[k++] = environ[i];
    }
    for (size_t j = 0; j < n_extra; j++)
        if (!(strncmp(extra[j], MARKER_VAR, mkl) == 0 && extra[j][mkl] == '=')) out[k++] = extra[j];
    out[k++] = marker;
    out[k] = NULL;
    return out;
}

/*
 * A pseudo-terminal laid out like the exec's pipes, so the spawn code stays one: the slave side as in[0], out[1]
 * and err[1] (the command's 0/1/2), the master as out[0] (read) and a dup of it as in[1] (written, and closed on
 * the client's EOF without ending the output); err[0] is -1, a terminal has one output stream.
 */
static int open_pty(const struct winsize *ws, int in[2], int out[2], int err[2]) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return -1;
    char name[64];
    int slave = -1;
    if (grantpt(master) == 0 && unlockpt(master) == 0 && ptsname_r(master, name, sizeof name) == 0)
        slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) { int e = errno; close(master); errno = e; return -1; }
    ioctl(master, TIOCSWINSZ, ws);
    in[0] = slave;
    out[1] = fcntl(slave, F_DUPFD_CLOEXEC, 3);
    err[1] = fcntl(slave, F_DUPFD_CLOEXEC, 3);
    out[0] = master;
    in[1] = fcntl(master, F_DUPFD_CLOEXEC, 3);
    err[0] = -1;
    if (out[1] < 0 || err[1] < 0 || in[1] < 0) {
        int e = errno;
        close(slave); close(out[1]); close(err[1]); close(master); close(in[1]);
        errno = e;
        return -1;
    }
    return 0;
}

/*
 * EXEC payload: u32 flags (bit0: stdin frames follow; otherwise stdin is at EOF at once),
 * u64 timeout ms (0 none), u64 max bytes per output stream, u32 argc, argc strings, u32 envc,
 * envc "K=V" strings, workdir string (empty = the sandbox's default). Strings are u32 length + bytes.
 */
static void start_exec(uint32_t id, const unsigned char *payload, size_t len, const struct winsize *ws) {
    last_started = NULL;
    struct rd r = { payload, len, 0 };
    uint32_t flags = rd32(&r);
    uint64_t timeout_ms = rd64(&r);
    uint64_t max_out = rd64(&r);
    uint32_t argc = rd32(&r);
    if (r.bad || argc == 0 || argc > 65536) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad exec request"); return; }
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv) die("calloc");
    for (uint32_t i = 0; i < argc && !r.bad; i++) argv[i] = rdstr(&r);
    uint32_t envc = rd32(&r);
    char **envx = NULL;
    if (!r.bad && envc <= 65536) {
        envx = calloc(envc + 1, sizeof *envx);
        if (!envx) die("calloc");
        for (uint32_t i = 0; i < envc && !r.bad; i++) {
            envx[i] = rdstr(&r);
            if (envx[i] && !strchr(envx[i], '=')) r.bad = 1;
        }
    } else {
        r.bad = 1;
    }
    char *workdir = r.bad ? NULL : rdstr(&r);
    if (r.bad || find_exec(id)) {
        send_error(id, EINVAL, STAGE_PROTOCOL, "bad exec request");
        free_strv(argv); free_strv(envx); free(workdir);
        return;
    }
    static uint32_t seq;
    char marker[64];
    snprintf(marker, sizeof marker, MARKER_VAR "=%u.%u", (unsigned) getpid(), ++seq);
    char **envp = merge_env(envx, envc, marker);

    int in[2], out[2], err[2], report[2];
    if (ws && open_pty(ws, in, out, err) < 0) {
        char text[120];
        snprintf(text, sizeof text, "pseudo-terminal: %s", strerror(errno));
        send_error(id, errno, STAGE_SPAWN, text);
        goto done;
    }
    if ((!ws && (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))) || pipe2(report, O_CLOEXEC)) {
        char text[120];
        snprintf(text, sizeof text, "pipe: %s", strerror(errno));
        send_error(id, errno, STAGE_SPAWN, text);
        /* A terminal is whole by now: its fds (a pty of the sandbox's devpts among them) go back at once. */
        if (ws) { close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[1]); }
        goto done; /* pipe fds leak only on EMFILE-type failure; the agent keeps serving */
    }
    /* A full pids limit (e.g. a fork bomb being killed) frees up as its zombies are reaped: retry briefly. */
    pid_t pid = fork();
    for (int tries = 0; pid < 0 && errno == EAGAIN && tries < 50; tries++) {
        reap();
        service_input();
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        nanosleep(&pause, NULL);
        pid = fork();
    }
    if (pid < 0) {
        int e = errno;
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        close(report[0]); close(report[1]);
        char text[120];
        snprintf(text, sizeof text, "fork: %s", strerror(e));
        send_error(id, e, STAGE_SPAWN, text);
        goto done;
    }
    if (pid == 0) {
        /* Child: own session and process group (so the group can be killed as one), default signals. */
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        setsid();
        /* A PTY request: the slave (in[0]) becomes our controlling terminal, so the line discipline's signals
           (Ctrl-C, Ctrl-Z) and a hangup reach this session's foreground group. */
        if (ws) ioctl(in[0], TIOCSCTTY, 0);
        /* The command, not the agent, is the OOM killer's first victim: a memory bomb must not take the sandbox
           down with it (raising one's own score needs no privilege; as on the docker-exec path). */
        int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (oom >= 0) {
            (void) !write(oom, "1000", 4);
            close(oom);
        }
        dup2(in[0], 0); dup2(out[1], 1); dup2(err[1], 2);
        /* Nothing else crosses into the command: not the channel (our 0/1, replaced above), not any other fd.
           Only the report pipe stays until execve (it is close-on-exec). */
        close_from(3, report[1]);
        int stage = STAGE_CHDIR;
        if (workdir[0] == 0 || chdir(workdir) == 0) {
            stage = STAGE_EXEC;
            environ = envp;
            execvp(argv[0], argv);
        }
        int msg[2] = { errno, stage };
        (void) !write(report[1], msg, sizeof msg);
        _exit(127);
    }
    close(in[0]); close(out[1]); close(err[1]); close(report[1]);
    int msg[2];
    ssize_t n;
    do { n = read(report[0], msg, sizeof msg); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t) sizeof msg) {
        /* exec or chdir failed: the child has exited; it is reaped by the SIGCHLD handler. */
        close(in[1]); close(out[0]); close(err[0]);
        char text[300];
        snprintf(text, sizeof text, "%s: %s", msg[1] == STAGE_CHDIR ? workdir : argv[0], strerror(msg[0]));
        send_error(id, msg[0], msg[1], text);
        goto done;
    }
    struct exec *e = calloc(1, sizeof *e);
    if (!e) die("calloc");
    e->id = id;
    e->pid = pid;
    memcpy(e->marker, marker, sizeof marker);
    e->in_fd = in[1];
    e->out_fd = out[0];
    e->err_fd = err[0];
    set_nonblock(e->in_fd); set_nonblock(e->out_fd); set_nonblock(e->err_fd);
    e->is_pty = ws != NULL;
    e->max_out = max_out ? max_out : UINT64_MAX;
    /* Saturates: a timeout of centuries is no timeout, never an overflow into the past. */
    e->deadline = timeout_ms ? now_ms() + (int64_t) (timeout_ms < MAX_TIMEOUT_MS ? timeout_ms : MAX_TIMEOUT_MS) : 0;
    e->in_follows = flags & 1;
    if (!e->in_follows) { close(e->in_fd); e->in_fd = -1; e->in_eof = 1; }
    e->next = execs;
    execs = e;
    last_started = e;
done:
    free(envp);
    free_strv(argv); free_strv(envx); free(workdir);
}

/* PTY payload: u32 rows, u32 cols, then an EXEC payload. */
static void start_pty(uint32_t id, const unsigned char *payload, size_t len) {
    if (len < 8) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad pty request"); return; }
    uint32_t rows = get32(payload), cols = get32(payload + 4);
    if (rows == 0 || cols == 0 || rows > 10000 || cols > 10000) {
        send_error(id, EINVAL, STAGE_PROTOCOL, "bad terminal size");
        return;
    }
    struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
    start_exec(id, payload + 8, len - 8, &ws);
}

/* RESIZE payload: u32 rows, u32 cols; the kernel sends SIGWINCH to the terminal's foreground group. */
static void resize_pty(uint32_t id, const unsigned char *payload, size_t len) {
    struct exec *e = find_exec(id);
    if (!e || !e->is_pty || e->out_fd < 0 || len != 8) return;
    uint32_t rows = get32(payload), cols = get32(payload + 4);
    if (rows == 0 || cols == 0 || rows > 10000 || cols > 10000) return;
    struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
    ioctl(e->out_fd, TIOCSWINSZ, &ws);
}

/* Tells the client how much of the exec's stdin is consumed, so it may send more (see STDIN_WINDOW). */
static void ack_stdin(struct exec *e, int closed) {
    unsigned char p[9];
    put32(p, (uint32_t) (e->in_consumed >> 32));
    put32(p + 4, (uint32_t) e->in_consumed);
    p[8] = (unsigned char) closed;
    send_frame(R_STDIN_ACK, e->id, p, sizeof p);
    e->in_acked = e->in_consumed;
    if (closed) e->in_closed_sent = 1;
}

/* The command closed its stdin: what is queued is dropped, as a pipe would, and a client still sending is told. */
static void stdin_gone(struct exec *e) {
    e->in_consumed += e->inq_len;
    e->inq_len = 0;
    if (e->in_fd >= 0) { close(e->in_fd); e->in_fd = -1; }
    if (e->in_follows && !e->in_eof && !e->in_closed_sent && !e->reported) ack_stdin(e, 1);
}

static void queue_stdin(uint32_t id, const unsigned char *data, size_t len) {
    struct exec *e = find_exec(id);
    if (!e || e->in_eof) return; /* the command already ended or the client already ended its stdin: drop */
    if (len == 0) {
        e->in_eof = 1;
        if (e->inq_len == 0 && e->in_fd >= 0) { close(e->in_fd); e->in_fd = -1; }
        return;
    }
    if (e->in_fd < 0) { e->in_consumed += len; return; } /* closed by the command; the client was told */
    if (e->inq_len + len > e->inq_cap) {
        size_t cap = e->inq_cap ? e->inq_cap : 4096;
        while (cap < e->inq_len + len) cap *= 2;
        unsigned char *q = realloc(e->inq, cap);
        if (!q) die("realloc");
        e->inq = q;
        e->inq_cap = cap;
    }
    memcpy(e->inq + e->inq_len, data, len);
    e->inq_len += len;
}

static void flush_stdin(struct exec *e) {
    size_t done = 0;
    while (e->in_fd >= 0 && done < e->inq_len) {
        ssize_t n = write(e->in_fd, e->inq + done, e->inq_len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            /* EPIPE: the command closed its stdin. */
            memmove(e->inq, e->inq + done, e->inq_len - done);
            e->inq_len -= done;
            e->in_consumed += done;
            stdin_gone(e);
            return;
        }
        done += (size_t) n;
    }
    memmove(e->inq, e->inq + done, e->inq_len - done);
    e->inq_len -= done;
    e->in_consumed += done;
    if (e->in_consumed > e->in_acked && (e->inq_len == 0 || e->in_consumed - e->in_acked >= ACK_STEP) && !e->in_eof)
        ack_stdin(e, 0);
    if (e->in_fd >= 0 && e->inq_len == 0 && e->in_eof) { close(e->in_fd); e->in_fd = -1; }
}

/* Reads what a stream has; forwards it up to the cap, drops the rest (the command is never blocked). */
static void pump_output(struct exec *e, int *fdp, int is_err) {
    unsigned char buf[CHUNK];
    for (;;) {
        ssize_t n = read(*fdp, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) { close(*fdp); *fdp = -1; return; }
        if (e->reported) continue;
        if (e->detached) { keep_output(e, buf, (size_t) n, is_err); if (n < (ssize_t) sizeof buf) return; continue; }
        uint64_t *count = is_err ? &e->n_err : &e->n_out;
        uint64_t room = e->max_out > *count ? e->max_out - *count : 0;
        size_t take = (uint64_t) n < room ? (size_t) n : (size_t) room;
        if (take < (size_t) n) e->truncated = 1;
        if (take) send_frame(is_err ? R_STDERR : R_STDOUT, e->id, buf, take);
        *count += take;
        if (n < (ssize_t) sizeof buf) return;
    }
}

static void report_exit(struct exec *e) {
    unsigned char p[6];
    int sig = WIFSIGNALED(e->status);
    p[0] = sig ? 1 : 0;
    p[1] = (e->timed_out ? 1 : 0) | (e->truncated ? 2 : 0) | (e->cancelled ? 4 : 0);
    put32(p + 2, (uint32_t) (sig ? WTERMSIG(e->status) : WEXITSTATUS(e->status)));
    if (!e->detached) send_frame(R_EXIT, e->id, p, sizeof p); /* a detached one keeps its status for DINFO */
    e->reported = 1;
    /* The command is over: what it left running goes with it, so an exec never leaves processes behind. First
     * its process group (background jobs; the group id stays reserved while any member lives, so this cannot
     * hit another process), then whatever escaped any exec (the stray rule in the header comment). */
    if (e->pid > 0) kill(-e->pid, SIGKILL);
    if (e->in_fd >= 0) { close(e->in_fd); e->in_fd = -1; }
    free(e->inq); e->inq = NULL; e->inq_len = e->inq_cap = 0;
    kill_strays(1);
}

static void reap(void) {
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (struct exec *e = execs; e; e = e->next)
            if (e->pid == pid && !e->exited) { e->exited = 1; e->status = st; break; }
    }
}

/* ---------- files ---------- */

/*
 * Opens the directory that holds the last component of an absolute path, following the rule in the
 * header comment. On success returns a directory fd and sets *leaf to the final component (malloc'd).
 * With create set, missing directories are made (mode 0755). Returns -1 with errno on failure.
 */
static int open_parent(const char *path, int create, char **leaf) {
    if (path[0] != '/') { errno = EINVAL; return -1; }
    /* pending: the components still to walk, as one '/'-separated string we consume from the front. */
    char *pending = strdup(path + 1);
    char *prefix = strdup("");  /* the canonical path of dirfd ("" is "/") */
    if (!pending || !prefix) die("strdup");
    int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int hops = 0;
    if (dirfd < 0) goto fail;
    for (;;) {
        char *slash = strchr(pending, '/');
        if (!slash) break; /* pending is the leaf */
        *slash = 0;
        char *comp = pending;
        char *rest = slash + 1;
        if (comp[0] == 0 || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0 || rest[0] == 0) { errno = EINVAL; goto fail; }
        int fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST) goto fail;
            fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) goto fail;
        struct stat st;
        if (fstat(fd, &st) < 0) { close(fd); goto fail; }
        if (S_ISLNK(st.st_mode)) {
            close(fd);
            if (++hops > MAX_SYMLINK_HOPS) { errno = ELOOP; goto fail; }
            char target[PATH_MAX];
            ssize_t tl = readlinkat(dirfd, comp, target, sizeof target - 1);
            if (tl < 0) goto fail;
            target[tl] = 0;
            /* Normalise the target against the link's directory; it must stay inside that directory. */
            const char *t = target;
            size_t pl = strlen(prefix);
            if (t[0] == '/') {
                if (pl && (strncmp(t + 1, prefix + 1, pl - 1) != 0 || (t[pl] != '/' && t[pl] != 0))) { errno = EXDEV; goto fail; }
                t += pl;
            }
            size_t cap = strlen(t) + strlen(rest) + 2;
            char *np = malloc(cap);
            if (!np) die("malloc");
            np[0] = 0;
            char *tcopy = strdup(t);
            if (!tcopy) die("strdup");
            int depth = 0;
            for (char *save, *s = strtok_r(tcopy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
                if (strcmp(s, ".") == 0) continue;
                if (strcmp(s, "..") == 0) {
                    if (depth == 0) { free(tcopy); free(np); errno = EXDEV; goto fail; }
                    char *last = strrchr(np, '/');
                    if (last) *last = 0; else np[0] = 0;
                    depth--;
                    continue;
                }
                if (depth) strcat(np, "/");
                strcat(np, s);
                depth++;
            }
            free(tcopy);
            if (depth) strcat(np, "/");
            strcat(np, rest);
            free(pending);
            pending = np;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) { close(fd); errno = ENOTDIR; goto fail; }
        close(dirfd);
        dirfd = fd;
        size_t nl = strlen(prefix) + strlen(comp) + 2;
        char *np = malloc(nl);
        if (!np) die("malloc");
        snprintf(np, nl, "%s/%s", prefix, comp);
        free(prefix);
        prefix = np;
        memmove(pending, rest, strlen(rest) + 1);
    }
    if (pending[0] == 0 || strcmp(pending, ".") == 0 || strcmp(pending, "..") == 0) { errno = EINVAL; goto fail; }
    free(prefix);
    *leaf = pending;
    return dirfd;
fail:
    {
        int e = errno;
        if (dirfd >= 0) close(dirfd);
        free(pending);
        free(prefix);
        errno = e;
        return -1;
    }
}

static void file_error(uint32_t id, int err, const char *path) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", path, strerror(err));
    send_error(id, err, STAGE_FILE, msg);
}

/* Opens the leaf without following it and without blocking on FIFOs; only regular files pass. */
static int open_regular(int dirfd, const char *leaf, int flags, mode_t mode) {
    int fd = openat(dirfd, leaf, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        close(fd);
        errno = e;
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

static char *payload_path(const unsigned char *p, size_t len) {
    if (len == 0 || len > PATH_MAX || memchr(p, 0, len)) return NULL;
    char *s = malloc(len + 1);
    if (!s) die("malloc");
    memcpy(s, p, len);
    s[len] = 0;
    return s;
}

static void file_read(uint32_t id, const unsigned char *payload, size_t len) {
    if (len < 8) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad read request"); return; }
    uint64_t max = get64(payload);
    char *path = payload_path(payload + 8, len - 8);
    if (!path) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad path"); return; }
    char *leaf = NULL;
    int dirfd = open_parent(path, 0, &leaf);
    int fd = dirfd < 0 ? -1 : open_regular(dirfd, leaf, O_RDONLY, 0);
    if (fd < 0) { file_error(id, errno, path); goto out; }
    struct stat st;
    if (fstat(fd, &st) == 0 && (uint64_t) st.st_size > max) { close(fd); file_error(id, EFBIG, path); goto out; }
    unsigned char buf[CHUNK * 4];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { int e = errno; close(fd); file_error(id, e, path); goto out; }
        if (n == 0) break;
        total += (uint64_t) n;
        if (total > max) { close(fd); file_error(id, EFBIG, path); goto out; }
        send_frame(R_FDATA, id, buf, (size_t) n);
    }
    close(fd);
    send_ok(id, total);
out:
    if (dirfd >= 0) close(dirfd);
    free(leaf);
    free(path);
}

/* Writes go to a temporary file in the same directory, renamed over the target at the end (atomic). */
static void file_write_begin(uint32_t id, const unsigned char *payload, size_t len) {
    if (len < 4 || find_upload(id)) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad write request"); return; }
    mode_t mode = get32(payload) & 07777;
    char *path = payload_path(payload + 4, len - 4);
    if (!path) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad path"); return; }
    struct upload *u = calloc(1, sizeof *u);
    if (!u) die("calloc");
    u->id = id;
    u->fd = -1;
    u->dirfd = open_parent(path, 1, &u->name);
    if (u->dirfd < 0) {
        u->err = errno;
    } else {
        struct stat st;
        int existed = fstatat(u->dirfd, u->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (existed && !S_ISREG(st.st_mode)) {
            u->err = S_ISDIR(st.st_mode) ? EISDIR : S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
        } else {
            /* An overwritten file keeps its permission bits (an executable stays executable), as the shell path
             * of docker exec and pod exec does; set-id bits are not carried over to the writer's new file. */
            mode_t create = existed ? (st.st_mode & 0777) : mode ? mode : 0644;
            size_t tl = strlen(u->name) + 40;
            u->tmpname = malloc(tl);
            if (!u->tmpname) die("malloc");
            snprintf(u->tmpname, tl, ".%s.agentkernel-%u-%u", u->name, (unsigned) getpid(), id);
            u->fd = openat(u->dirfd, u->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create);
            if (u->fd < 0 && (errno == ENAMETOOLONG)) {
                /* Long names leave no room for the temporary name: write in place instead. */
                free(u->tmpname); u->tmpname = NULL;
                u->fd = open_regular(u->dirfd, u->name, O_WRONLY | O_CREAT | O_TRUNC, create);
            }
            if (u->fd < 0) u->err = errno;
            /* the umask must not narrow the kept mode */
            else if (existed && u->tmpname && fchmod(u->fd, create) < 0) u->err = errno;
        }
    }
    u->path = path;
    u->next = uploads;
    uploads = u;
}

static void file_write_data(uint32_t id, const unsigned char *data, size_t len) {
    struct upload *u = find_upload(id);
    if (!u) return;
    if (len > 0) {
        if (!u->err) {
            while (len > 0) {
                ssize_t n = write(u->fd, data, len);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) { u->err = errno; break; }
                data += n; len -= (size_t) n; u->written += (uint64_t) n;
            }
        }
        return;
    }
    /* end of upload */
    if (!u->err && u->fd >= 0 && fsync(u->fd) < 0 && errno != EINVAL) u->err = errno;
    if (u->fd >= 0) close(u->fd);
    if (!u->err && u->tmpname && renameat(u->dirfd, u->tmpname, u->dirfd, u->name) < 0) u->err = errno;
    if (u->err && u->tmpname && u->dirfd >= 0) unlinkat(u->dirfd, u->tmpname, 0);
    if (u->err) file_error(id, u->err, u->path);
    else send_ok(id, u->written);
    if (u->dirfd >= 0) close(u->dirfd);
    for (struct upload **pp = &uploads; *pp; pp = &(*pp)->next)
        if (*pp == u) { *pp = u->next; break; }
    free(u->tmpname); free(u->name); free(u->path); free(u);
}

static void file_delete(uint32_t id, const unsigned char *payload, size_t len) {
    char *path = payload_path(payload, len);
    if (!path) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad path"); return; }
    char *leaf = NULL;
    int dirfd = open_parent(path, 0, &leaf);
    struct stat st;
    if (dirfd < 0) file_error(id, errno, path);
    else if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) file_error(id, errno, path);
    else if (S_ISDIR(st.st_mode)) file_error(id, EISDIR, path);
    else if (unlinkat(dirfd, leaf, 0) < 0) file_error(id, errno, path);
    else send_ok(id, 0);
    if (dirfd >= 0) close(dirfd);
    free(leaf);
    free(path);
}

/* ---------- detached commands (the DSTART..DKILL requests in the header comment) ---------- */

static void keep_output(struct exec *e, const unsigned char *buf, size_t n, int is_err) {
    uint64_t *count = is_err ? &e->n_err : &e->n_out;
    uint64_t room = e->max_out > *count ? e->max_out - *count : 0;
    size_t take = (uint64_t) n < room ? n : (size_t) room;
    if (take < n) e->truncated = 1;
    if (!take) return;
    int s = is_err ? 1 : 0;
    if (e->kept_len[s] + take > e->kept_cap[s]) {
        size_t cap = e->kept_cap[s] ? e->kept_cap[s] : 4096;
        while (cap < e->kept_len[s] + take) cap *= 2;
        unsigned char *q = realloc(e->kept[s], cap);
        if (!q) { e->truncated = 1; return; } /* out of memory: drop, as beyond the cap */
        e->kept[s] = q;
        e->kept_cap[s] = cap;
    }
    memcpy(e->kept[s] + e->kept_len[s], buf, take);
    e->kept_len[s] += take;
    *count += take;
}

static struct exec *find_detached(const char *did) {
    for (struct exec *e = execs; e; e = e->next)
        if (e->detached && strcmp(e->did, did) == 0) return e;
    return NULL;
}

static void free_detached(struct exec *e) {
    e->detached = 0; /* an ordinary ended exec now: the main loop frees it once its pipes are closed */
    free_strv(e->argv); e->argv = NULL;
    free(e->kept[0]); free(e->kept[1]);
    e->kept[0] = e->kept[1] = NULL;
}

/* Room for one more record: fine below the limit, else the oldest ended record is dropped; 0 when all run. */
static int detached_room(void) {
    size_t n = 0;
    struct exec *oldest_ended = NULL;
    for (struct exec *e = execs; e; e = e->next) {
        if (!e->detached) continue;
        n++;
        if (e->exited && e->reported) oldest_ended = e; /* the list is newest first */
    }
    if (n < MAX_DETACHED) return 1;
    if (!oldest_ended) return 0;
    free_detached(oldest_ended);
    return 1;
}

static int valid_did(const char *did) {
    size_t n = strlen(did);
    if (n == 0 || n > MAX_DETACHED_ID) return 0;
    for (const char *c = did; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            return 0;
    return 1;
}

/* DSTART: string id, then exactly an EXEC payload (its stdin flag is ignored: a detached command has none). */
static void detached_start(uint32_t id, const unsigned char *payload, size_t len) {
    struct rd r = { payload, len, 0 };
    char *did = rdstr(&r);
    if (r.bad || !valid_did(did)) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad detached id"); free(did); return; }
    if (find_detached(did)) { send_error(id, EEXIST, STAGE_PROTOCOL, "detached id in use"); free(did); return; }
    if (!detached_room()) {
        char text[120];
        snprintf(text, sizeof text, "%d detached commands are running: kill some first", MAX_DETACHED);
        send_error(id, EAGAIN, STAGE_SPAWN, text);
        free(did);
        return;
    }
    /* The command, kept for DINFO: read once more from the EXEC payload (start_exec() frees its own copy). */
    struct rd a = r;
    if (r.left < 4) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad exec request"); free(did); return; }
    rd32(&a); rd64(&a); rd64(&a);
    uint32_t argc = rd32(&a);
    char **argv = NULL;
    if (!a.bad && argc > 0 && argc <= 65536) {
        argv = calloc(argc + 1, sizeof *argv);
        if (!argv) die("calloc");
        for (uint32_t i = 0; i < argc && !a.bad; i++) argv[i] = rdstr(&a);
    }
    if (!argv || a.bad) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad exec request"); free_strv(argv); free(did); return; }
    /* Without the stdin flag start_exec() closes the command's stdin at once. */
    unsigned char *copy = malloc(r.left);
    if (!copy) die("malloc");
    memcpy(copy, r.p, r.left);
    if (r.left >= 4) copy[3] &= (unsigned char) ~1u;
    start_exec(id, copy, r.left, NULL);
    free(copy);
    struct exec *e = last_started;
    if (!e) { free_strv(argv); free(did); return; } /* start_exec() answered ERROR */
    e->detached = 1;
    memcpy(e->did, did, strlen(did) + 1);
    e->argv = argv;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->started_wall_ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    free(did);
    send_ok(id, (uint64_t) e->pid);
}

static void append(unsigned char **buf, size_t *len, size_t *cap, const void *data, size_t n) {
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n) c *= 2;
        unsigned char *q = realloc(*buf, c);
        if (!q) die("realloc");
        *buf = q;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
}

static void append32(unsigned char **buf, size_t *len, size_t *cap, uint32_t v) {
    unsigned char b[4];
    put32(b, v);
    append(buf, len, cap, b, 4);
}

/*
 * DINFO payload: string id, u32 pid, u8 state (0 running, 1 exited, 2 killed by a signal), u8 flags (1 timed
 * out, 2 truncated, 4 killed by DKILL), u32 exit status or signal, u64 start (Unix ms), u32 argc, argc strings.
 * The state is the command's own process: running until it is reaped.
 */
static void send_dinfo(uint32_t id, struct exec *e) {
    unsigned char *b = NULL;
    size_t len = 0, cap = 0;
    append32(&b, &len, &cap, (uint32_t) strlen(e->did));
    append(&b, &len, &cap, e->did, strlen(e->did));
    append32(&b, &len, &cap, (uint32_t) e->pid);
    unsigned char st[2];
    int sig = e->exited && WIFSIGNALED(e->status);
    st[0] = !e->exited ? 0 : sig ? 2 : 1;
    st[1] = (e->timed_out ? 1 : 0) | (e->truncated ? 2 : 0) | (e->cancelled ? 4 : 0);
    append(&b, &len, &cap, st, 2);
    append32(&b, &len, &cap, !e->exited ? 0 : (uint32_t) (sig ? WTERMSIG(e->status) : WEXITSTATUS(e->status)));
    append32(&b, &len, &cap, (uint32_t) (e->started_wall_ms >> 32));
    append32(&b, &len, &cap, (uint32_t) e->started_wall_ms);
    uint32_t argc = 0;
    while (e->argv[argc]) argc++;
    append32(&b, &len, &cap, argc);
    for (uint32_t i = 0; i < argc; i++) {
        size_t al = strlen(e->argv[i]);
        /* A record never exceeds a frame: long arguments are cut (the client knows the command it started). */
        if (len + 4 + al > MAX_PAYLOAD - 64) al = 0;
        append32(&b, &len, &cap, (uint32_t) al);
        append(&b, &len, &cap, e->argv[i], al);
    }
    send_frame(R_DINFO, id, b, len);
    free(b);
}

static char *payload_did(uint32_t id, const unsigned char *p, size_t len, int empty_ok) {
    struct rd r = { p, len, 0 };
    char *did = rdstr(&r);
    if (r.bad || r.left != 0 || !(valid_did(did) || (empty_ok && did[0] == 0))) {
        send_error(id, EINVAL, STAGE_PROTOCOL, "bad detached id");
        free(did);
        return NULL;
    }
    return did;
}

static void detached_list(uint32_t id, const unsigned char *p, size_t len) {
    char *did = payload_did(id, p, len, 1);
    if (!did) return;
    uint64_t n = 0;
    for (struct exec *e = execs; e; e = e->next)
        if (e->detached && (did[0] == 0 || strcmp(e->did, did) == 0)) { send_dinfo(id, e); n++; }
    if (did[0] && n == 0) send_error(id, ENOENT, STAGE_PROTOCOL, "no such detached command");
    else send_ok(id, n);
    free(did);
}

static void detached_logs(uint32_t id, const unsigned char *p, size_t len) {
    if (len < 1 || p[0] > 1) { send_error(id, EINVAL, STAGE_PROTOCOL, "bad detached logs request"); return; }
    char *did = payload_did(id, p + 1, len - 1, 0);
    if (!did) return;
    struct exec *e = find_detached(did);
    free(did);
    if (!e) { send_error(id, ENOENT, STAGE_PROTOCOL, "no such detached command"); return; }
    int s = p[0];
    for (size_t off = 0; off < e->kept_len[s]; off += CHUNK) {
        size_t n = e->kept_len[s] - off < CHUNK ? e->kept_len[s] - off : CHUNK;
        send_frame(R_DLOG, id, e->kept[s] + off, n);
    }
    send_ok(id, e->kept_len[s]);
}

static void detached_kill(uint32_t id, const unsigned char *p, size_t len) {
    char *did = payload_did(id, p, len, 0);
    if (!did) return;
    struct exec *e = find_detached(did);
    free(did);
    if (!e) { send_error(id, ENOENT, STAGE_PROTOCOL, "no such detached command"); return; }
    if (!e->exited) {
        e->cancelled = 1;
        kill_tree(e);
        reap(); /* so that the answer to a DLIST right after shows it ended */
    }
    send_ok(id, 0);
}

/* ---------- ports (the PORT..PCLOSE requests in the header comment) ---------- */

struct port {
    uint32_t id;
    uint16_t number;
    int fd;                    /* -1 once ended (freed by the main loop) */
    int connecting;            /* non-blocking connect in progress */
    int64_t connect_deadline;
    unsigned char *outq;       /* client bytes not yet written to the socket */
    size_t outq_len, outq_cap;
    int wr_eof, wr_shut;       /* the client half-closed; we shut the socket's writing once the queue is empty */
    int wr_err;                /* writing to the socket failed (errno): reading goes on, the end reports it */
    uint64_t written, write_acked; /* client bytes written to the socket, and acknowledged (PACK) */
    int rd_eof;                /* the socket said end-of-file, reported as an empty PDATA */
    uint64_t sent, acked;      /* socket bytes sent to the client, and acknowledged by it */
    struct port *next;
};

static struct port *ports;

static struct port *find_port(uint32_t id) {
    for (struct port *p = ports; p; p = p->next)
        if (p->fd >= 0 && p->id == id) return p;
    return NULL;
}

static size_t open_ports(void) {
    size_t n = 0;
    for (struct port *p = ports; p; p = p->next)
        if (p->fd >= 0) n++;
    return n;
}

/* Ends a connection with ERROR naming the errno (err 0: DONE, a clean end); the main loop frees it. */
static void port_end(struct port *p, int err) {
    close(p->fd);
    p->fd = -1;
    free(p->outq);
    p->outq = NULL;
    p->outq_len = p->outq_cap = 0;
    if (!err) { send_ok(p->id, p->sent); return; }
    char text[120];
    snprintf(text, sizeof text, "127.0.0.1:%u: %s", (unsigned) p->number, strerror(err));
    send_error(p->id, err, STAGE_PORT, text);
}

/* Both ways finished: the socket said EOF and the client's half close reached it (or writing failed). */
static void port_maybe_done(struct port *p) {
    if (p->fd >= 0 && p->rd_eof && p->wr_shut) port_end(p, p->wr_err);
}

static void port_ack(struct port *p) {
    unsigned char b[8];
    put32(b, (uint32_t) (p->written >> 32));
    put32(b + 4, (uint32_t) p->written);
    send_frame(R_PACK, p->id, b, sizeof b);
    p->write_acked = p->written;
}

/* Writes what the client sent as far as the socket takes it; never waits. */
static void port_flush(struct port *p) {
    size_t done = 0;
    while (p->fd >= 0 && !p->connecting && done < p->outq_len) {
        ssize_t n = write(p->fd, p->outq + done, p->outq_len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) {
            /* The server stopped reading for good (closed: EPIPE, reset). What it sent before may still be unread:
               keep reading to its end, drop what the client sends (acknowledged, so it never waits for it), and
               end with this error once the reading is over. */
            p->wr_err = errno;
            done = p->outq_len;
            break;
        }
        done += (size_t) n;
    }
    if (p->fd < 0 || p->connecting) return;
    memmove(p->outq, p->outq + done, p->outq_len - done);
    p->outq_len -= done;
    p->written += done;
    if (p->written > p->write_acked && (p->outq_len == 0 || p->written - p->write_acked >= ACK_STEP)) port_ack(p);
    if (p->outq_len == 0 && (p->wr_eof || p->wr_err) && !p->wr_shut) {
        if (!p->wr_err) shutdown(p->fd, SHUT_WR);
        p->wr_shut = 1;
        port_maybe_done(p);
    }
}

/* Reads at most what the client's window has room for, so a client that does not ack holds at most PORT_WINDOW. */
static void port_read(struct port *p) {
    unsigned char buf[CHUNK];
    uint64_t room = PORT_WINDOW - (p->sent - p->acked);
    if (room == 0 || p->rd_eof) return;
    ssize_t n = read(p->fd, buf, room < sizeof buf ? (size_t) room : sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n < 0) { port_end(p, errno); return; }
    if (n == 0) {
        p->rd_eof = 1;
        send_frame(R_PDATA, p->id, NULL, 0);
        port_maybe_done(p);
        return;
    }
    send_frame(R_PDATA, p->id, buf, (size_t) n);
    p->sent += (uint64_t) n;
}

static void port_connected(struct port *p) {
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) err = errno;
    if (err) { port_end(p, err); return; }
    p->connecting = 0;
    send_frame(R_PORT, p->id, NULL, 0);
    port_flush(p); /* what the client sent meanwhile */
}

/* PORT payload: u16 port (in a u32). The connect never blocks the loop: it completes in poll(). */
static void port_open(uint32_t id, const unsigned char *payload, size_t len) {
    uint32_t number = len == 4 ? get32(payload) : 0;
    if (number == 0 || number > 65535 || find_port(id) || find_exec(id)) {
        send_error(id, EINVAL, STAGE_PROTOCOL, "bad port request");
        return;
    }
    if (open_ports() >= MAX_PORTS) {
        char text[120];
        snprintf(text, sizeof text, "%d port connections are open: close some first", MAX_PORTS);
        send_error(id, EAGAIN, STAGE_PORT, text);
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        char text[120];
        snprintf(text, sizeof text, "socket: %s", strerror(errno));
        send_error(id, errno, STAGE_PORT, text);
        return;
    }
    struct port *p = calloc(1, sizeof *p);
    if (!p) die("calloc");
    p->id = id;
    p->number = (uint16_t) number;
    p->fd = fd;
    p->next = ports;
    ports = p;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) number) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(p->fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
        send_frame(R_PORT, id, NULL, 0);
    } else if (errno == EINPROGRESS) {
        p->connecting = 1;
        p->connect_deadline = now_ms() + CONNECT_TIMEOUT_MS;
    } else {
        port_end(p, errno);
    }
}

static void port_data(uint32_t id, const unsigned char *data, size_t len) {
    struct port *p = find_port(id);
    if (!p || p->wr_eof) return; /* ended meanwhile (the client learns it from DONE/ERROR): drop */
    if (len == 0) { p->wr_eof = 1; port_flush(p); return; }
    if (p->wr_err) { /* writing failed: dropped, but acknowledged so the client is never stuck on its window */
        p->written += len;
        if (p->written - p->write_acked >= ACK_STEP) port_ack(p);
        return;
    }
    /* The client keeps at most PORT_WINDOW unacknowledged; twice that means it ignores the window. */
    if (p->outq_len + len > 2 * (size_t) PORT_WINDOW) {
        close(p->fd);
        p->fd = -1;
        send_error(id, EPROTO, STAGE_PROTOCOL, "port data beyond the window");
        return;
    }
    append(&p->outq, &p->outq_len, &p->outq_cap, data, len);
    port_flush(p);
}

/* PACK payload: u64 bytes of PDATA the client consumed so far (more than was sent, or less than before: ignored). */
static void port_acked(uint32_t id, const unsigned char *payload, size_t len) {
    struct port *p = find_port(id);
    if (!p || len != 8) return;
    uint64_t v = get64(payload);
    if (v >= p->acked && v <= p->sent) p->acked = v;
}

static void port_close(uint32_t id) {
    struct port *p = find_port(id);
    if (p) port_end(p, 0);
}

/* Frees the ended connections; called by the main loop between polls (never while pollfds point at them). */
static void port_sweep(int64_t now) {
    for (struct port **pp = &ports; *pp;) {
        struct port *p = *pp;
        if (p->fd >= 0 && p->connecting && now >= p->connect_deadline) port_end(p, ETIMEDOUT);
        if (p->fd < 0) {
            *pp = p->next;
            free(p->outq);
            free(p);
            continue;
        }
        pp = &p->next;
    }
}

static short port_events(const struct port *p) {
    if (p->connecting) return POLLOUT;
    short ev = 0;
    if (!p->rd_eof && p->sent - p->acked < PORT_WINDOW) ev |= POLLIN;
    if (p->outq_len > 0) ev |= POLLOUT;
    return ev;
}

static void port_ready(struct port *p, short revents) {
    if (p->fd < 0) return;
    if (p->connecting) { port_connected(p); return; }
    if (revents & (POLLOUT | POLLERR)) port_flush(p);
    if (p->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR))) port_read(p);
}

/* ---------- main loop ---------- */

static void handle_frame(uint8_t type, uint32_t id, const unsigned char *p, size_t len) {
    switch (type) {
    case Q_HELLO: {
        /* A new client: the port connections of an earlier one (its channel dropped; Docker keeps our stdin open
           across attaches) end without a word, so none outlives its client or sends to one that never opened it. */
        for (struct port *pt = ports; pt; pt = pt->next)
            if (pt->fd >= 0) { close(pt->fd); pt->fd = -1; }
        unsigned char r[16];
        put32(r, PROTOCOL_VERSION);
        put32(r + 4, (uint32_t) getpid());
        put32(r + 8, (uint32_t) getuid());
        put32(r + 12, (uint32_t) getgid());
        send_frame(R_HELLO, id, r, sizeof r);
        break;
    }
    case Q_EXEC: start_exec(id, p, len, NULL); break;
    case Q_PTY: start_pty(id, p, len); break;
    case Q_RESIZE: resize_pty(id, p, len); break;
    case Q_STDIN: queue_stdin(id, p, len); break;
    case Q_KILL: {
        struct exec *e = find_exec(id);
        if (e) { e->cancelled = 1; kill_tree(e); }
        break;
    }
    case Q_FREAD: file_read(id, p, len); break;
    case Q_FWRITE: file_write_begin(id, p, len); break;
    case Q_FDATA: file_write_data(id, p, len); break;
    case Q_FDELETE: file_delete(id, p, len); break;
    case Q_PING: send_frame(R_PONG, id, NULL, 0); break;
    case Q_ANSWERED: break;
    case Q_DSTART: detached_start(id, p, len); break;
    case Q_DLIST: detached_list(id, p, len); break;
    case Q_DLOGS: detached_logs(id, p, len); break;
    case Q_DKILL: detached_kill(id, p, len); break;
    case Q_PORT: port_open(id, p, len); break;
    case Q_PDATA: port_data(id, p, len); break;
    case Q_PACK: port_acked(id, p, len); break;
    case Q_PCLOSE: port_close(id); break;
    default: send_error(id, EINVAL, STAGE_PROTOCOL, "unknown request type"); break;
    }
}

/* As PID 1 our exit takes every process of the namespace with it (the kernel kills them); run locally, we kill. */
static void kill_all_and_exit(int code) {
    if (!is_init) {
        for (struct exec *e = execs; e; e = e->next) kill_tree(e);
        kill_strays(0);
    }
    exit(code);
}

/* Consumes complete frames from the input buffer. */
static void parse_input(void) {
    size_t off = 0;
    while (in_len - off >= HEADER) {
        uint32_t plen = get32(inbuf + off);
        if (plen > MAX_PAYLOAD) {
            fprintf(stderr, "agentkernel-agent: frame of %u bytes exceeds the limit\n", plen);
            kill_all_and_exit(2);
        }
        if (in_len - off < HEADER + plen) break;
        size_t next = off + HEADER + plen;
        if (ping_scan < next) ping_scan = next; /* service_input() must not answer this one again */
        /* The payload stays in place while it is handled: service_input() only appends to the buffer. */
        handle_frame(inbuf[off + 4], get32(inbuf + off + 5), inbuf + off + HEADER, plen);
        off = next;
    }
    memmove(inbuf, inbuf + off, in_len - off);
    in_len -= off;
    ping_scan = ping_scan > off ? ping_scan - off : 0;
}

/*
 * Called from long loops (a kill, fork retries): reads what the client sent without handling it and answers
 * only PINGs, marking them answered in place. Other frames wait for the main loop, in order.
 */
static void service_input(void) {
    if (in_len < in_cap) {
        ssize_t r = read(0, inbuf + in_len, in_cap - in_len);
        if (r > 0) in_len += (size_t) r; /* EOF and errors are for the main loop to see */
    }
    while (in_len - ping_scan >= HEADER) {
        uint32_t plen = get32(inbuf + ping_scan);
        if (plen > MAX_PAYLOAD || in_len - ping_scan < HEADER + plen) break;
        if (inbuf[ping_scan + 4] == Q_PING) {
            send_frame(R_PONG, get32(inbuf + ping_scan + 5), NULL, 0);
            inbuf[ping_scan + 4] = Q_ANSWERED;
        }
        ping_scan += HEADER + plen;
    }
}

static size_t stdin_backlog(void) {
    size_t total = 0;
    for (struct exec *e = execs; e; e = e->next) total += e->inq_len;
    for (struct port *p = ports; p; p = p->next) total += p->outq_len;
    return total;
}

int main(int argc, char **argv) {
    /* First of all, before any input is read or any fd is looked at: not dumpable (see the header comment). */
    prctl(PR_SET_DUMPABLE, 0);
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("agentkernel-agent protocol %d\n", PROTOCOL_VERSION);
        return 0;
    }
    is_init = getpid() == 1;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) die("signalfd");
    /* As PID 1 every orphan comes to us anyway; run locally, the subreaper flag brings our descendants' back. */
    if (!is_init) prctl(PR_SET_CHILD_SUBREAPER, 1);
    set_nonblock(0);
    prime(argv[0] && argv[0][0] == '/' ? argv[0] : "/proc/self/exe");
    in_cap = INPUT_BUFFER;
    inbuf = malloc(in_cap);
    if (!inbuf) die("malloc");

    for (;;) {
        size_t nexec = 0;
        for (struct exec *e = execs; e; e = e->next) nexec++;
        size_t nport = open_ports();
        struct pollfd *pfds = calloc(2 + 3 * nexec + nport, sizeof *pfds);
        struct exec **owner = calloc(2 + 3 * nexec + nport, sizeof *owner);
        struct port **port_owner = calloc(2 + 3 * nexec + nport, sizeof *port_owner);
        if (!pfds || !owner || !port_owner) die("calloc");
        size_t n = 0;
        int input_slot = -1;
        pfds[n++] = (struct pollfd) { .fd = sfd, .events = POLLIN };
        if (in_len < in_cap && stdin_backlog() < STDIN_QUEUE_LIMIT) {
            input_slot = (int) n;
            pfds[n++] = (struct pollfd) { .fd = 0, .events = POLLIN };
        }
        int64_t now = now_ms(), wait = -1;
        for (struct exec *e = execs; e; e = e->next) {
            if (e->out_fd >= 0) { owner[n] = e; pfds[n++] = (struct pollfd) { .fd = e->out_fd, .events = POLLIN }; }
            if (e->err_fd >= 0) { owner[n] = e; pfds[n++] = (struct pollfd) { .fd = e->err_fd, .events = POLLIN }; }
            if (e->in_fd >= 0 && e->inq_len > 0) { owner[n] = e; pfds[n++] = (struct pollfd) { .fd = e->in_fd, .events = POLLOUT }; }
            int64_t due = 0;
            if (e->deadline && !e->exited && !e->timed_out) due = e->deadline;
            if (!e->reported && e->grace_until) due = e->grace_until;
            if (due) {
                int64_t left = due - now;
                if (left < 0) left = 0;
                if (wait < 0 || left < wait) wait = left;
            }
        }
        for (struct port *p = ports; p; p = p->next) {
            short ev = p->fd >= 0 ? port_events(p) : 0;
            if (ev) { port_owner[n] = p; pfds[n++] = (struct pollfd) { .fd = p->fd, .events = ev }; }
            if (p->fd >= 0 && p->connecting) {
                int64_t left = p->connect_deadline - now;
                if (left < 0) left = 0;
                if (wait < 0 || left < wait) wait = left;
            }
        }
        int rc = poll(pfds, n, (int) (wait < 0 ? -1 : wait > 3600000 ? 3600000 : wait));
        if (rc < 0 && errno != EINTR) die("poll");
        if (rc > 0) {
            for (size_t i = 0; i < n; i++) {
                if (!pfds[i].revents) continue;
                if (pfds[i].fd == sfd) {
                    struct signalfd_siginfo si;
                    while (read(sfd, &si, sizeof si) == (ssize_t) sizeof si) {
                        /* As PID 1, only a signal from outside the namespace (docker stop: sender pid 0 here)
                           ends us; one sent by a command is dropped. */
                        if (si.ssi_signo != SIGCHLD && (!is_init || si.ssi_pid == 0)) kill_all_and_exit(0);
                    }
                    reap();
                } else if ((int) i == input_slot) {
                    ssize_t r = read(0, inbuf + in_len, in_cap - in_len);
                    if (r == 0) kill_all_and_exit(0); /* the backend closed our stdin: nobody can reach us */
                    if (r > 0) { in_len += (size_t) r; parse_input(); }
                } else if (port_owner[i]) {
                    port_ready(port_owner[i], pfds[i].revents);
                } else {
                    struct exec *e = owner[i];
                    if (pfds[i].fd == e->out_fd) pump_output(e, &e->out_fd, 0);
                    else if (pfds[i].fd == e->err_fd) pump_output(e, &e->err_fd, 1);
                    else if (pfds[i].fd == e->in_fd) {
                        if (pfds[i].revents & (POLLERR | POLLHUP)) stdin_gone(e);
                        else flush_stdin(e);
                    }
                }
            }
        }
        free(pfds);
        free(owner);
        free(port_owner);
        now = now_ms();
        port_sweep(now);
        for (struct exec **pp = &execs; *pp;) {
            struct exec *e = *pp;
            if (!e->reported && e->deadline && !e->exited && !e->timed_out && now >= e->deadline) {
                e->timed_out = 1;
                kill_tree(e);
            }
            if (!e->reported && e->in_fd >= 0) flush_stdin(e);
            /* Report once the command exited and its pipes closed. Pipes still held open by background
               processes are given a short grace, then reported and drained (discarded) until they close. */
            if (!e->reported && e->exited) {
                if (e->out_fd < 0 && e->err_fd < 0) report_exit(e);
                else if (!e->grace_until) e->grace_until = now + GRACE_MS;
                else if (now >= e->grace_until) report_exit(e);
            }
            if (e->reported && !e->detached && e->out_fd < 0 && e->err_fd < 0) {
                *pp = e->next;
                free(e);
                continue;
            }
            pp = &e->next;
        }
    }
}
