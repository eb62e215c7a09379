/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bounds.h: every input limit in one place, each with its reason.  Settings
 * may move a limit only within the range given beside it.
 */
#ifndef TEGAMI_LIB_BOUNDS_H
#define TEGAMI_LIB_BOUNDS_H

#define DICT_DEPTH_MAX		64	/* nesting of arrays/dictionaries in data format */
#define DICT_TEXT_MAX		(16 * 1024 * 1024)	/* one settings file / CLI argument */
#define ADDRESS_MAX		1024	/* one e-mail address as text */
#define OBJECT_NAME_MAX		128	/* account/alias/domain object name (CGP rule) */
#define DOMAIN_NAME_MAX		255	/* RFC 1035 */
#define ROUTER_PASSES_MAX	10	/* router table applications before "routing loop" */
#define ROUTER_TABLE_MAX	(1024 * 1024)	/* router table text */
#define CLI_LINE_MAX		(1024 * 1024)	/* one CLI command line (settings can be big) */
#define CLI_ERRORS_MAX		20	/* bad CLI commands before we hang up */
#define LOG_LINE_MAX		4096	/* one log record, longer ones are cut */
#define CLI_LIST_PAGE_MAX	1000	/* objects one ListDomainObjects answer carries: a page, not a domain */
#define CLI_LOG_FILES_MAX	1000	/* log files ListLogs names (newest kept: about three years of days) */
#define CLI_LOG_LINES_MAX	5000	/* records one ReadLog answer carries */
#define CLI_LOG_SCAN_MAX	(4 * 1024 * 1024)	/* bytes of a log file one ReadLog reads; the caller continues from Offset */
#define LOGS_KEEP_DAYS_MAX	36500	/* LogsKeepDays: a century; 0 = keep all */
#define PASSWORD_MAX		256	/* a password as given by a client */
/* The longest SASL PLAIN response of a valid login: base64 of authzid NUL
 * authcid NUL password; every protocol's AUTH line holds it. */
#define SASL_PLAIN_B64_MAX	((2 * ADDRESS_MAX + PASSWORD_MAX + 2 + 2) / 3 * 4)
#define SERVICES_FD_RESERVE	256	/* descriptors beside the connections: dbs, logs, sockets */
#define STORE_FD_WAIT_TRIES	40	/* out of descriptors: tries to open an account, */
#define STORE_FD_WAIT_MS	50	/* this far apart (2 s): sessions end or park meanwhile */
#define PARK_ENTRIES_MAX	100000	/* hibernated sessions: ~19,000 fit the descriptor limit here */
#define SETTINGS_RATE_PERIOD_MAX	(7 * 86400)	/* a rate's period: a week */
#define SETTINGS_LIST_MAX	32	/* elements of a list setting (RetrySchedule) */
#define SETTINGS_WORD_MAX	255	/* one word of a word list: a domain name */
#define SETTINGS_STRING_MAX	(64 * 1024)	/* one string setting value */
#define IPLIST_TEXT_MAX		(1024 * 1024)	/* one network address list */
#define BACKUP_FILES_MAX	4000000	/* manifest entries: ~400 MB of memory at restore */
#define BACKUP_MANIFEST_MAX	(512UL * 1024 * 1024)	/* manifest text read at restore */
#define BACKUP_PATH_MAX		1024	/* relative path in a backup (PATH_MAX minus the base) */
#define BACKUP_DEPTH_MAX	16	/* folder nesting below the base (domain/account/bodies is 4) */
#define AUTH_FLOW_PAIRS_MAX	4096	/* (account, address) failed-login records */
#define AUTH_FLOW_IPS_MAX	4096	/* per-address failed-login records */
#define AUTH_FLOW_RING		64	/* failures remembered per record: max N of a flow */
#define AUTH_CACHE_MAX		1024	/* password logins remembered (auth_login_cached) */
#define AUTH_CACHE_SECS		60	/* ... at most this long, and only while no object changed */
#define AUTH_TEMPBL_MAX		4096	/* temporarily blacklisted addresses */
#define AUTH_TEMPBL_TIME_MAX	(7 * 24 * 3600)	/* longest temporary blacklisting, s */
#define HDRCACHE_TEXT_MAX	(16 * 1024)	/* one cached header text; larger: the message is searched uncached */
#define DNR_SERVERS_MAX		8	/* DNR Servers used, in turn (resolv.conf has 3) */
#define DNR_INFLIGHT_MAX	256	/* DNR requests at once; more callers wait for a slot */
#define DNR_CACHE_MAX		4096	/* cached DNR answers (at most DNR_RAW_MAX bytes each) */
#define DNR_TTL_MAX		86400	/* longest time an answer is cached, s */
#define DNR_NEG_TTL_DEFAULT	60	/* a negative answer without SOA is cached this long, s */
#define DNR_NEG_TTL_MAX		10800	/* longest negative caching, s (RFC 2308 suggests 3 h) */
#define DNR_TIMEOUT_MAX		120	/* DNR Timeout setting: one attempt, s */
#define DNR_RETRIES_MAX		10	/* DNR Retries setting */
#define AUTH_TEMPBL_TEXT_MAX	(256 * 1024)	/* SetTempBlacklistedIPs argument */
#define SASL_RESPONSE_MAX	12288	/* one base64 SASL response (RFC 4954 4: at least 12288) */
#define SASL_CHALLENGE_MAX	512	/* a CRAM-MD5 challenge "<random.time@host>" before base64 */

