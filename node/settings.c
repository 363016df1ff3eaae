/* settings.c: the storage node's settings. */
#include "node/settings.h"

#include "chain/settings.h"
#include "node/follow.h"
#include "node/server.h"

struct node_settings node_settings;

const struct opt node_settings_table[] = {
	{"node-poll-ms", 0, OPT_U64, &node_settings.poll_ms, "MS",
	 "node: re-read the committee and new certified blobs from the chain this often", "3000",
	 true},
	OPT_END,
};

void node_server_config_from_settings(struct node_server_config *c)
{
	c->rpc_url = chain_settings.rpc_url;
	c->deployment_path = chain_settings.deployment;
	c->rpc_timeout_ms = chain_settings.rpc_timeout_ms;
	c->confirmations = chain_settings.confirmations;
	c->poll_ms = node_settings.poll_ms ? node_settings.poll_ms : 1;
}

void node_follow_cfg_from_settings(struct node_follow_cfg *c)
{
	c->rpc_url = chain_settings.rpc_url;
	c->deployment_path = chain_settings.deployment;
	c->rpc_timeout_ms = chain_settings.rpc_timeout_ms;
	c->confirmations = chain_settings.confirmations;
}
