/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: the CLI (the original's PWD protocol extended with administration
 * commands, docs/admin-cli.md), served over TCP (service `cli`, port 106,
 * USER/PASS login, rights checked) and over the owner-only control socket
 * <base>/ControlSocket (trusted as postmaster), which `tegami` uses.
 *
 * Replies: "200 OK" / "200 data follow" + data line / "201 <data>" after
 * INLINE / "300 ..." password needed / "500 ..." unknown command or user /
 * "501 <error text>".
 */
#ifndef TEGAMI_CLI_CLI_H
#define TEGAMI_CLI_CLI_H

#include "lib/compat.h"

#include "lib/error.h"

struct conn;
struct server;
struct settings_table;

/* Settings/PWD.settings: HibernateAfter (TCP sessions after login). */
extern const struct settings_table cli_settings_table;

/* Registers the `cli` service handler with the listener layer. */
int	cli_register(struct server *srv, struct error *err_r);
/* Runs one CLI session on c.  trusted: already postmaster (control socket). */
void	cli_session_run(struct server *srv, struct conn *c, bool trusted);

/* The control socket <base>/ControlSocket: created mode 0600, one thread
 * accepting, one thread per connection. */
int	cli_control_start(struct server *srv, struct error *err_r);
void	cli_control_stop(void);

/* Applies the LogLevel of every registered log module's settings file
 * (Settings/<MODULE>.settings) to the log module. */
void	cli_apply_log_levels(struct server *srv);

#endif