/* Connection limits and time-outs of every TCP service, from its module's
 * settings (SMTP, POP, IMAP, PWD), each within [MIN, MAX]: */
#define CHANNELS_PER_IP_DEFAULT	20	/* MaxChannelsPerIP: one host cannot fill a service; 0 = none */
#define CHANNELS_PER_NET_DEFAULT 50	/* MaxChannelsPerNetwork, per NetworkPrefixIPv4/IPv6 (24/64); 0 = none */
#define CHANNELS_PER_ADDR_MAX	50000	/* = LISTENER_CHANNELS_MAX */
#define LISTEN_PORTS_MAX	16	/* Listener Ports of one module; 64 sockets in all */
#define BINDHELPER_REQ_MAX	64	/* "bind TCP [v6 literal]:port" fits */
#define BINDHELPER_REPLY_MS	5000	/* tegamid waits this long for the bind helper */
#define PRELOGIN_TIMEOUT_DEFAULT 120	/* PreLoginTimeout, s: connect to login (SMTP: to MAIL/AUTH) */
#define PRELOGIN_TIMEOUT_MIN	1
#define PRELOGIN_TIMEOUT_MAX	3600
#define LINE_TIMEOUT_DEFAULT	60	/* LineTimeout, s: one command line from its first byte */
#define LINE_TIMEOUT_MIN	1
#define LINE_TIMEOUT_MAX	3600

/* JMAP (src/jmap/, RFC 8620/8621), advertised in the session resource: */
#define JMAP_REQUEST_MAX	(10 * 1024 * 1024)	/* maxSizeRequest: one API request body */
#define JMAP_CALLS_MAX		64	/* maxCallsInRequest: method calls in one request */
#define JMAP_GET_MAX		1000	/* maxObjectsInGet: ids in one /get */
#define JMAP_SET_MAX		500	/* maxObjectsInSet: create+update+destroy in one /set */
#define JMAP_UPLOAD_MAX		(50 * 1024 * 1024)	/* maxSizeUpload: one blob */
#define JMAP_CONCURRENT_MAX	8	/* maxConcurrentRequests per account (also uploads) */
#define JMAP_UPLOADS_BYTES_MAX	(200 * 1024 * 1024)	/* uploaded blobs held in memory, all accounts */
#define JMAP_UPLOAD_KEEP	3600	/* seconds an uploaded blob is kept (RFC 8620 6.1: at least 1 h) */
#define JMAP_QUERY_LIMIT_MAX	5000	/* ids in one Email/query answer */
#define JMAP_SNAPS_MAX		8	/* mailbox row snapshots kept for Email/query (jmap_query.c) */
#define JMAP_CHANGES_MAX	5000	/* ids in one /changes answer (maxChanges is capped to it) */
#define JMAP_RESPONSE_MAX	(64 * 1024 * 1024)	/* one API response, serialised */
#define JMAP_PUSH_PER_ACCOUNT	4	/* open EventSource streams per account */
#define JMAP_PUSH_LIFETIME	3600	/* seconds one EventSource stream lasts; the client reconnects */
#define JMAP_PUSH_PING_MAX	300	/* seconds: the largest ping interval taken */
#define JMAP_REF_DEPTH_MAX	16	/* '*' levels in one result-reference path */
#define JMAP_AUTH_MAX		1024	/* decoded HTTP Basic credentials */
#define JMAP_JSON_DEPTH_MAX	64	/* nesting of a request's JSON */
#define JMAP_RECENT_MAX		50	/* recent recipients kept per account (address completion) */
#define JMAP_SUBMISSIONS_KEPT	100	/* EmailSubmission objects kept per account for /get and /query */
#define VACATION_SUBJECT_MAX	900	/* auto-reply subject (VacationResponse/set); the original's cut to it in "Auto: " (a Subject line stays under 998) */
#define VACATION_BODY_MAX	(64 * 1024)	/* auto-reply textBody, htmlBody each */
#define VACATION_REPLIED_MAX	1000	/* addresses remembered per account (CGP RepliedAddresses); the oldest forgotten */
#define VACATION_REPEAT		(7 * 86400)	/* seconds: at most one auto-reply per sender in this time (RFC 3834 2) */
#define VACATION_REFS_MAX	4000	/* the original's References carried into the reply, else only its id */
#define VACATION_MSGID_MAX	900	/* one message id taken for In-Reply-To/References (one line each, under 998) */
#define VACATION_SENDER_MAX	900	/* a longer envelope sender gets no auto-reply (its To: line would pass 998) */
#define VACATION_REPLY_MAX	(512 * 1024)	/* one auto-reply message */
#define JMAP_CHANGES_KEPT	256	/* changes logged per record kind in jmap.data (Identity, EmailSubmission); older states: cannotCalculateChanges */
#define JMAP_IDENTITIES_MAX	20	/* stored Identities per account */
#define JMAP_SIGNATURE_MAX	(64 * 1024)	/* one Identity signature or name */

