/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tegamid: the Tegami server.  Parses the command line, opens (creating on
 * first start) the base directory, takes its lock, starts the log, loads the
 * objects and the Router Table, makes sure postmaster exists
 * (docs/behaviour.md, B3), binds the
 * listeners, switches for good to the server's user when started as root
 * (server/privs.h; a small helper keeps only CAP_NET_BIND_SERVICE for
 * Listener changes while running, server/bindhelper.h), starts the queue, the control socket and the services,
 * then waits for signals: SIGTERM/SIGINT shut down cleanly (ProcessID
 * removed), SIGHUP re-reads the settings.  Runs in the foreground (systemd
 * style, Type=notify: server/sdnotify.h).  Old SystemLogs/ files go at start,
 * after SIGHUP and once a day (LogsKeepDays in Main.settings).
 */
#include "lib/compat.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "net/listener.h"
#include "net/tls.h"
#include "objects/objects.h"
#include "router/router.h"
#include "backup/backup.h"
#include "dnr/dnr.h"
#include "server/basedir.h"
#include "server/bindhelper.h"
#include "server/mailflow.h"
#include "server/modsettings.h"
#include "server/privs.h"
#include "server/sdnotify.h"
#include "core/server.h"
#include "server/services.h"
#include "cli/cli.h"
#include "http/http.h"

#define TEGAMI_DEFAULT_BASE	"/var/Tegami"
#define LISTEN_MAX		64
#define PRUNE_CHECK_SECONDS	600	/* how often the date is looked at */

static struct log_module log_router = LOG_MODULE("ROUTER");

static void
usage(FILE *f)
{
	const struct service_def *t;
	size_t i, n;

	fprintf(f,
	    "usage: tegamid [--base DIR] [--domain NAME] [--user NAME] "
	    "[--listen SERVICE=ADDR:PORT]... [--web-root DIR] [--check]\n"
	    "       tegamid --restore BACKUP --base NEW\n"
	    "       tegamid --version | --help\n"
	    "  --base DIR     base directory (default %s)\n"
	    "  --domain NAME  main domain name on first start (default: host name)\n"
	    "  --user NAME    started as root: the user to switch to after binding\n"
	    "                 the ports (default %s; --user root stays root)\n"
	    "  --listen S=A:P listen for service S on address A, port P; may repeat;\n"
	    "                 when given, only the listed services listen and the\n"
	    "                 modules' Listener settings apply only when changed\n"
	    "                 while running.  IPv6: --listen imap=[::1]:143\n"
	    "  --web-root DIR the web interfaces' static files (default: ../web\n"
	    "                 or ../share/tegami/web beside the program)\n"
	    "  --check        load and validate the settings, then exit\n"
	    "  --restore DIR  check the backup DIR (made by the CLI Backup\n"
	    "                 command), copy it to the new base directory given\n"
	    "                 with --base (missing or empty), then exit\n"
	    "  --version      print the version and exit\n"
	    "services (default port, TLS from the first byte, module):\n",
	    TEGAMI_DEFAULT_BASE, PRIVS_DEFAULT_USER);
	t = services_table(&n);
	for (i = 0; i < n; i++)
		fprintf(f, "  %-10s %5u %-3s %s%s\n", t[i].l.name, t[i].l.port,
		    t[i].l.tls ? "TLS" : "", t[i].l.log_tag,
		    t[i].reg == NULL ? " (not implemented yet)" : "");
}

