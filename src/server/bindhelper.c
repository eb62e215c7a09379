/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bindhelper.c: the privileged bind helper (see bindhelper.h).
 *
 * The helper is a fork of tegamid made at start, while it is one thread
 * and root.  It then (1) closes every descriptor but its end of the
 * socketpair and 0-2, (2) drops every capability but CAP_NET_BIND_SERVICE
 * from its bounding set (best effort: under systemd the unit's bounding
 * set already holds only the start-up ones, and CAP_SETPCAP is not among
 * them), (3) switches to the server's user with PR_SET_KEEPCAPS, (4) sets
 * its permitted and effective sets to CAP_NET_BIND_SERVICE alone with the
 * capset system call (<linux/capability.h>, no library), and (5) asks for
 * SIGKILL when tegamid dies.  It never executes anything; no_new_privs is
 * set (inherited from main()).  So all it can do beyond the user's rights
 * is bind a port below 1024, and it does only that, for requests of one
 * fixed form.  tegamid's end is close-on-exec, so when tegamid exits or
 * crashes the helper reads end-of-file and exits.
 *
 * Protocol (SOCK_SEQPACKET, one message each way): the request is the text
 * "bind TCP 127.0.0.7:25" (bindhelper_parse_request); the reply is a
 * 4-byte int, 0 with the listening socket attached (SCM_RIGHTS) or an
 * errno.  After its set-up the helper sends one reply of the same form
 * (0 = ready, else the errno of the step that failed).
 */
#include "lib/compat.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/listener.h"
#include "server/privs.h"
#include "server/bindhelper.h"

#define HELPER_FD	3		/* the helper's end, after the move */
#define CAP_BITS_MAX	64		/* bounding-set bits tried */

static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
static int helper_fd = -1;		/* tegamid's end */
static pid_t helper_pid;

int
bindhelper_parse_request(const char *req, size_t len, char *addr,
    size_t size, unsigned *port_r)
{
	static const char pfx[] = "bind TCP ";
	const char *p, *colon = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	unsigned port = 0;
	size_t i, alen, plen;

	if (len > BINDHELPER_REQ_MAX || len <= sizeof(pfx) - 1 ||
	    memcmp(req, pfx, sizeof(pfx) - 1) != 0)
		return -1;
	p = req + sizeof(pfx) - 1;
	len -= sizeof(pfx) - 1;
	for (i = 0; i < len; i++)
		if (p[i] == ':')
			colon = p + i;
	if (colon == NULL)
		return -1;
	alen = (size_t)(colon - p);
	plen = len - alen - 1;
	/* the port: 1-1023, decimal, no leading zero */
	if (plen < 1 || plen > 4 || colon[1] == '0')
		return -1;
	for (i = 1; i <= plen; i++) {
		if (colon[i] < '0' || colon[i] > '9')
			return -1;
		port = port * 10 + (unsigned)(colon[i] - '0');
	}
	if (port < 1 || port > 1023)
		return -1;
	if (alen == 1 && p[0] == '*') {
		if (size < 2)
			return -1;
		addr[0] = '*';
		addr[1] = '\0';
	} else if (alen >= 4 && p[0] == '[' && p[alen - 1] == ']') {
		if (alen - 2 >= size || alen - 2 >= INET6_ADDRSTRLEN)
			return -1;
		for (i = 1; i < alen - 1; i++)
			if (!((p[i] >= '0' && p[i] <= '9') ||
			    (p[i] >= 'a' && p[i] <= 'f') ||
			    (p[i] >= 'A' && p[i] <= 'F') || p[i] == ':' ||
			    p[i] == '.'))
				return -1;
		memcpy(addr, p + 1, alen - 2);
		addr[alen - 2] = '\0';
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			return -1;
	} else {
		if (alen < 7 || alen >= size || alen > 15)
			return -1;
		for (i = 0; i < alen; i++)
			if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.'))
				return -1;
		memcpy(addr, p, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET, addr, &a4) != 1)
			return -1;
	}
	*port_r = port;
	return 0;
}

/* Sends e, with fd attached when fd >= 0.  -1 when tegamid is gone. */
static int
reply(int sock, int e, int fd)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} u;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	int32_t v = e;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = &v;
	iov.iov_len = sizeof(v);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* The set-up described above; 0 or an errno. */
