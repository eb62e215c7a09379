/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_test.c: the checks around the backup and the hooks it uses:
 * backup_dir_check() (absolute, no "." or "..", outside the base, empty);
 * queue_backup() copies the database and names its body files, and a body
 * file whose message is deleted while the backup runs stays until it ends;
 * store_backup() copies an account's database with its body files; and
 * backup_restore() on a hand-made backup: a round trip, and the refusals
 * (new base not empty, a changed file, an unlisted file, an incomplete
 * backup).
 */
#include "lib/compat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "queue/queue.h"
#include "store/store.h"
#include "backup/backup.h"
#include "imap/imap_mime.h"
#include "../queue/queue_testutil.h"

static char tmpl[] = "/tmp/tegami-backup-XXXXXX";
static char *root;

static void
rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
	free(cmd);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		fatal("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static bool
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static char *
P(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

/* ---- backup_dir_check ---- */

static void
test_dir_check(void)
{
	struct error err;
	char *base = P("base"), *p;

	mkdir(base, 0700);
	test_begin("backup_dir_check");
	p = P("new");
	test_assert(backup_dir_check(p, base, &err) == 0);
	free(p);
	test_assert(backup_dir_check("relative", base, &err) < 0);
	test_assert(strstr(err.msg, "absolute") != NULL);
	p = P("x/../new");
	test_assert(backup_dir_check(p, base, &err) < 0);
	test_assert(strstr(err.msg, "'..'") != NULL);
	free(p);
	p = P("./new");
	test_assert(backup_dir_check(p, base, &err) < 0);
	free(p);
	p = P("base/sub");
	test_assert(backup_dir_check(p, base, &err) < 0);
	test_assert(err.kind == ERR_PERM);
	free(p);
	test_assert(backup_dir_check(base, base, &err) < 0);
	test_assert(backup_dir_check(root, base, &err) < 0);	/* holds base */
	p = P("missing/new");
	test_assert(backup_dir_check(p, base, &err) < 0);
	test_assert(err.kind == ERR_NOTFOUND);
	free(p);
	p = P("empty");
	mkdir(p, 0700);
	test_assert(backup_dir_check(p, base, &err) == 0);
	free(p);
	p = P("empty/f");
	put(p, "x");
	free(p);
	p = P("empty");
	test_assert(backup_dir_check(p, base, &err) < 0);
	test_assert(err.kind == ERR_EXISTS);
	free(p);
	p = P("lnk");
	test_assert(symlink(base, p) == 0);
	free(p);
	p = P("lnk/sub");
	test_assert(backup_dir_check(p, base, &err) < 0);	/* via a link */
	test_assert(err.kind == ERR_PERM);
	free(p);
	p = P("lnk");
	test_assert(backup_dir_check(p, base, &err) < 0);	/* is a link */
	free(p);
	test_end();
	free(base);
}

/* ---- queue_backup ---- */

struct qctx {
	struct queue	*q;
	uint64_t	 victim;
	char		*bodies;	/* <base>/Queue/bodies */
	char		*victim_file;
	size_t		 names;
	bool		 kept;		/* victim's file there after delete */
};

static int
q_name(void *arg, const char *name, struct error *err_r)
{
	struct qctx *c = arg;
	struct queue_msg_info info;
	char *path;

	(void)err_r;
	c->names++;
	if (c->names > 1)
		return 0;
	/* Delete the victim now: its file must stay until the end. */
	test_assert(queue_reject_message(c->q, c->victim, "gone", NULL) == 0);
	/* The writer removes files after it answered; one more writer job
	 * (this one fails: not queued) runs after that removal step. */
	test_assert(queue_reject_message(c->q, c->victim, "again", NULL) < 0);
	test_assert(queue_message_info(c->q, c->victim, &info, NULL) < 0);
	path = xasprintf("%s/%s", c->bodies, c->victim_file);
	c->kept = exists(path);
	free(path);
	(void)name;
	return 0;
}

static void
test_queue_backup(void)
{
	char *base = P("qbase"), *copy = P("queue-copy.db"), *path;
	struct queue_rcpt rcpt = { "u@x", NULL, 0 };
	struct queue_msg msg;
	struct queue_msg_info info;
	struct qctx c;
	struct error err;
	char body[200];
	uint64_t ids[3];
	sqlite3 *db;
	sqlite3_stmt *st;
	int i, n = -1;

	memset(&c, 0, sizeof(c));
	mkdir(base, 0700);
	c.q = qt_open(base, 16, 1);	/* bodies over 16 bytes: files */
	c.bodies = xasprintf("%s/Queue/bodies", base);
	for (i = 0; i < 3; i++) {
		memset(&msg, 0, sizeof(msg));
		snprintf(body, sizeof(body), "Subject: %d\r\n\r\n%s\r\n", i,
		    "a body that is longer than sixteen bytes");
		msg.return_path = "s@y";
		msg.submit_tag = "TEST";
		msg.rcpts = &rcpt;
		msg.nrcpt = 1;
		msg.body = body;
		msg.body_len = strlen(body);
		if (queue_submit(c.q, &msg, &ids[i], &err) < 0)
			fatal("submit: %s", err.msg);
	}
	c.victim = ids[1];
	test_assert(queue_message_info(c.q, c.victim, &info, NULL) == 0);
	test_assert(info.body_file != NULL);
	c.victim_file = xstrdup(info.body_file != NULL ? info.body_file : "");
	queue_msg_info_clear(&info);

	test_begin("queue_backup: copy, names, and removal held back");
	test_assert(queue_backup(c.q, copy, q_name, &c, NULL, &err) == 0);
	test_assert(c.names == 3);
	test_assert(c.kept);
	path = xasprintf("%s/%s", c.bodies, c.victim_file);
	test_assert(!exists(path));	/* removed once the backup ended */
	free(path);
	test_assert(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE "
	    "body_file IS NOT NULL", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	test_assert(n == 3);		/* the copy is from before the delete */
	path = xasprintf("%s-wal", copy);
	test_assert(!exists(path));	/* the copy stands alone */
	free(path);
	test_assert(queue_backup(c.q, copy, NULL, NULL, NULL, &err) < 0);
	test_assert(err.kind == ERR_EXISTS);
	test_end();

	queue_close(&c.q);
	free(c.victim_file);
	free(c.bodies);
	free(copy);
	free(base);
}

/* ---- store_backup ---- */

static int
s_name(void *arg, const char *name, struct error *err_r)
{
	(void)err_r;
	(void)name;
	(*(size_t *)arg)++;
	return 0;
}

static int
s_fail(void *arg, const char *name, struct error *err_r)
{
	(void)arg;
	return error_set(err_r, ERR_IO, "cannot place %s", name);
}

static void
test_store_backup(void)
{
	char *adir = P("acct.macnt"), *copy = P("mail-copy.db"), *big;
	struct store_new_msg m;
	struct store *s;
	struct error err;
	size_t names = 0, len = STORE_INLINE_MAX + 100;
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	s = store_open(adir, &err);
	if (s == NULL)
		fatal("store_open: %s", err.msg);
	big = xmalloc(len);
	memset(big, 'b', len);
	memcpy(big, "Subject: big\r\n\r\n", 16);
	memset(&m, 0, sizeof(m));
	m.data = "Subject: small\r\n\r\nhi\r\n";
	m.len = strlen(m.data);
	test_assert(store_append(s, "INBOX", &m, 0, NULL, NULL, &err) == 0);
	m.data = big;
	m.len = len;
	test_assert(store_append(s, "INBOX", &m, 0, NULL, NULL, &err) == 0);

	test_begin("store_backup: the copy and its body files");
	test_assert(store_backup(s, copy, s_name, &names, NULL, &err) == 0);
	test_assert(names == 1);
	test_assert(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	test_assert(n == 2);
	unlink(copy);
	test_assert(store_backup(s, copy, s_fail, NULL, NULL, &err) < 0);
	test_assert(strstr(err.msg, "cannot place") != NULL);
	/* the handle works after a failed backup (its lock was released) */
	test_assert(store_append(s, "INBOX", &m, 0, NULL, NULL, &err) == 0);
	test_end();

	store_close(&s);
	free(big);
	free(copy);
	free(adir);
}

/* ---- backup_restore on a hand-made backup ---- */

static void
add_file(struct backup_manifest *m, const char *bk, const char *rel,
    const char *text)
{
	unsigned char sha[BACKUP_SHA_LEN];
	uint64_t size;
	char *path = xasprintf("%s/%s", bk, rel);

	put(path, text);
	test_assert(backup_sha256_file(path, sha, &size, NULL) == 0);
	test_assert(backup_manifest_add(m, rel, false, size, sha, NULL) == 0);
	free(path);
}

static void
add_dir(struct backup_manifest *m, const char *bk, const char *rel)
{
	char *path = xasprintf("%s/%s", bk, rel);

	mkdir(path, 0700);
	test_assert(backup_manifest_add(m, rel, true, 0, NULL, NULL) == 0);
	free(path);
}

static void
test_restore(void)
{
	struct backup_manifest m;
	struct backup_result r;
	struct buf text;
	struct error err;
	char *bk = P("bk"), *nb, *p;
	int fd;

	mkdir(bk, 0700);
	backup_manifest_init(&m);
	m.started = 1;
	m.base = xstrdup("/old");
	add_dir(&m, bk, "Settings");
	add_file(&m, bk, "Settings/Main.settings", "{DomainName=x.example;}\n");
	add_dir(&m, bk, "Accounts");
	add_dir(&m, bk, "Accounts/u.macnt");
	add_dir(&m, bk, "Accounts/u.macnt/bodies");
	add_file(&m, bk, "Accounts/u.macnt/account.settings", "{}\n");
	add_file(&m, bk, "Accounts/u.macnt/bodies/b1-x", "body bytes\r\n");
	add_dir(&m, bk, "Queue");
	buf_init(&text, 1 << 20);
	test_assert(backup_manifest_write(&m, &text, NULL) == 0);
	p = xasprintf("%s/" BACKUP_MANIFEST, bk);
	put(p, text.data);
	free(p);

	test_begin("restore: a round trip");
	nb = P("restored/deeper");
	test_assert(backup_restore(bk, nb, &r, &err) == 0);
	test_assert(r.files == 3);
	p = xasprintf("%s/Accounts/u.macnt/bodies/b1-x", nb);
	test_assert(exists(p));
	free(p);
	p = xasprintf("%s/Queue", nb);
	test_assert(exists(p));
	free(p);
	p = xasprintf("%s/" RESTORE_INCOMPLETE, nb);
	test_assert(!exists(p));
	free(p);
	test_end();

	test_begin("restore: refusals");
	/* the new base is not empty now */
	test_assert(backup_restore(bk, nb, &r, &err) < 0);
	test_assert(err.kind == ERR_EXISTS);
	free(nb);
	/* a changed file */
	p = xasprintf("%s/Accounts/u.macnt/bodies/b1-x", bk);
	put(p, "body bytez\r\n");
	nb = P("n1");
	test_assert(backup_restore(bk, nb, &r, &err) < 0);
	test_assert(strstr(err.msg, "SHA-256 does not match") != NULL);
	test_assert(!exists(nb));
	put(p, "body bytes\r\n");
	free(p);
	/* an unlisted file */
	p = xasprintf("%s/Accounts/u.macnt/extra", bk);
	put(p, "x");
	test_assert(backup_restore(bk, nb, &r, &err) < 0);
	test_assert(strstr(err.msg, "not in the manifest") != NULL);
	unlink(p);
	free(p);
	/* a missing file */
	p = xasprintf("%s/Settings/Main.settings", bk);
	test_assert(unlink(p) == 0);
	test_assert(backup_restore(bk, nb, &r, &err) < 0);
	put(p, "{DomainName=x.example;}\n");
	free(p);
	/* an incomplete backup */
	p = xasprintf("%s/" BACKUP_INCOMPLETE, bk);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	test_assert(backup_restore(bk, nb, &r, &err) < 0);
	test_assert(strstr(err.msg, "did not complete") != NULL);
	unlink(p);
	free(p);
	/* no manifest */
	p = xasprintf("%s/" BACKUP_MANIFEST, bk);
	unlink(p);
	test_assert(backup_restore(bk, nb, &r, &err) < 0);
	test_assert(!exists(nb));
	put(p, text.data);
	free(p);
	/* the new base inside the backup */
	p = xasprintf("%s/Settings/new", bk);
	test_assert(backup_restore(bk, p, &r, &err) < 0);
	test_assert(strstr(err.msg, "inside the backup") != NULL);
	test_assert(!exists(p));
	free(p);
	/* all put back: restores again */
	test_assert(backup_restore(bk, nb, &r, &err) == 0);
	free(nb);
	test_end();

	buf_free(&text);
	backup_manifest_clear(&m);
	free(bk);
}

int
main(void)
{
	store_set_render(&imap_store_render);
	if ((root = mkdtemp(tmpl)) == NULL)
		fatal("mkdtemp failed");
	test_dir_check();
	test_queue_backup();
	test_store_backup();
	test_restore();
	rm_rf(root);
	return test_done();
}
