/* settings.h: the storage node's settings of the program ('assay node serve' following
 * the chain; a core/config.h table registered by the CLI), and the chain part of the
 * server's configuration made from them and the chain's settings. */
#ifndef ASSAY_NODE_SETTINGS_H
#define ASSAY_NODE_SETTINGS_H

#include <stdint.h>

#include "core/config.h"

struct node_server_config;
struct node_follow_cfg;

struct node_settings {
	uint64_t poll_ms; /* re-read the committee and new certified blobs this often */
};
extern struct node_settings node_settings;
extern const struct opt node_settings_table[];

/* rpc_url, deployment_path, rpc_timeout_ms, confirmations and poll_ms (at least 1). */
void node_server_config_from_settings(struct node_server_config *c);
/* rpc_url, deployment_path, rpc_timeout_ms and confirmations (recovery once: no poll). */
void node_follow_cfg_from_settings(struct node_follow_cfg *c);

#endif