static int
helper_setup(const struct privs *p, pid_t parent)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	uid_t ru, eu, su;
	int cap;

	(void)prctl(PR_SET_NAME, "tegamid-bind", 0, 0, 0);
	if (close_range(HELPER_FD + 1, ~0U, 0) < 0)
		return errno;
	for (cap = 0; cap < CAP_BITS_MAX; cap++)
		if (cap != CAP_NET_BIND_SERVICE)
			(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(1, &p->gid) < 0 ||
	    setresgid(p->gid, p->gid, p->gid) < 0 ||
	    setresuid(p->uid, p->uid, p->uid) < 0)
		return errno;
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].permitted = data[0].effective = 1U << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return errno;
	if (getresuid(&ru, &eu, &su) < 0 || ru != p->uid || eu != p->uid ||
	    su != p->uid || setresuid(-1, 0, -1) == 0)
		return EPERM;
	/* After the switch (a credential change clears it). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return errno;
	if (getppid() != parent)
		return ESRCH;
	return 0;
}

static void __attribute__((noreturn))
helper_main(int sock, const struct privs *p, pid_t parent)
{
	char req[BINDHELPER_REQ_MAX + 1], addr[INET6_ADDRSTRLEN];
	unsigned port;
	ssize_t n;
	int e, fd;

	if (sock != HELPER_FD) {
		if (dup2(sock, HELPER_FD) < 0)
			_exit(1);
		close(sock);
	}
	e = helper_setup(p, parent);
	if (reply(HELPER_FD, e, -1) < 0 || e != 0)
		_exit(1);
	for (;;) {
		n = recv(HELPER_FD, req, sizeof(req), MSG_TRUNC);
		if (n == 0)
			_exit(0);		/* tegamid's end closed */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(1);
		fd = -1;
		e = 0;
		if ((size_t)n > BINDHELPER_REQ_MAX ||
		    bindhelper_parse_request(req, (size_t)n, addr,
		    sizeof(addr), &port) < 0)
			e = EINVAL;
		else
			fd = listener_socket_open(addr, port, &e);
		if (reply(HELPER_FD, fd >= 0 ? 0 : e, fd) < 0)
			_exit(0);
		if (fd >= 0)
			close(fd);
	}
}

/* Reads one reply (fd_r gets the attached socket or -1); -1 when the
 * helper is gone or silent for BINDHELPER_REPLY_MS. */
static int
read_reply(int sock, int32_t *e_r, int *fd_r)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} u;
	struct pollfd pfd = { sock, POLLIN, 0 };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	ssize_t n;
	int r;

	*fd_r = -1;
	while ((r = poll(&pfd, 1, BINDHELPER_REPLY_MS)) < 0 && errno == EINTR)
		;
	if (r <= 0)
		return -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = e_r;
	iov.iov_len = sizeof(*e_r);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 &&
	    errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*e_r))
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd_r, CMSG_DATA(cm), sizeof(int));
	return 0;
}

int
bindhelper_start(const struct privs *p, struct error *err_r)
{
	pid_t parent = getpid(), pid;
	int sv[2], fd;
	int32_t e = 0;

	if (!p->drop)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return error_set(err_r, ERR_IO, "bind helper: socketpair: %s",
		    strerror(errno));
	if ((pid = fork()) < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		return error_set(err_r, ERR_IO, "bind helper: fork: %s",
		    strerror(e));
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1], p, parent);
	}
	close(sv[1]);
	helper_fd = sv[0];
	helper_pid = pid;
	if (read_reply(helper_fd, &e, &fd) < 0 || e != 0) {
		if (fd >= 0)
			close(fd);
		bindhelper_stop();
		return error_set(err_r, ERR_PERM, "bind helper: cannot run as "
		    "%s with CAP_NET_BIND_SERVICE: %s", p->name,
		    e != 0 ? strerror(e) : "it did not answer");
	}
	return 0;
}

pid_t
bindhelper_pid(void)
{
	pid_t pid;

	pthread_mutex_lock(&helper_lock);
	pid = helper_fd >= 0 ? helper_pid : 0;
	pthread_mutex_unlock(&helper_lock);
	return pid;
}

int
bindhelper_bind(const char *addr, unsigned port, struct error *err_r)
{
	char req[BINDHELPER_REQ_MAX + 1];
	bool v6 = addr != NULL && strchr(addr, ':') != NULL &&
	    addr[0] != '[';
	int32_t e = 0;
	int n, fd = -1;

	if (addr == NULL || addr[0] == '\0')
		addr = "*";
	n = snprintf(req, sizeof(req), "bind TCP %s%s%s:%u", v6 ? "[" : "",
	    addr, v6 ? "]" : "", port);
	if (n < 0 || (size_t)n > BINDHELPER_REQ_MAX)
		return error_set(err_r, ERR_SYNTAX, "address too long");
	pthread_mutex_lock(&helper_lock);
	if (helper_fd < 0) {
		pthread_mutex_unlock(&helper_lock);
		return error_set(err_r, ERR_PERM, "port %u needs root and the "
		    "bind helper is not running (tegamid was not started as "
		    "root)", port);
	}
	if (send(helper_fd, req, (size_t)n, MSG_NOSIGNAL) != n ||
	    read_reply(helper_fd, &e, &fd) < 0) {
		/* Gone, or a late reply could answer the next request:
		 * no helper from now on. */
		close(helper_fd);
		helper_fd = -1;
		pthread_mutex_unlock(&helper_lock);
		return error_set(err_r, ERR_INTERNAL, "the bind helper did not "
		    "answer; restart tegamid to bind port %u", port);
	}
	pthread_mutex_unlock(&helper_lock);
	if (e == 0 && fd >= 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return error_set(err_r, e == EINVAL ? ERR_SYNTAX : ERR_IO,
	    "bind helper: %s", strerror(e != 0 ? e : EPROTO));
}

void
bindhelper_stop(void)
{
	pthread_mutex_lock(&helper_lock);
	if (helper_fd >= 0)
		close(helper_fd);
	helper_fd = -1;
	pthread_mutex_unlock(&helper_lock);
}
