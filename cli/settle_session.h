/* settle_session.h: the settle and view commands open settle/session.h from the settings. */
#ifndef ASSAY_CLI_SETTLE_SESSION_H
#define ASSAY_CLI_SETTLE_SESSION_H

#include <stdbool.h>
#include "settle/session.h"

struct command;

/* Opens what `need` asks for; prints the failure (cli_fail) and returns false. */
bool cli_settle_session_open(const struct command *cmd, struct settle_session *s, int need);

#endif
