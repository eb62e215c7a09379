/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_hdrcache_test.c: the header field cache of the account store.
 * Rows written at APPEND when a parser is registered, none without; the
 * lazy fill of a store made before the cache (schema 1: no table), in
 * batches, including bodies kept in files; a crash in the middle of a
 * fill (a child process dies while parsing the second batch) loses at
 * most that batch and the next fill goes on; rows follow EXPUNGE, RENAME
 * INBOX, mailbox deletion and COPY; a row marked unusable is kept.
 */
#include "lib/compat.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_mime.h"

static char tmpl[] = "/tmp/tegami-hdrcache-XXXXXX";
static char *dir;

static unsigned parse_calls;
static unsigned crash_at;		/* _exit() at this call (child only) */

/*
 * A small parser: the Subject value as subject and as the subject text,
 * "Date:" present means has_date with date = its length; subject
 * "unusable" gives ok = false.
 */
static void
test_parser(const char *h, size_t len, struct store_hdrfields *f)
{
	const char *p, *e;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (++parse_calls == crash_at)
		_exit(0);
	f->ok = true;
	for (p = h; p < h + len; p = e + 2) {
		e = memchr(p, '\r', (size_t)(h + len - p));
		if (e == NULL)
			break;
		n = (size_t)(e - p);
		if (n >= 9 && strncmp(p, "Subject: ", 9) == 0) {
			f->subject = xstrndup(p + 9, n - 9);
			f->text[STORE_HF_SUBJECT] = xstrndup(p + 9, n - 9);
			f->text_len[STORE_HF_SUBJECT] = n - 9;
			if (strcmp(f->subject, "unusable") == 0) {
				store_hdrfields_clear(f);
				return;
			}
		} else if (n >= 5 && strncmp(p, "Date:", 5) == 0) {
			f->has_date = true;
			f->date = (int64_t)n;
			f->date_off = -3600;
		}
	}
}

static void
rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
	free(cmd);
}

static uint32_t
append(struct store *s, const char *box, const char *data)
{
	struct store_new_msg m = { data, strlen(data), 0, NULL, 1000000000,
	    NULL };
	uint32_t uid = 0;
	struct error e;

	if (store_append(s, box, &m, 0, &uid, NULL, &e) < 0)
		fprintf(stderr, "append: %s\n", e.msg);
	return uid;
}

static int64_t
box_id(struct store *s, const char *name)
{
	struct store_status st;

	if (store_mailbox_status(s, name, &st, NULL) < 0)
		return -1;
	return st.id;
}

static uint64_t
rows(struct store *s, const char *box)
{
	uint64_t n = 0;

	if (store_hdrcache_count(s, box_id(s, box), &n, NULL) < 0)
		return UINT64_MAX;
	return n;
}

/* Runs sql on the account's database with another connection. */
static void
sql(const char *q)
{
	char *path = xasprintf("%s/mail.db", dir);
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "sql: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	free(path);
}

struct seen {
	size_t		 n;
	uint32_t	 last_uid;
	bool		 ordered;
	char		 subject[64];	/* of the last row */
	bool		 ok, has_date, subject_text_empty;
	int64_t		 date;
	int32_t		 off;
	uint64_t	 size;
	int64_t		 internaldate;
};

static int
collect(void *arg, const struct store_hdrrow *row)
{
	struct seen *sn = arg;

	if (sn->n > 0 && row->uid <= sn->last_uid)
		sn->ordered = false;
	sn->n++;
	sn->last_uid = row->uid;
	snprintf(sn->subject, sizeof(sn->subject), "%s",
	    row->f.subject != NULL ? row->f.subject : "(null)");
	sn->ok = row->f.ok;
	sn->has_date = row->f.has_date;
	sn->date = row->f.date;
	sn->off = row->f.date_off;
	sn->size = row->size;
	sn->internaldate = row->internaldate;
	sn->subject_text_empty = row->f.text[STORE_HF_SUBJECT] != NULL &&
	    row->f.text_len[STORE_HF_SUBJECT] == 0;
	return 0;
}

static struct seen
each(struct store *s, const char *box, uint32_t lo, uint32_t hi)
{
	struct store_uidrange r = { lo, hi };
	struct seen sn;

	memset(&sn, 0, sizeof(sn));
	sn.ordered = true;
	if (store_hdrcache_each(s, box_id(s, box), &r, 1, ~0u, collect, &sn,
	    NULL) < 0)
		sn.n = SIZE_MAX;
	return sn;
}

static char *
numbered(unsigned i)
{
	return xasprintf("From: a@example.org\r\nSubject: message %u\r\n"
	    "Date: Tue, 02 Jan 2024 10:00:00 +0000\r\n\r\nbody %u\r\n", i, i);
}