/* SMTP out (src/delivery/smtp_out*.c): */
#define SMTP_REPLY_LINE_MAX	4096	/* one reply line of a remote server (RFC 5321 4.5.3.1.5: 512) */
#define SMTP_REPLY_LINES_MAX	200	/* lines of one multi-line reply (an EHLO list has ~20) */
#define SMTP_REPLY_TEXT_MAX	200	/* reply text kept: fits a queue error (QUEUE_TEXT_MAX 255) */
#define SMTP_OUT_RCPT_MAX	100	/* RCPTs per transaction (RFC 5321 4.5.3.1.8: servers take 100) */
#define SMTP_OUT_ADDRS_MAX	16	/* addresses tried per delivery attempt */
#define SMTP_OUT_TRACE_MAX	8192	/* last attempt's trace kept per destination; then cut */
#define SMTP_OUT_HOSTS_BUSY_MAX	1024	/* remote hosts with connections counted at once */
#define SMTP_OUT_SLOT_WAIT_MS	30000	/* a delivery waits this long for a connection slot */
#define SMTP_OUT_CONNS_MAX	10000	/* MaxOutgoingConnections ceiling */
#define SMTP_OUT_IDLE_MAX	32	/* idle connections kept for the next batch to a destination */
#define SMTP_OUT_IDLE_SECS	10	/* an idle connection is closed after this long */
#define SMTP_OUT_TRACES_MAX	1024	/* destinations with a kept trace (oldest dropped) */
#define SMTP_OUT_PARALLEL_MAX	8	/* connections one dispatcher call opens to a destination at once */
#define SMTP_OUT_SLICE_MSGS	16	/* messages at least per parallel connection */

