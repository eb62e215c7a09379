/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_test.c: the account store on a fresh directory: INBOX, append /
 * list / fetch round trips (inline and file bodies), UID rules, flags and
 * MODSEQ with UNCHANGEDSINCE, copy and move UID maps, expunge and QRESYNC
 * changes, mailbox create/delete/rename (children, INBOX), LIST patterns,
 * subscriptions, idempotent batch delivery, quota, persistence.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_mime.h"

static char tmpl[] = "/tmp/tegami-store-XXXXXX";
static char *dir;

static const char msg1[] =
	"From: A <a@example.com>\r\nSubject: one\r\n\r\nhello\r\n";

static void
rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
	free(cmd);
}

static uint32_t
append(struct store *s, const char *box, const char *data, size_t len,
    unsigned flags)
{
	struct store_new_msg m = { data, len, flags, NULL, 1000000000, NULL };
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

static bool
fetch_eq(struct store *s, int64_t box, uint32_t uid, const char *want,
    size_t len)
{
	struct buf b;
	bool ok;

	buf_init(&b, 64 * 1024 * 1024);
	ok = store_fetch(s, box, uid, 0, UINT64_MAX, &b, NULL) == 0 &&
	    b.len == len && memcmp(b.data, want, len) == 0;
	buf_free(&b);
	return ok;
}

static size_t
count_body_files(void)
{
	char *p = xasprintf("%s/bodies", dir);
	DIR *d = opendir(p);
	struct dirent *de;
	size_t n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] == 'b')
			n++;
	if (d != NULL)
		closedir(d);
	free(p);
	return n;
}