static void
test_delivery(void)
{
	struct error e;
	struct store *s = store_open(dir, &e);
	struct seen sn;
	char *big, *m0;

	test_begin("without a parser nothing is cached, and fill does nothing");
	test_assert(s != NULL);
	store_hdrcache_set_parser(NULL);
	m0 = numbered(0);
	test_assert(append(s, "INBOX", m0) == 1);
	free(m0);
	test_assert(rows(s, "INBOX") == 0);
	test_assert(store_hdrcache_fill(s, box_id(s, "INBOX"), &e) == 0);
	test_assert(rows(s, "INBOX") == 0);
	test_end();

	test_begin("APPEND writes a row with the parser's fields and the sizes");
	store_hdrcache_set_parser(test_parser);
	parse_calls = 0;
	test_assert(append(s, "INBOX", "Subject: hello\r\nDate: x\r\n\r\nb\r\n")
	    == 2);
	test_assert(parse_calls == 1);
	test_assert(rows(s, "INBOX") == 1);
	sn = each(s, "INBOX", 1, UINT32_MAX);
	test_assert(sn.n == 1 && sn.last_uid == 2 && sn.ok);
	test_assert(strcmp(sn.subject, "hello") == 0);
	test_assert(sn.has_date && sn.date == 7 && sn.off == -3600);
	test_assert(sn.size == strlen("Subject: hello\r\nDate: x\r\n\r\nb\r\n"));
	test_assert(sn.internaldate == 1000000000);
	test_end();

	test_begin("an empty field is kept apart from a missing one");
	test_assert(append(s, "INBOX", "Subject: \r\n\r\nb\r\n") == 3);
	sn = each(s, "INBOX", 3, 3);
	test_assert(sn.n == 1 && sn.subject_text_empty && !sn.has_date);
	test_assert(append(s, "INBOX", "X: y\r\n\r\nb\r\n") == 4);
	sn = each(s, "INBOX", 4, 4);
	test_assert(sn.n == 1 && !sn.subject_text_empty &&
	    strcmp(sn.subject, "(null)") == 0);
	test_end();

	test_begin("the first fill caches what delivery without parser missed");
	test_assert(store_hdrcache_fill(s, box_id(s, "INBOX"), &e) == 0);
	test_assert(rows(s, "INBOX") == 4);
	sn = each(s, "INBOX", 1, 1);
	test_assert(strcmp(sn.subject, "message 0") == 0);
	test_end();

	test_begin("a row marked unusable is kept and not parsed again");
	test_assert(append(s, "INBOX", "Subject: unusable\r\n\r\nb\r\n") == 5);
	sn = each(s, "INBOX", 5, 5);
	test_assert(sn.n == 1 && !sn.ok);
	parse_calls = 0;
	test_assert(store_hdrcache_fill(s, box_id(s, "INBOX"), &e) == 0);
	test_assert(parse_calls == 0);
	test_end();

	test_begin("a body kept in a file: its header is read for the fill");
	big = xmalloc(100 * 1024);
	memset(big, 'x', 100 * 1024 - 1);
	big[100 * 1024 - 1] = '\0';
	memcpy(big, "Subject: big one\r\n\r\n", 20);
	store_hdrcache_set_parser(NULL);
	test_assert(append(s, "INBOX", big) == 6);
	store_hdrcache_set_parser(test_parser);
	test_assert(rows(s, "INBOX") == 5);
	test_assert(store_hdrcache_fill(s, box_id(s, "INBOX"), &e) == 0);
	sn = each(s, "INBOX", 6, 6);
	test_assert(sn.n == 1 && strcmp(sn.subject, "big one") == 0);
	free(big);
	test_end();

	test_begin("EXPUNGE, COPY, RENAME INBOX and DELETE keep rows right");
	{
		struct store_uidrange r = { 1, 2 };
		struct store_uidmap map;
		uint32_t *uids = NULL;
		size_t n = 0;

		test_assert(store_set_flags(s, box_id(s, "INBOX"), &r, 1,
		    STORE_FLAGS_ADD, STORE_DELETED, NULL, NULL, NULL, NULL,
		    NULL, &e) == 0);
		test_assert(store_expunge(s, box_id(s, "INBOX"), NULL, 0,
		    &uids, &n, &e) == 0 && n == 2);
		free(uids);
		test_assert(rows(s, "INBOX") == 4);
		test_assert(each(s, "INBOX", 1, 2).n == 0);
		test_assert(store_mailbox_create(s, "Copies", NULL, &e) == 0);
		r = (struct store_uidrange){ 3, 6 };
		test_assert(store_copy(s, box_id(s, "INBOX"), &r, 1, "Copies",
		    false, &map, &e) == 0);
		store_uidmap_free(&map);
		test_assert(rows(s, "Copies") == 0);
		test_assert(store_hdrcache_fill(s, box_id(s, "Copies"),
		    &e) == 0);
		test_assert(rows(s, "Copies") == 4);
		test_assert(store_mailbox_rename(s, "INBOX", "Moved", &e) == 0);
		test_assert(rows(s, "INBOX") == 0);
		test_assert(rows(s, "Moved") == 4);
		sn = each(s, "Moved", 6, 6);
		test_assert(sn.n == 1 && strcmp(sn.subject, "big one") == 0);
		test_assert(store_mailbox_delete(s, "Copies", &e) == 0);
		test_assert(store_mailbox_delete(s, "Moved", &e) == 0);
	}
	test_end();
	store_close(&s);
	sql("SELECT 1");
	{
		/* no row is left of a deleted mailbox */
		char *path = xasprintf("%s/mail.db", dir);
		sqlite3 *db;
		sqlite3_stmt *st;
		int n = -1;

		test_begin("no rows outlive their messages");
		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM hdrcache h "
		    "WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE "
		    "m.mailbox = h.mailbox AND m.uid = h.uid)", -1, &st,
		    NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				n = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
		free(path);
		test_assert(n == 0);
		test_end();
	}
}