/* HTTP (src/http/): */
#define HTTP_REQUEST_LINE_MAX	8192	/* request line; past it 414 (nginx: 8 KiB large buffer) */
#define HTTP_HEADER_LINE_MAX	8192	/* one header field line; past it 431 */
#define HTTP_HEADERS_MAX	100	/* header fields of one request; past it 431 (Apache: 100) */
#define HTTP_HEAD_MAX		(64 * 1024)	/* request line and all header lines; past it 431 */
#define HTTP_BODY_MAX		(1024 * 1024)	/* a request body unless the app says; past it 413 */
#define HTTP_BODY_LIMIT_MAX	(64UL * 1024 * 1024)	/* the largest body_max an app may set */
#define HTTP_RESPONSE_MAX	(64 * 1024 * 1024)	/* a buffered response body; past it 500 */
#define HTTP_STATIC_FILE_MAX	(16 * 1024 * 1024)	/* one static file served from the web root */
#define HTTP_CHUNK_LINE_MAX	1024	/* a chunk-size line with extensions; past it 400 */
#define HTTP_TRAILERS_MAX	32	/* trailer fields after a chunked body; past it 431 */
#define HTTP_HEADER_TIMEOUT_DEFAULT 20	/* HeaderTimeout, s: request line to the end of the headers */
#define HTTP_HEADER_TIMEOUT_MAX	600
#define HTTP_IDLE_TIMEOUT_DEFAULT 120	/* KeepAliveTimeout, s: waiting for the next request */
#define HTTP_IDLE_TIMEOUT_MAX	3600
#define HTTP_BODY_RATE_MIN	1024	/* bytes/s a request body (and an answer) must keep up */
#define HTTP_SEND_MIN_MS	(30 * 1000)	/* an answer may take this long plus its size at that rate */
#define HTTP_LINGER_MS		2000	/* draining a refused request before the close, ms */
#define HTTP_LINGER_MAX		(64UL * 1024 * 1024)	/* ... at most this many bytes */
#define HTTP_COOKIE_MAX		4096	/* one cookie value we look at */
#define HTTP_FORM_VALUE_MAX	(1024 * 1024)	/* a decoded form value (a Router Table) */
#define WEBADMIN_SESSIONS_MAX	4096	/* WebAdmin login sessions held at once; past it the oldest goes */
#define WEBADMIN_SESSION_TIMEOUT_DEFAULT 1800	/* SessionTimeout, s: idle WebAdmin session */
#define WEBADMIN_SESSION_TIMEOUT_MAX (7 * 86400)
#define WEBUSER_SESSIONS_MAX	16384	/* WebUser login sessions held at once; past it the least recently used goes */
#define WEBUSER_SESSION_TIMEOUT_DEFAULT 1800	/* SessionTimeout, s: idle WebUser session (CGP default not found) */
#define WEBUSER_SESSION_TIMEOUT_MAX (7 * 86400)
#define WU_JSON_BODY_MAX	(64 * 1024)	/* a webmail preferences or password POST */
#define WU_MESSAGES_PER_PAGE_MAX 200	/* MessagesPerPage: one JMAP page the webmail asks */
#define WU_SIGNATURE_MAX	4096	/* the Signature preference */
#define WU_PASSWORD_MIN		4	/* a new password set from the webmail */
#define WU_ADDRESSES_MAX	20	/* address completion answers */
#define WEBADMIN_API_BODY_MAX	(16 * 1024 * 1024)	/* a JSON command (SetRouterTable text) */
/* Directory and LDAP (src/directory, src/ldap; docs/ldap.md): */
#define DIR_DN_MAX		1024	/* a DN's text; account DNs need ~300 */
#define DIR_VALUE_MAX		65536	/* one attribute value (a certificate fits) */
#define DIR_VALUES_MAX		1024	/* attribute values of one record */
#define DIR_BATCH		1000	/* records per transaction in Insert All */
#define GROUP_MEMBERS_MAX	10000	/* members of one group (CGP groups are address lists) */
#define GROUP_NEST_MAX		8	/* groups within groups a delivery expands */
#define LDAP_VLV_LIST_MAX	(16 * 1024 * 1024)	/* a session's kept VLV list (ids, first keys) */
#define LDAP_VLV_CONTEXT_MAX	32	/* a VLV contextID a client sends back (ours are 16) */
#define LDAP_MEMBEROF_MAX	256	/* memberOf values computed for one entry */
#define DIR_SEARCH_BATCH	256	/* records a search takes per lock hold */
#define LDAP_PDU_MAX		(1024 * 1024)	/* one LDAPMessage; a 2 GB length is refused */
#define LDAP_FILTER_DEPTH_MAX	32	/* nested and/or/not in a search filter */
#define LDAP_FILTER_ITEMS_MAX	512	/* items in one filter */
#define LDAP_ATTRS_MAX		128	/* attributes a search asks for */
#define LDAP_CONTROLS_MAX	16	/* controls on one request */
#define LDAP_SIZELIMIT_DEFAULT	10000	/* SizeLimit: entries of one search (not paged) */
#define LDAP_SIZELIMIT_MAX	1000000
#define LDAP_TIMELIMIT_DEFAULT	60	/* TimeLimit, s: one search */
#define LDAP_TIMELIMIT_MAX	3600
#define LDAP_IDLE_TIMEOUT_MS	(10 * 60 * 1000)	/* between requests */
#define LDAP_HIBERNATE_DEFAULT	5	/* HibernateAfter, s: as POP's */
#define LDAP_HIBERNATE_MAX	3600	/* HibernateAfter: an hour at most */
#define LDAP_WRITE_TIMEOUT_MS	(60 * 1000)
#define LDAP_ERRORS_MAX		20	/* bad requests before the connection is closed */
#define LDAP_SORT_KEYS_MAX	4	/* keys of one server-side sort */
#define LDAP_PENDING_MAX	8	/* requests read ahead while a search runs (abandon) */
#define LDAP_DRAIN_MAX		65536	/* unread input dropped before a close, so the notice is not reset away */

#endif