/* "imap=127.0.0.1:1143", "imap=[::1]:1143", "imap=:1143" (all addresses). */
static int
parse_listen(const char *s, struct listen_opt *l)
{
	const char *eq = strchr(s, '='), *colon, *a;
	char *end;
	unsigned long port;
	size_t alen;

	if (eq == NULL || eq == s)
		return -1;
	a = eq + 1;
	if (*a == '[') {
		const char *rb = strchr(a, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		colon = rb + 1;
		a++;
		alen = (size_t)(rb - a);
	} else {
		colon = strrchr(a, ':');
		if (colon == NULL)
			return -1;
		alen = (size_t)(colon - a);
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || colon[1] == '\0' || port > 65535)
		return -1;
	l->service = xstrndup(s, (size_t)(eq - s));
	l->addr = xstrndup(a, alen);
	l->port = (unsigned)port;
	return 0;
}

static volatile sig_atomic_t shutdown_asked;

static void
request_shutdown(void)
{
	shutdown_asked = 1;
	kill(getpid(), SIGTERM);
}

/* One descriptor per connection (two with the store's files): take the
 * whole hard limit, as a server with thousands of IDLE sessions needs. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The server certificate: CertificateFile and PrivateKeyFile of
 * Settings/Main.settings (PEM; relative names are in Settings/) when set,
 * else the self-signed one generated on first start. */
static void
tls_files(struct server *srv, const char *maindom, char **cert_r,
    char **key_r)
{
	struct settings_snap *snap = objects_settings_get(srv->objects,
	    "Main", &server_settings_table);
	const struct server_conf *conf = settings_snap_conf(snap);
	const char *c = conf->cert_file, *k = conf->key_file;
	struct error err;
	char *dir = xasprintf("%s/Settings", srv->base);

	*cert_r = *key_r = NULL;
	if (c != NULL && k != NULL && *c != '\0' && *k != '\0') {
		*cert_r = c[0] == '/' ? xstrdup(c) : xasprintf("%s/%s", dir, c);
		*key_r = k[0] == '/' ? xstrdup(k) : xasprintf("%s/%s", dir, k);
		log_mod(&log_system, LOG_MAJOR, "TLS certificate %s", *cert_r);
	} else if (tls_ensure_self_signed(dir, maindom, cert_r, key_r,
	    &err) < 0)
		log_mod(&log_system, LOG_FAILURE, "TLS certificate: %s", err.msg);
	free(dir);
	settings_snap_unref(&snap);
}

static void
load_router_table(struct server *srv)
{
	struct error err;
	char *t = objects_router_table_get(srv->objects);

	if (router_set_table(srv->router, t, &err) < 0)
		log_mod(&log_router, LOG_FAILURE, "Router Table not loaded: %s",
		    err.msg);
	free(t);
}

/* --restore DIR --base NEW: no server, no log files; exits. */
static int
restore_main(const char *dir, const char *new_base)
{
	struct backup_result r;
	struct error err;

	if (new_base == NULL) {
		fprintf(stderr, "tegamid: --restore needs --base NEW (the new "
		    "base directory)\n");
		return 2;
	}
	if (backup_restore(dir, new_base, &r, &err) < 0) {
		fprintf(stderr, "tegamid: restore of %s refused or failed: "
		    "%s\n", dir, err.msg);
		return 1;
	}
	printf("restored %llu files (%llu bytes) from %s to %s; start the "
	    "server with: tegamid --base %s\n", (unsigned long long)r.files,
	    (unsigned long long)r.bytes, dir, new_base, new_base);
	return 0;
}

/* LogsKeepDays of Main.settings (0 = keep all), from the checked snapshot
 * (server/modsettings.c): a bad value there was logged and is 0. */
static unsigned
logs_keep_days(struct server *srv)
{
	struct settings_snap *snap = objects_settings_get(srv->objects,
	    "Main", &server_settings_table);
	unsigned n = (unsigned)((const struct server_conf *)
	    settings_snap_conf(snap))->logs_keep_days;

	settings_snap_unref(&snap);
	return n;
}

/* Removes the SystemLogs/ files older than LogsKeepDays. */
static void
prune_logs(struct server *srv, const char *dir)
{
	unsigned keep = logs_keep_days(srv);
	struct error err;
	int n;

	if (keep == 0)
		return;
	n = log_prune(dir, keep, time(NULL), &err);
	if (n < 0)
		log_mod(&log_system, LOG_PROBLEM, "log retention: %s", err.msg);
	else if (n > 0)
		log_mod(&log_system, LOG_MAJOR, "log retention: %d log files "
		    "older than %u days removed", n, keep);
}

/* Local date as YYYYMMDD. */
static int
today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int
main(int argc, char **argv)
{
	const char *base_arg = getenv("TEGAMI_BASE"), *domain = NULL;
	const char *fault = getenv("TEGAMI_FAULT"), *user = NULL;
	struct listen_opt listens[LISTEN_MAX];
	size_t nlisten = 0, i;
	bool check = false, base_given = false;
	const char *restore = NULL;
	struct server srv;
	struct error err;
	char base[PATH_MAX], pw[OBJECTS_PASSWORD_GEN + 1], path[PATH_MAX + 64];
	char maindom[DOMAIN_NAME_MAX + 1], *cert = NULL, *key = NULL;
	char logdir[PATH_MAX + 16];
	struct timespec wait = { PRUNE_CHECK_SECONDS, 0 };
	struct privs privs;
	sigset_t sigs;
	int lock_fd, sig, a, pruned_day;

	/* Before any thread exists, so that every thread has it: nothing
	 * this process executes can gain privileges (setuid binaries, file
	 * capabilities).  It does not stop the switch to the user below. */
	if (privs_no_new_privs() < 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));

	if (base_arg == NULL || *base_arg == '\0')
		base_arg = TEGAMI_DEFAULT_BASE;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[a], "--version") == 0) {
			printf("tegamid (Tegami) %s\n", TEGAMI_VERSION);
			return 0;
		} else if (strcmp(argv[a], "--user") == 0 && a + 1 < argc)
			user = argv[++a];
		else if (strcmp(argv[a], "--base") == 0 && a + 1 < argc) {
			base_arg = argv[++a];
			base_given = true;
		} else if (strcmp(argv[a], "--restore") == 0 && a + 1 < argc)
			restore = argv[++a];
		else if (strcmp(argv[a], "--domain") == 0 && a + 1 < argc)
			domain = argv[++a];
		else if (strcmp(argv[a], "--listen") == 0 && a + 1 < argc) {
			if (nlisten >= LISTEN_MAX)
				fatal("too many --listen options");
			if (parse_listen(argv[++a], &listens[nlisten]) < 0)
				fatal("bad --listen '%s': use SERVICE=ADDR:PORT",
				    argv[a]);
			if (!services_known(listens[nlisten].service))
				fatal("--listen: unknown service '%s'",
				    listens[nlisten].service);
			nlisten++;
		} else if (strcmp(argv[a], "--web-root") == 0 && a + 1 < argc)
			http_set_web_root(argv[++a]);
		else if (strcmp(argv[a], "--check") == 0)
			check = true;
		else {
			usage(stderr);
			return 2;
		}
	}

	if (restore != NULL)
		return restore_main(restore, base_given ? base_arg : NULL);

	/* As root: the user must exist (or be root on purpose); the base
	 * directory becomes its own; from here the files made at start are
	 * its own too (effective ids only, until the ports are bound). */
	if (privs_init(user, &privs, &err) < 0 ||
	    privs_own_base(&privs, base_arg, &err) < 0)
		fatal("%s", err.msg);
	/* While this is one thread and root: the helper that binds ports
	 * below 1024 for Listener changes after the switch to the user. */
	if (!check && bindhelper_start(&privs, &err) < 0)
		fatal("%s", err.msg);
	if (privs_become_effective(&privs, &err) < 0)
		fatal("%s", err.msg);
	if (basedir_create(base_arg, &err) < 0)
		fatal("%s", err.msg);
	if (realpath(base_arg, base) == NULL)
		fatal("cannot resolve %s: %s", base_arg, strerror(errno));
	lock_fd = basedir_lock(base, &err);
	if (lock_fd < 0)
		fatal("%s", err.msg);

	/* Signals are taken by sigwait() in this thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	services_register_logs();
	log_register(&log_router);
	snprintf(logdir, sizeof(logdir), "%s/SystemLogs", base);
	if (log_open(logdir, true, &err) < 0)
		fatal("%s", err.msg);
	if (privs.root && !privs.drop)
		log_mod(&log_system, LOG_PROBLEM, "running as root (--user %s): "
		    "every protocol session runs with full privileges; start "
		    "with --user NAME of an unprivileged user instead",
		    privs.name);
	/* Tests only (lib/fault.h): before any database is opened. */
	if (fault != NULL && *fault != '\0') {
		if (fault_sqlite_register(&err) < 0 ||
		    fault_from_env(fault, &err) < 0) {
			log_mod(&log_system, LOG_FAILURE, "TEGAMI_FAULT=%s: %s",
			    fault, err.msg);
			log_close();
			basedir_unlock(base, lock_fd);
			fatal("TEGAMI_FAULT=%s: %s", fault, err.msg);
		}
		log_mod(&log_system, LOG_MAJOR, "fault injection armed: %s "
		    "(testing only)", fault);
	}

	memset(&srv, 0, sizeof(srv));
	srv.base = base;
	srv.version = "Tegami " TEGAMI_VERSION;
	srv.request_shutdown = request_shutdown;
	srv.objects = objects_open(base, domain, &err);
	if (srv.objects == NULL) {
		log_mod(&log_system, LOG_FAILURE, "cannot open the base "
		    "directory %s: %s", base, err.msg);
		log_close();
		basedir_unlock(base, lock_fd);
		fatal("%s", err.msg);
	}
	cli_apply_log_levels(&srv);
	modsettings_register(&srv);
	objects_main_domain(srv.objects, maindom, sizeof(maindom));
	srv.router = router_new(&objects_router_ops, srv.objects);
	load_router_table(&srv);

	if (check) {
		log_mod(&log_system, LOG_MAJOR, "settings of %s are valid", base);
		/* Leave with one set of ids, like a running server (no half
		 * root process at exit, which also upsets LeakSanitizer). */
		if (privs_drop(&privs, &err) < 0)
			log_mod(&log_system, LOG_FAILURE, "%s", err.msg);
		router_free(&srv.router);
		objects_close(&srv.objects);
		log_close();
		basedir_unlock(base, lock_fd);
		return 0;
	}

	/* docs/behaviour.md, B3: postmaster is back at every start. */
	switch (objects_ensure_postmaster(srv.objects, pw, sizeof(pw), &err)) {
	case 1:
		objects_initial_password_path(srv.objects, path, sizeof(path));
		log_mod(&log_system, LOG_MAJOR, "account postmaster@%s created "
		    "with a generated password; it is in %s", maindom, path);
		explicit_bzero(pw, sizeof(pw));
		break;
	case 0:
		break;
	default:
		log_mod(&log_system, LOG_FAILURE, "cannot create postmaster: %s",
		    err.msg);
		break;
	}

	tls_files(&srv, maindom, &cert, &key);

	/* Ports below 1024 need root: bind them, then leave root for good,
	 * before any connection, queue or control thread exists. */
	if (privs_regain(&privs, &err) < 0 ||
	    services_bind(&srv, cert, key, listens, nlisten, &err) < 0 ||
	    privs_drop(&privs, &err) < 0) {
		log_mod(&log_system, LOG_FAILURE, "%s", err.msg);
		log_close();
		basedir_unlock(base, lock_fd);
		fatal("%s", err.msg);
	}
	free(cert);
	free(key);
	if (privs.drop)
		log_mod(&log_system, LOG_MAJOR, "running as user %s (uid %lu, "
		    "gid %lu)", privs.name, (unsigned long)privs.uid,
		    (unsigned long)privs.gid);
	if (bindhelper_pid() > 0) {
		listener_set_binder(bindhelper_bind);
		log_mod(&log_system, LOG_LOW, "bind helper (process %ld) runs "
		    "as %s with CAP_NET_BIND_SERVICE only", (long)
		    bindhelper_pid(), privs.name);
	}

	/* The resolver before anything that resolves (docs/dnr.md). */
	if (dnr_start(&srv, &err) < 0) {
		log_mod(&log_system, LOG_FAILURE, "%s", err.msg);
		log_close();
		basedir_unlock(base, lock_fd);
		fatal("%s", err.msg);
	}
	if (mailflow_start(&srv, &err) < 0) {
		log_mod(&log_system, LOG_FAILURE, "%s", err.msg);
		log_close();
		basedir_unlock(base, lock_fd);
		fatal("%s", err.msg);
	}
	/* The control socket before the services: once a client can
	 * connect to a service, the admin command works too. */
	if (cli_control_start(&srv, &err) < 0)
		log_mod(&log_system, LOG_FAILURE, "control socket: %s", err.msg);
	if (services_accept(&err) < 0) {
		log_mod(&log_system, LOG_FAILURE, "%s", err.msg);
		log_close();
		basedir_unlock(base, lock_fd);
		fatal("%s", err.msg);
	}

	log_mod(&log_system, LOG_MAJOR, "%s started on %s; main domain %s",
	    srv.version, base, maindom);
	(void)sdnotify("READY=1\nSTATUS=accepting connections");
	prune_logs(&srv, logdir);
	pruned_day = today();

	while (!shutdown_asked) {
		sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig < 0) {
			/* timeout (or EINTR): a new day prunes the logs */
			if (today() != pruned_day) {
				pruned_day = today();
				prune_logs(&srv, logdir);
			}
			continue;
		}
		if (sig == SIGHUP) {
			(void)sdnotify("RELOADING=1");
			log_mod(&log_system, LOG_MAJOR, "SIGHUP: re-reading settings");
			if (objects_reload(srv.objects, &err) < 0)
				log_mod(&log_system, LOG_FAILURE, "reload failed: %s",
				    err.msg);
			load_router_table(&srv);
			cli_apply_log_levels(&srv);
			services_reload_limits(&srv);
			services_reload_listeners(&srv);
			prune_logs(&srv, logdir);
			(void)sdnotify("READY=1");
		} else
			break;
	}

	(void)sdnotify("STOPPING=1");
	log_mod(&log_system, LOG_MAJOR, "shutting down");
	/* First: a session or delivery waiting for a DNS answer gets a
	 * temporary failure now instead of holding the shutdown for the
	 * DNR's time-outs; later lookups fail at once (docs/dnr.md). */
	dnr_stop();
	cli_control_stop();
	services_stop();
	listener_set_binder(NULL);
	bindhelper_stop();
	mailflow_stop(&srv);
	router_free(&srv.router);
	objects_close(&srv.objects);
	log_mod(&log_system, LOG_MAJOR, "%s stopped", "Tegami " TEGAMI_VERSION);
	log_close();
	for (i = 0; i < nlisten; i++) {
		free(listens[i].service);
		free(listens[i].addr);
	}
	basedir_unlock(base, lock_fd);
	return 0;
}