#define OLD_N	2500			/* three fill batches */

static void
test_old_store_and_crash(void)
{
	struct error e;
	struct store *s;
	struct store_msgs all;
	struct seen sn;
	unsigned i;
	pid_t pid;
	int status;

	test_begin("a store made before the cache is filled lazily");
	s = store_open(dir, &e);
	test_assert(s != NULL);
	store_hdrcache_set_parser(NULL);
	for (i = 1; i <= OLD_N; i++) {
		char *m = numbered(i);

		append(s, "INBOX", m);
		free(m);
	}
	store_close(&s);
	/* schema 1: no table, no triggers */
	sql("DROP TRIGGER hdrcache_delete; DROP TRIGGER hdrcache_move;"
	    " DROP TABLE hdrcache; PRAGMA user_version = 1;");
	s = store_open(dir, &e);
	test_assert(s != NULL);
	test_assert(rows(s, "INBOX") == 0);
	store_close(&s);
	test_end();

	test_begin("a crash in the middle of a fill loses at most one batch");
	crash_at = STORE_HDRCACHE_BATCH + 500;
	parse_calls = 0;
	pid = fork();
	if (pid == 0) {
		struct store *c = store_open(dir, NULL);

		store_hdrcache_set_parser(test_parser);
		if (c != NULL)
			(void)store_hdrcache_fill(c, box_id(c, "INBOX"), NULL);
		_exit(1);	/* not reached: the parser ends the child */
	}
	test_assert(pid > 0 && waitpid(pid, &status, 0) == pid);
	test_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	crash_at = 0;
	s = store_open(dir, &e);
	test_assert(s != NULL);
	test_assert(rows(s, "INBOX") == STORE_HDRCACHE_BATCH);
	test_assert(store_messages(s, box_id(s, "INBOX"), NULL, 0, &all,
	    &e) == 0 && all.n == OLD_N);
	store_msgs_free(&all);
	test_end();

	test_begin("the next fill goes on where the crash stopped it");
	store_hdrcache_set_parser(test_parser);
	parse_calls = 0;
	test_assert(store_hdrcache_fill(s, box_id(s, "INBOX"), &e) == 0);
	test_assert(parse_calls == OLD_N - STORE_HDRCACHE_BATCH);
	test_assert(rows(s, "INBOX") == OLD_N);
	sn = each(s, "INBOX", 1, UINT32_MAX);
	test_assert(sn.n == OLD_N && sn.ordered && sn.last_uid == OLD_N);
	test_assert(strcmp(sn.subject, "message 2500") == 0);
	sn = each(s, "INBOX", 1000, 1001);
	test_assert(sn.n == 2 && strcmp(sn.subject, "message 1001") == 0);
	parse_calls = 0;
	test_assert(store_hdrcache_fill(s, box_id(s, "INBOX"), &e) == 0);
	test_assert(parse_calls == 0);
	store_close(&s);
	test_end();
}

int
main(void)
{
	dir = mkdtemp(tmpl);
	if (dir == NULL)
		return 1;
	store_set_render(&imap_store_render);
	test_delivery();
	rm_rf(dir);
	if (mkdir(dir, 0700) < 0)
		return 1;
	test_old_store_and_crash();
	rm_rf(dir);
	store_hdrcache_set_parser(NULL);
	return test_done();
}
