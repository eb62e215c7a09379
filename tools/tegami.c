/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tegami: the admin command.  Sends one CLI command to the running tegamid
 * over its control socket (<base>/ControlSocket, owner-only, trusted as
 * postmaster), prints the result and exits 0 on success, non-zero with the
 * server's error text otherwise.
 *
 *   tegami [--base DIR] COMMAND [ARG...]
 *
 * Each argument that already is one complete data-format object (atom,
 * quoted string, number, array, dictionary) is sent as it is; any other
 * argument is sent as a quoted string, newlines written as \e, so
 *   tegami SetRouterTable '<postmaster> = abc'
 *   tegami CreateAccount user1@client1.com '{Password="x";}'
 * both work.  --base defaults to $TEGAMI_BASE, then /var/Tegami.
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "core/server.h"
#include "cli/cli_commands.h"

#define TEGAMI_DEFAULT_BASE	"/var/Tegami"
#define REPLY_MAX		(64 * 1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f, "usage: tegami [--base DIR] COMMAND [ARG...]\n"
	    "       tegami --help | --version\n\n"
	    "Sends one CLI command to the running tegamid over the control socket\n"
	    "of the base directory (--base, else $TEGAMI_BASE, else %s).\n\n"
	    "Commands:\n", TEGAMI_DEFAULT_BASE);
	cli_commands_print(f);
}

/* Appends arg as sent on the wire: as is when it is one whole object.  A
 * multi-line dictionary or array (pasted from a Get command's pretty output)
 * is rewritten on one line, since the command is one line; any other text
 * with line breaks is a multi-line string (Router Table, address lists). */
static void
put_arg(struct buf *line, const char *arg)
{
	struct dval *v;
	size_t n = strlen(arg), i;
	bool multi = strpbrk(arg, "\r\n") != NULL;

	v = n > 0 ? dict_parse(arg, n, 0, NULL) : NULL;
	if (v != NULL && (!multi || dict_type(v) == DICT_DICT ||
	    dict_type(v) == DICT_ARRAY)) {
		if (multi)
			dict_write(line, v, 0);
		else
			buf_puts(line, arg);
		dict_free(&v);
		return;
	}
	dict_free(&v);
	buf_putc(line, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)arg[i];

		if (c == '"' || c == '\\') {
			buf_putc(line, '\\');
			buf_putc(line, (char)c);
		} else if (c == '\n')
			buf_puts(line, "\\e");
		else if (c == '\r')
			continue;
		else if (c == '\t')
			buf_puts(line, "\\t");
		else if (c < 0x20)
			buf_printf(line, "\\%03u", c);
		else
			buf_putc(line, (char)c);
	}
	buf_putc(line, '"');
}

/* Reads one CRLF/LF-terminated line into out; -1 on EOF before any byte. */
static int
read_line(int fd, struct buf *out)
{
	char c;
	ssize_t r;

	buf_reset(out);
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return out->len > 0 ? 0 : -1;
		if (c == '\n')
			break;
		buf_putc(out, c);
		if (out->err != 0)
			return -1;
	}
	if (out->len > 0 && out->data[out->len - 1] == '\r')
		out->data[--out->len] = '\0';
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Prints a data result: dictionaries pretty, everything else as sent. */
static void
print_data(const char *text)
{
	struct dval *v = dict_parse(text, strlen(text), 0, NULL);
	struct buf out;

	if (v == NULL || dict_type(v) == DICT_STRING) {
		if (v != NULL)
			printf("%s\n", dict_str(v, NULL));
		else
			printf("%s\n", text);
		dict_free(&v);
		return;
	}
	buf_init(&out, REPLY_MAX);
	dict_write(&out, v, dict_type(v) == DICT_DICT ? DICT_WRITE_PRETTY : 0);
	printf("%s\n", buf_cstr(&out));
	buf_free(&out);
	dict_free(&v);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("TEGAMI_BASE");
	struct sockaddr_un sun;
	struct buf line, reply;
	int fd, i = 1, rc;

	if (base == NULL || *base == '\0')
		base = TEGAMI_DEFAULT_BASE;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("tegami (Tegami) %s\n", TEGAMI_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
			base = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ControlSocket",
	    base) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "tegami: base directory path too long\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "tegami: cannot connect to %s: %s (is tegamid running "
		    "on this base directory?)\n", sun.sun_path, strerror(errno));
		return 3;
	}

	buf_init(&line, REPLY_MAX);
	buf_init(&reply, REPLY_MAX);
	if (read_line(fd, &reply) < 0 || reply.data[0] != '2') {
		fprintf(stderr, "tegami: bad greeting: %s\n", buf_cstr(&reply));
		return 3;
	}
	buf_puts(&line, "INLINE\r\n");
	buf_puts(&line, argv[i]);
	for (i++; i < argc; i++) {
		buf_putc(&line, ' ');
		put_arg(&line, argv[i]);
	}
	buf_puts(&line, "\r\nQUIT\r\n");
	if (line.err != 0 || write_all(fd, line.data, line.len) < 0) {
		fprintf(stderr, "tegami: cannot send the command\n");
		return 3;
	}
	if (read_line(fd, &reply) < 0) {		/* answer to INLINE */
		fprintf(stderr, "tegami: connection closed\n");
		return 3;
	}
	if (read_line(fd, &reply) < 0) {
		fprintf(stderr, "tegami: connection closed\n");
		return 3;
	}
	if (strncmp(reply.data, "201 ", 4) == 0) {
		print_data(reply.data + 4);
		rc = 0;
	} else if (reply.data[0] == '2') {
		rc = 0;
	} else {
		fprintf(stderr, "tegami: %s\n", reply.len > 4 ? reply.data + 4 :
		    buf_cstr(&reply));
		rc = 1;
	}
	close(fd);
	buf_free(&line);
	buf_free(&reply);
	return rc;
}