static void
test_basics(struct store *s)
{
	struct store_status st;
	struct store_msgs ms;
	struct buf b;
	char *big, *env = NULL, *bs = NULL;
	size_t i, biglen = 200 * 1024;
	uint32_t u1, u2, u3, uv;
	int64_t inbox;
	struct error e;

	test_begin("INBOX exists, case-insensitively");
	test_assert(store_mailbox_status(s, "inbox", &st, NULL) == 0);
	test_assert(st.messages == 0 && st.uidnext == 1 && st.uidvalidity > 0);
	inbox = st.id;
	uv = st.uidvalidity;
	test_end();

	test_begin("append, list, fetch round trip (inline)");
	u1 = append(s, "INBOX", msg1, sizeof(msg1) - 1, STORE_SEEN);
	test_assert(u1 == 1);
	test_assert(fetch_eq(s, inbox, u1, msg1, sizeof(msg1) - 1));
	test_assert(store_messages(s, inbox, NULL, 0, &ms, NULL) == 0);
	test_assert(ms.n == 1 && ms.v[0].uid == 1 &&
	    ms.v[0].flags == STORE_SEEN && ms.v[0].size == sizeof(msg1) - 1 &&
	    ms.v[0].internaldate == 1000000000 && ms.v[0].hdr_size == 41);
	store_msgs_free(&ms);
	buf_init(&b, 1024);
	test_assert(store_fetch(s, inbox, u1, 0, 41, &b, NULL) == 0);
	test_assert(b.len == 41 && memcmp(b.data, msg1, 41) == 0);
	buf_reset(&b);
	test_assert(store_fetch(s, inbox, u1, 41, 1000, &b, NULL) == 0);
	test_assert_str(buf_cstr(&b), "hello\r\n");
	buf_free(&b);
	test_assert(store_fetch_cached(s, inbox, u1, &env, &bs, NULL, NULL) == 0);
	test_assert_str(env, "(NIL \"one\" ((\"A\" NIL \"a\" \"example.com\")) "
	    "((\"A\" NIL \"a\" \"example.com\")) ((\"A\" NIL \"a\" "
	    "\"example.com\")) NIL NIL NIL NIL NIL)");
	test_assert_str(bs, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
	    "NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
	free(env);
	free(bs);
	test_end();

	test_begin("append > 64 KiB goes to a file and round-trips");
	big = xmalloc(biglen);
	memcpy(big, "Subject: big\r\n\r\n", 16);
	for (i = 16; i < biglen; i++)
		big[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' :
		    (char)('A' + i % 26);
	u2 = append(s, "INBOX", big, biglen, 0);
	test_assert(u2 == 2);
	test_assert(count_body_files() == 1);
	test_assert(fetch_eq(s, inbox, u2, big, biglen));
	buf_init(&b, 1024);
	test_assert(store_fetch(s, inbox, u2, 100000, 10, &b, NULL) == 0);
	test_assert(b.len == 10 && memcmp(b.data, big + 100000, 10) == 0);
	buf_free(&b);
	test_end();

	test_begin("bare LF is stored as CRLF");
	u3 = append(s, "INBOX", "Subject: lf\n\nx\n", 15, 0);
	test_assert(fetch_eq(s, inbox, u3, "Subject: lf\r\n\r\nx\r\n", 18));
	{
		/* LF first, mixed with CRLF, last byte LF */
		static const char in[] = "\nA: b\r\n\nx\n";
		static const char out[] = "\r\nA: b\r\n\r\nx\r\n";
		uint32_t u;

		test_assert(store_mailbox_create(s, "LF", NULL, NULL) == 0);
		u = append(s, "LF", in, sizeof(in) - 1, 0);
		test_assert(fetch_eq(s, box_id(s, "LF"), u, out,
		    sizeof(out) - 1));
		test_assert(store_mailbox_delete(s, "LF", NULL) == 0);
	}
	test_end();

	test_begin("append_many: all in one transaction, or none");
	{
		struct store_new_msg two[2] = {
			{ msg1, sizeof(msg1) - 1, 0, NULL, 0, NULL },
			{ msg1, 5, 0, "ok bad(kw", 0, NULL },
		};
		uint32_t uids[2], uv2 = 0;
		struct store_status bst;
		uint64_t used;

		test_assert(store_mailbox_create(s, "Many", NULL, NULL) == 0);
		/* the second is refused: the first is not stored either */
		test_assert(store_append_many(s, "Many", two, 2, 0, uids, &uv2,
		    &e) < 0 && e.kind == ERR_SYNTAX);
		test_assert(store_mailbox_status(s, "Many", &bst, NULL) == 0 &&
		    bst.messages == 0);
		/* quota counts them together: room for one, not for two */
		two[1].keywords = NULL;
		two[1].len = sizeof(msg1) - 1;
		test_assert(store_account_size(s, &used, NULL) == 0);
		test_assert(store_append_many(s, "Many", two, 1,
		    used + sizeof(msg1) + 6, uids, &uv2, &e) == 0);
		test_assert(store_account_size(s, &used, NULL) == 0);
		test_assert(store_append_many(s, "Many", two, 2,
		    used + sizeof(msg1) + 6, uids, &uv2, &e) < 0 &&
		    e.kind == ERR_LIMIT);
		test_assert(store_mailbox_status(s, "Many", &bst, NULL) == 0 &&
		    bst.messages == 1);
		test_assert(store_append_many(s, "Many", two, 2, 0, uids, &uv2,
		    &e) == 0 && uids[1] == uids[0] + 1 && uv2 != 0);
		test_assert(store_mailbox_status(s, "Many", &bst, NULL) == 0 &&
		    bst.messages == 3);
		test_assert(store_append_many(s, "Many", two, 0, 0, uids, NULL,
		    &e) < 0 && e.kind == ERR_LIMIT);
		test_assert(store_mailbox_delete(s, "Many", NULL) == 0);
	}
	test_end();

	test_begin("status counts and UIDs");
	test_assert(store_mailbox_status(s, "INBOX", &st, NULL) == 0);
	test_assert(st.messages == 3 && st.unseen == 2 && st.uidnext == 4 &&
	    st.uidvalidity == uv && st.recent == 3);
	test_assert(st.size == sizeof(msg1) - 1 + biglen + 18);
	test_end();

	test_begin("bad input is refused");
	test_assert(store_append(s, "Nope", &(struct store_new_msg){ msg1, 5,
	    0, NULL, 0, NULL }, 0, NULL, NULL, &e) < 0 &&
	    e.kind == ERR_NOTFOUND);
	test_assert(store_append(s, "INBOX", &(struct store_new_msg){ msg1, 5,
	    0, "ok bad(kw", 0, NULL }, 0, NULL, NULL, &e) < 0 &&
	    e.kind == ERR_SYNTAX);
	test_assert(store_fetch(s, inbox, 99, 0, 1, &b, &e) < 0 &&
	    e.kind == ERR_NOTFOUND);
	test_end();
	free(big);
}

static void
test_flags_expunge(struct store *s)
{
	int64_t inbox = box_id(s, "INBOX");
	struct store_uidrange one = { 1, 1 }, all = { 1, UINT32_MAX };
	struct store_msgs ch;
	struct store_status st;
	uint32_t *failed = NULL, *ex = NULL, *van = NULL, u;
	size_t nfailed = 0, nex = 0, nvan = 0;
	uint64_t ms0, unch;
	char *kw;

	test_begin("flags and keywords bump MODSEQ");
	store_mailbox_status(s, "INBOX", &st, NULL);
	ms0 = st.highestmodseq;
	test_assert(store_set_flags(s, inbox, &one, 1, STORE_FLAGS_ADD,
	    STORE_FLAGGED, "$Junk Work work", NULL, &ch, NULL, NULL, NULL) == 0);
	test_assert(ch.n == 1 && ch.v[0].uid == 1 &&
	    ch.v[0].flags == (STORE_SEEN | STORE_FLAGGED) &&
	    strcmp(ch.v[0].keywords, "$Junk Work") == 0 &&
	    ch.v[0].modseq == ms0 + 1);
	store_msgs_free(&ch);
	/* no change: no new MODSEQ */
	test_assert(store_set_flags(s, inbox, &one, 1, STORE_FLAGS_ADD,
	    STORE_FLAGGED, NULL, NULL, &ch, NULL, NULL, NULL) == 0 &&
	    ch.n == 0);
	store_msgs_free(&ch);
	test_assert(store_set_flags(s, inbox, &one, 1, STORE_FLAGS_REMOVE, 0,
	    "$junk", NULL, &ch, NULL, NULL, NULL) == 0 && ch.n == 1 &&
	    strcmp(ch.v[0].keywords, "Work") == 0);
	store_msgs_free(&ch);
	test_assert(store_mailbox_keywords(s, inbox, &kw, NULL) == 0);
	test_assert_str(kw, "$Junk Work");
	free(kw);
	test_end();

	test_begin("UNCHANGEDSINCE reports modified messages");
	store_mailbox_status(s, "INBOX", &st, NULL);
	unch = st.highestmodseq - 1;	/* uid 1 changed after this */
	test_assert(store_set_flags(s, inbox, &all, 1, STORE_FLAGS_ADD,
	    STORE_DELETED, NULL, &unch, &ch, &failed, &nfailed, NULL) == 0);
	test_assert(nfailed == 1 && failed[0] == 1);
	test_assert(ch.n == 2 && ch.v[0].uid == 2 && ch.v[1].uid == 3);
	store_msgs_free(&ch);
	free(failed);
	test_end();

	test_begin("expunge removes \\Deleted, files, keeps UIDs unique");
	ms0 = st.highestmodseq;
	test_assert(store_expunge(s, inbox, NULL, 0, &ex, &nex, NULL) == 0);
	test_assert(nex == 2 && ex[0] == 2 && ex[1] == 3);
	free(ex);
	test_assert(count_body_files() == 0);
	u = append(s, "INBOX", msg1, sizeof(msg1) - 1, 0);
	test_assert(u == 4);
	test_assert(store_changes_since(s, inbox, ms0, &ch, &van, &nvan,
	    NULL) == 0);
	test_assert(nvan == 2 && van[0] == 2 && van[1] == 3);
	test_assert(ch.n == 1 && ch.v[0].uid == 4);
	store_msgs_free(&ch);
	free(van);
	test_end();

	test_begin("UID EXPUNGE only touches the set");
	test_assert(store_set_flags(s, inbox, &all, 1, STORE_FLAGS_ADD,
	    STORE_DELETED, NULL, NULL, NULL, NULL, NULL, NULL) == 0);
	{
		struct store_uidrange r4 = { 4, 4 };

		test_assert(store_expunge(s, inbox, &r4, 1, &ex, &nex,
		    NULL) == 0 && nex == 1 && ex[0] == 4);
		free(ex);
	}
	test_assert(store_set_flags(s, inbox, &all, 1, STORE_FLAGS_SET,
	    STORE_SEEN, "", NULL, NULL, NULL, NULL, NULL) == 0);
	store_mailbox_status(s, "INBOX", &st, NULL);
	test_assert(st.messages == 1 && st.uidnext == 5);
	test_end();

	test_begin("remove: the set whatever the flags (POP3 QUIT)");
	{
		struct store_uidrange r;
		uint32_t u6, u7;
		int64_t rm;

		test_assert(store_mailbox_create(s, "Rm", NULL, NULL) == 0);
		rm = box_id(s, "Rm");
		u6 = append(s, "Rm", "Subject: r6\r\n\r\nx\r\n", 19, 0);
		u7 = append(s, "Rm", "Subject: r7\r\n\r\ny\r\n", 19, 0);
		r.lo = r.hi = u6;
		/* not flagged \Deleted: EXPUNGE leaves it, remove takes it */
		test_assert(store_expunge(s, rm, &r, 1, &ex, &nex,
		    NULL) == 0 && nex == 0);
		free(ex);
		test_assert(store_remove(s, rm, &r, 1, &ex, &nex,
		    NULL) == 0 && nex == 1 && ex[0] == u6);
		free(ex);
		store_mailbox_status(s, "Rm", &st, NULL);
		test_assert(st.messages == 1);
		test_assert(fetch_eq(s, rm, u7, "Subject: r7\r\n\r\ny\r\n", 19));
		test_assert(store_mailbox_delete(s, "Rm", NULL) == 0);
	}
	test_end();
}

static void
test_copy_move(struct store *s)
{
	int64_t inbox = box_id(s, "INBOX"), arch;
	struct store_uidrange all = { 1, UINT32_MAX };
	struct store_uidmap map;
	struct store_status st;
	struct store_msgs ms;
	uint32_t u, *ex;
	size_t nex;
	char *big = xmalloc(100000);

	memset(big, 'x', 100000);
	memcpy(big, "Subject: b\r\n\r\n", 14);
	test_begin("copy gives new UIDs and a UID map");
	u = append(s, "INBOX", big, 100000, STORE_ANSWERED);
	test_assert(u == 5);
	test_assert(store_mailbox_create(s, "Archive", NULL, NULL) == 0);
	arch = box_id(s, "Archive");
	test_assert(store_copy(s, inbox, &all, 1, "Archive", false, &map,
	    NULL) == 0);
	store_mailbox_status(s, "Archive", &st, NULL);
	test_assert(map.n == 2 && map.src[0] == 1 && map.src[1] == 5 &&
	    map.dst[0] == 1 && map.dst[1] == 2 &&
	    map.uidvalidity == st.uidvalidity);
	store_uidmap_free(&map);
	test_assert(st.messages == 2 && st.size == sizeof(msg1) - 1 + 100000);
	test_assert(fetch_eq(s, arch, 2, big, 100000));
	test_assert(count_body_files() == 1);	/* shared, not duplicated */
	test_end();

	test_begin("move removes from the source");
	test_assert(store_copy(s, arch, &all, 1, "INBOX", true, &map,
	    NULL) == 0);
	test_assert(map.n == 2 && map.src[0] == 1 && map.dst[0] == 6 &&
	    map.dst[1] == 7);
	store_uidmap_free(&map);
	store_mailbox_status(s, "Archive", &st, NULL);
	test_assert(st.messages == 0 && st.size == 0 && st.uidnext == 3);
	test_assert(store_messages(s, inbox, NULL, 0, &ms, NULL) == 0);
	test_assert(ms.n == 4 && ms.v[3].uid == 7 &&
	    ms.v[3].flags == STORE_ANSWERED);
	store_msgs_free(&ms);
	test_assert(fetch_eq(s, inbox, 7, big, 100000));
	test_end();

	test_begin("body file goes with its last reference");
	test_assert(store_set_flags(s, inbox, &all, 1, STORE_FLAGS_ADD,
	    STORE_DELETED, NULL, NULL, NULL, NULL, NULL, NULL) == 0);
	test_assert(store_expunge(s, inbox, NULL, 0, &ex, &nex, NULL) == 0 &&
	    nex == 4);
	free(ex);
	test_assert(count_body_files() == 0);
	test_end();
	free(big);
}

static void
test_mailboxes(struct store *s)
{
	struct store_mailbox *v;
	struct store_status st;
	size_t n;
	int64_t inbox = box_id(s, "INBOX");
	struct error e;
	uint32_t uv;

	test_begin("create with implied parents, list patterns");
	test_assert(store_mailbox_create(s, "Work/2024/Q1", NULL, NULL) == 0);
	test_assert(store_mailbox_create(s, "Work", NULL, &e) < 0 &&
	    e.kind == ERR_EXISTS);
	test_assert(store_mailbox_create(s, "bad/*", NULL, &e) < 0 &&
	    e.kind == ERR_SYNTAX);
	test_assert(store_mailbox_create(s, "a//b", NULL, &e) < 0);
	test_assert(store_mailbox_list(s, "*", false, &v, &n, NULL) == 0);
	test_assert(n == 5 && strcmp(v[0].name, "INBOX") == 0);
	store_mailbox_list_free(v, n);
	test_assert(store_mailbox_list(s, "Work/%", false, &v, &n, NULL) == 0);
	test_assert(n == 1 && strcmp(v[0].name, "Work/2024") == 0 &&
	    v[0].has_children);
	store_mailbox_list_free(v, n);
	test_assert(store_mailbox_list(s, "%", false, &v, &n, NULL) == 0);
	test_assert(n == 3);		/* INBOX, Archive, Work */
	store_mailbox_list_free(v, n);
	test_assert(store_pattern_match("W*1", "Work/2024/Q1"));
	test_assert(!store_pattern_match("W%1", "Work/2024/Q1"));
	test_assert(store_pattern_match("%/%/Q%", "Work/2024/Q1"));
	test_assert(store_pattern_match("*", ""));
	test_assert(!store_pattern_match("a", "ab"));
	test_end();

	test_begin("rename moves children and subscriptions");
	test_assert(store_subscribe(s, "Work/2024", true, NULL) == 0);
	store_mailbox_status(s, "Work/2024/Q1", &st, NULL);
	uv = st.uidvalidity;
	test_assert(append(s, "Work/2024/Q1", msg1, sizeof(msg1) - 1, 0) == 1);
	test_assert(store_mailbox_rename(s, "Work", "Jobs/Old", NULL) == 0);
	test_assert(store_mailbox_status(s, "Work", &st, &e) < 0 &&
	    e.kind == ERR_NOTFOUND);
	test_assert(store_mailbox_status(s, "Jobs/Old/2024/Q1", &st, NULL) == 0
	    && st.messages == 1 && st.uidvalidity == uv);
	test_assert(store_mailbox_status(s, "Jobs", &st, NULL) == 0);
	test_assert(store_mailbox_list(s, "*", true, &v, &n, NULL) == 0);
	test_assert(n == 1 && strcmp(v[0].name, "Jobs/Old/2024") == 0 &&
	    !v[0].noselect);
	store_mailbox_list_free(v, n);
	test_assert(store_mailbox_rename(s, "Jobs", "Jobs/x", &e) < 0);
	test_assert(store_mailbox_rename(s, "Archive", "Jobs", &e) < 0 &&
	    e.kind == ERR_EXISTS);
	test_end();

	test_begin("rename INBOX moves its messages, INBOX stays");
	test_assert(append(s, "INBOX", msg1, sizeof(msg1) - 1, 0) == 8);
	test_assert(store_mailbox_create(s, "INBOX/kid", NULL, NULL) == 0);
	test_assert(store_mailbox_rename(s, "inbox", "Old-Inbox", NULL) == 0);
	test_assert(store_mailbox_status(s, "INBOX", &st, NULL) == 0 &&
	    st.messages == 0 && st.uidnext == 9 && st.size == 0);
	test_assert(store_mailbox_status(s, "INBOX/kid", &st, NULL) == 0);
	test_assert(store_mailbox_status(s, "Old-Inbox", &st, NULL) == 0 &&
	    st.messages == 1 && st.uidnext == 9);
	test_assert(fetch_eq(s, st.id, 8, msg1, sizeof(msg1) - 1));
	test_assert(append(s, "INBOX", msg1, sizeof(msg1) - 1, 0) == 9);
	test_end();

	test_begin("delete: leaf goes, parent becomes \\Noselect");
	test_assert(store_mailbox_delete(s, "INBOX", &e) < 0 &&
	    e.kind == ERR_PERM);
	test_assert(store_mailbox_delete(s, "Jobs/Old/2024", NULL) == 0);
	test_assert(store_mailbox_status(s, "Jobs/Old/2024", &st, NULL) == 0 &&
	    st.noselect && st.messages == 0);
	test_assert(store_append(s, "Jobs/Old/2024", &(struct store_new_msg){
	    msg1, 5, 0, NULL, 0, NULL }, 0, NULL, NULL, &e) < 0 &&
	    e.kind == ERR_PERM);
	test_assert(store_mailbox_delete(s, "Jobs/Old/2024", &e) < 0);
	test_assert(store_mailbox_delete(s, "Jobs/Old/2024/Q1", NULL) == 0);
	test_assert(store_mailbox_delete(s, "Jobs/Old/2024", NULL) == 0);
	test_assert(store_mailbox_status(s, "Jobs/Old/2024", &st, &e) < 0);
	test_assert(store_mailbox_create(s, "Jobs/Old/2024", NULL, NULL) == 0);
	test_assert(store_mailbox_status(s, "Jobs/Old/2024", &st, NULL) == 0 &&
	    st.uidvalidity > uv);
	(void)inbox;
	test_end();
}

/* \Recent: the first claim takes every UID below UIDNEXT, a second finds
 * nothing (and answers UIDNEXT, so no listed message is recent again), a
 * new message is claimed by the next claim only. */
static void
test_claim_recent(struct store *s)
{
	struct store_status st;
	uint32_t first = 0, u;
	int64_t box;

	test_begin("claim \\Recent once per new UID");
	test_assert(store_mailbox_create(s, "RecentBox", NULL, NULL) == 0);
	box = box_id(s, "RecentBox");
	u = append(s, "RecentBox", msg1, sizeof(msg1) - 1, 0);
	append(s, "RecentBox", msg1, sizeof(msg1) - 1, 0);
	test_assert(store_claim_recent(s, box, &first, NULL) == 0);
	test_assert(first == u);
	test_assert(store_claim_recent(s, box, &first, NULL) == 0);
	test_assert(store_mailbox_status(s, "RecentBox", &st, NULL) == 0);
	test_assert(first == st.uidnext && st.recent == 0);
	u = append(s, "RecentBox", msg1, sizeof(msg1) - 1, 0);
	test_assert(store_mailbox_status(s, "RecentBox", &st, NULL) == 0);
	test_assert(st.recent == 1);
	test_assert(store_claim_recent(s, box, &first, NULL) == 0);
	test_assert(first == u);
	test_assert(store_claim_recent(s, box, &first, NULL) == 0);
	test_assert(first == u + 1);
	test_end();
}

static void
test_delivery(struct store *s)
{
	struct store_delivery d[3];
	struct store_status st, st2;
	struct error e;
	uint64_t used;
	char *big = xcalloc(1, 5000);

	memset(big, 'y', 4999);
	memcpy(big, "Subject: q\r\n\r\n", 14);
	test_begin("batch delivery is idempotent by queue id");
	store_mailbox_status(s, "INBOX", &st, NULL);
	memset(d, 0, sizeof(d));
	d[0].msg = (struct store_new_msg){ msg1, sizeof(msg1) - 1, 0, NULL, 0,
	    "Q1" };
	d[1].msg = (struct store_new_msg){ msg1, sizeof(msg1) - 1, 0, NULL, 0,
	    "Q2" };
	d[2].msg = (struct store_new_msg){ msg1, sizeof(msg1) - 1, 0, NULL, 0,
	    "Q1" };
	test_assert(store_deliver_batch(s, "INBOX", d, 3, 0, NULL) == 0);
	test_assert(d[0].status == STORE_DELIVERED &&
	    d[1].status == STORE_DELIVERED && d[2].status == STORE_DUPLICATE);
	test_assert(d[2].uid == d[0].uid && d[1].uid == d[0].uid + 1);
	test_assert(store_deliver_batch(s, "INBOX", d, 2, 0, NULL) == 0);
	test_assert(d[0].status == STORE_DUPLICATE &&
	    d[1].status == STORE_DUPLICATE);
	store_mailbox_status(s, "INBOX", &st2, NULL);
	test_assert(st2.messages == st.messages + 2);
	test_end();

	test_begin("quota refuses with ERR_LIMIT, the rest commits");
	test_assert(store_account_size(s, &used, NULL) == 0);
	memset(d, 0, sizeof(d));
	d[0].msg = (struct store_new_msg){ msg1, sizeof(msg1) - 1, 0, NULL, 0,
	    "Q3" };
	d[1].msg = (struct store_new_msg){ big, 4999, 0, NULL, 0, "Q4" };
	test_assert(store_deliver_batch(s, "INBOX", d, 2, used + 1000,
	    &e) < 0 && e.kind == ERR_LIMIT &&
	    strcmp(e.msg, "mailbox full") == 0);
	test_assert(d[0].status == STORE_DELIVERED &&
	    d[1].status == STORE_OVER_QUOTA);
	test_assert(store_append(s, "INBOX", &d[1].msg, used + 1000, NULL,
	    NULL, &e) < 0 && e.kind == ERR_LIMIT);
	/* retried later with room: delivered once */
	test_assert(store_deliver_batch(s, "INBOX", d, 2, 0, NULL) == 0);
	test_assert(d[0].status == STORE_DUPLICATE &&
	    d[1].status == STORE_DELIVERED);
	test_assert(store_account_size(s, &used, NULL) == 0);
	test_end();
	free(big);
}

/* store_mailbox_name(): hierarchy parts (issue 15) */
static void
test_mailbox_names(struct store *s)
{
	static const char *const bad[] = {
		"../../../etc", "INBOX/..", "INBOX/.", "..", ".", "a/../b",
		"a/./b", "a//b", "/a", "a//", "//", "/", "x/..",
	};
	static const struct {
		const char	*in, *out;
	} good[] = {
		{ "...", "..." }, { ".hidden", ".hidden" },
		{ "a.b/..c", "a.b/..c" }, { "inbox/.../z", "INBOX/.../z" },
		{ "parent/", "parent" },
	};
	struct store_mailbox *v = NULL;
	struct store_new_msg nm;
	struct error e;
	struct buf b;
	size_t i, n = 0, before;

	memset(&nm, 0, sizeof(nm));
	nm.data = "Subject: x\r\n\r\nbody\r\n";
	nm.len = strlen(nm.data);

	buf_init(&b, STORE_MAILBOX_NAME_MAX);
	test_begin("empty, '.' and '..' hierarchy parts are refused");
	test_assert(store_mailbox_list(s, "*", false, &v, &before, NULL) == 0);
	store_mailbox_list_free(v, before);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_assert(store_mailbox_name(bad[i], &b, NULL, &e) < 0);
		test_assert(e.kind == ERR_PERM);
		test_assert(strstr(e.msg, "hierarchy part") != NULL);
		test_assert(store_mailbox_create(s, bad[i], NULL, &e) < 0 &&
		    e.kind == ERR_PERM);
		test_assert(store_mailbox_rename(s, "INBOX", bad[i], &e) < 0 &&
		    e.kind == ERR_PERM);
		test_assert(store_subscribe(s, bad[i], true, &e) < 0 &&
		    e.kind == ERR_PERM);
		test_assert(store_append(s, bad[i], &nm, 0, NULL, NULL,
		    &e) < 0 && e.kind == ERR_PERM);
	}
	test_assert(store_mailbox_list(s, "*", false, &v, &n, NULL) == 0);
	test_assert(n == before);	/* no parent was made either */
	store_mailbox_list_free(v, n);
	test_end();
	test_begin("dotted names that are real names are kept");
	for (i = 0; i < N_ELEMENTS(good); i++) {
		test_assert(store_mailbox_name(good[i].in, &b, NULL, &e) == 0);
		test_assert_str(buf_cstr(&b), good[i].out);
	}
	test_end();
	buf_free(&b);
}

int
main(void)
{
	struct store *s;
	struct store_status st;
	struct error e;
	uint64_t used, used2;

	store_set_render(&imap_store_render);

	dir = mkdtemp(tmpl);
	if (dir == NULL)
		return 1;
	s = store_open(dir, &e);
	test_begin("open creates the store");
	test_assert(s != NULL);
	test_end();
	if (s == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return test_done();
	}
	test_begin("without render functions nothing is stored");
	store_set_render(NULL);
	test_assert(store_append(s, "INBOX", &(struct store_new_msg){ "a\r\n",
	    3, 0, NULL, 0, NULL }, 0, NULL, NULL, &e) < 0 &&
	    e.kind == ERR_INTERNAL);
	store_mailbox_status(s, "INBOX", &st, NULL);
	test_assert(st.messages == 0);
	store_set_render(&imap_store_render);
	test_end();
	test_basics(s);
	test_flags_expunge(s);
	test_copy_move(s);
	test_mailboxes(s);
	test_mailbox_names(s);
	test_claim_recent(s);
	test_delivery(s);

	test_begin("reopen after close keeps everything");
	store_mailbox_status(s, "INBOX", &st, NULL);
	store_account_size(s, &used, NULL);
	store_close(&s);
	test_assert(s == NULL);
	s = store_open(dir, &e);
	test_assert(s != NULL);
	if (s != NULL) {
		struct store_status st2;

		test_assert(store_mailbox_status(s, "INBOX", &st2, NULL) == 0);
		test_assert(st2.messages == st.messages &&
		    st2.uidnext == st.uidnext &&
		    st2.uidvalidity == st.uidvalidity &&
		    st2.highestmodseq == st.highestmodseq);
		test_assert(store_account_size(s, &used2, NULL) == 0 &&
		    used2 == used);
		test_assert(store_mailbox_status(s, "Old-Inbox", &st2,
		    NULL) == 0 && st2.messages == 1);
		store_close(&s);
	}
	test_end();
	rm_rf(dir);
	return test_done();
}
