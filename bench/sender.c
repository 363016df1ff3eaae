/* sender.c: 1000 transfers to anvil through the transaction sender (each saved in
 * PostgreSQL before broadcast, each receipt confirmed), beside sequential `cast send`
 * calls and beside one JSON-RPC batch of the same number of pre-signed transactions (the
 * chain's ceiling). Starts its own anvil and PostgreSQL with deploy/ and stops them.
 *
 *   cmake --build build --target bench_sender assay && build/bench/bench_sender [N] [CAST_N]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/tx.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "sql/db.h"
#include "sql/txstore.h"

static char state_dir[128];
static char root[512];

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench_sender: %s: %s\n", what, e ? e->msg : "failed");
	exit(1);
}

static char *read_line(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", state_dir, rel);
	uint8_t *data;
	size_t len;
	struct err e;
	if (!read_file(path, 4096, &data, &len, &e))
		die(path, &e);
	char *s = xstrndup((const char *)data, strcspn((const char *)data, "\n"));
	free(data);
	return s;
}

static void stop_all(void)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "%s/deploy/anvil.sh stop %s/anvil >/dev/null 2>&1; "
		 "%s/deploy/pg.sh stop %s/pg >/dev/null 2>&1; rm -rf %s",
		 root, state_dir, root, state_dir, state_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_sender: stopping anvil/PostgreSQL failed\n");
}

static void call(struct chain_rpc *rpc, const char *method, const char *params)
{
	char *out;
	struct err e;
	if (!chain_rpc_call(rpc, method, params, &out, &e))
		die(method, &e);
	free(out);
}

static struct chain_key *funded_key(struct chain_rpc *rpc, char hex_secret[67])
{
	uint8_t secret[32];
	if (getrandom(secret, 32, 0) != 32)
		die("getrandom", NULL);
	secret[0] = 0x22;
	hex_secret[0] = '0';
	hex_secret[1] = 'x';
	hex_encode(hex_secret + 2, secret, 32);
	struct chain_key *k;
	struct err e;
	if (!chain_key_from_bytes(&k, secret, &e))
		die("key", &e);
	wipe(secret, 32);
	uint8_t a[20];
	char ah[41], params[160];
	chain_key_address(k, a);
	hex_encode(ah, a, 20);
	snprintf(params, sizeof(params), "[\"0x%s\", \"0x56bc75e2d63100000000\"]", ah);
	call(rpc, "anvil_setBalance", params);
	return k;
}

static void mine_one(void *arg)
{
	call(arg, "anvil_mine", "[\"0x1\"]");
}

static double secs(uint64_t t0)
{
	return (double)(now_ms() - t0) / 1000.0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	size_t cast_n = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
	const char *src = getenv("ASSAY_SOURCE_DIR");
	snprintf(root, sizeof(root), "%s", src ? src : ".");
	snprintf(state_dir, sizeof(state_dir), "/tmp/assay-bench-sender-%ld", (long)getpid());
	log_set_level(LOG_WARN);
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "%s/deploy/anvil.sh start %s/anvil >/dev/null && %s/deploy/pg.sh start %s/pg "
		 ">/dev/null",
		 root, state_dir, root, state_dir);
	if (system(cmd) != 0) {
		stop_all();
		die("starting anvil and PostgreSQL (run from the source tree or set "
		    "ASSAY_SOURCE_DIR)", NULL);
	}
	atexit(stop_all);
	char *url = read_line("anvil/url");
	char *pg = read_line("pg/url");
	struct err e;
	struct chain_rpc *rpc;
	if (!chain_rpc_new(&rpc, url, NULL, &e))
		die("rpc", &e);
	struct db *db;
	if (!db_open(&db, pg, 10, &e) || !db_migrate(db, NULL, NULL, &e))
		die("database", &e);
	uint8_t to[20] = {0x0b, 0xe7, 0xc4};

	/* 1. The sender: sign + save + batch broadcast, receipts polled in batches. */
	char sk[67];
	struct chain_key *k1 = funded_key(rpc, sk);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	chain_sender_cfg_defaults(&cfg);
	cfg.confirmations = 2;
	cfg.batch = 500;
	cfg.between_polls = mine_one;
	cfg.between_polls_arg = rpc;
	struct chain_sender *s;
	if (!chain_sender_new(&s, rpc, k1, &store, &cfg, &e))
		die("sender", &e);
	struct chain_send_req *reqs = xcalloc(n, sizeof(*reqs));
	int64_t *ids = xcalloc(n, sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		reqs[i].to = to;
		chain_u256_from_u64(&reqs[i].value, 1);
		reqs[i].gas_limit = 21000;
		reqs[i].purpose = "bench";
	}
	uint64_t t0 = now_ms();
	if (!chain_sender_submit_many(s, reqs, n, ids, &e) || !chain_sender_wait_all(s, &e))
		die("sender run", &e);
	double t_sender = secs(t0);
	struct chain_sender_stats st;
	chain_sender_stats(s, &st);
	if (st.confirmed != n)
		fprintf(stderr, "bench_sender: only %llu of %zu confirmed\n",
			(unsigned long long)st.confirmed, n);
	chain_sender_free(s);

	/* 2. cast send, one after the other (each waits for its receipt). */
	struct chain_key *k2 = funded_key(rpc, sk);
	char cast[1200];
	snprintf(cast, sizeof(cast), "%s/node_modules/@foundry-rs/cast-linux-amd64/bin/cast", root);
	t0 = now_ms();
	for (size_t i = 0; i < cast_n; i++) {
		snprintf(cmd, sizeof(cmd),
			 "%s send --rpc-url %s --private-key %s --value 1 "
			 "0x0be7c40000000000000000000000000000000000 >/dev/null",
			 cast, url, sk);
		if (system(cmd) != 0)
			die("cast send", NULL);
	}
	double t_cast = secs(t0);
	wipe(sk, sizeof(sk));

	/* 3. The ceiling: the same number pre-signed, one batch, receipts in one batch. */
	struct chain_key *k3 = funded_key(rpc, sk);
	wipe(sk, sizeof(sk));
	uint64_t chain_id;
	if (!chain_rpc_chain_id(rpc, &chain_id, &e))
		die("chain id", &e);
	struct chain_rpc_batch *b = chain_rpc_batch_new();
	struct chain_rpc_batch *rb = chain_rpc_batch_new();
	for (size_t i = 0; i < n; i++) {
		struct chain_tx tx;
		chain_tx_init(&tx);
		tx.chain_id = chain_id;
		tx.nonce = i;
		chain_u256_from_u64(&tx.max_fee_per_gas, 10000000000ull);
		chain_u256_from_u64(&tx.max_priority_fee_per_gas, 1000000000ull);
		tx.gas_limit = 21000;
		tx.has_to = true;
		memcpy(tx.to, to, 20);
		chain_u256_from_u64(&tx.value, 1);
		struct buf raw = BUF_INIT;
		uint8_t hash[32];
		if (!chain_tx_sign(&tx, k3, &raw, hash, &e))
			die("sign", &e);
		char *hex = hex_encode_0x_new(raw.data, raw.len);
		chain_rpc_batch_add(b, "eth_sendRawTransaction", json_pack("[s]", hex));
		free(hex);
		hex = hex_encode_0x_new(hash, 32);
		chain_rpc_batch_add(rb, "eth_getTransactionReceipt", json_pack("[s]", hex));
		free(hex);
		buf_free(&raw);
		chain_tx_clear(&tx);
	}
	t0 = now_ms();
	if (!chain_rpc_batch_send(rpc, b, &e))
		die("raw batch", &e);
	for (;;) {
		if (!chain_rpc_batch_send(rpc, rb, &e))
			die("receipts batch", &e);
		size_t have = 0;
		for (size_t i = 0; i < n; i++) {
			json_t *r;
			if (chain_rpc_batch_result(rb, i, &r, NULL, NULL, &e) && !json_is_null(r))
				have++;
		}
		if (have == n)
			break;
	}
	double t_batch = secs(t0);

	double r_sender = (double)n / t_sender, r_cast = (double)cast_n / t_cast,
	       r_batch = (double)n / t_batch;
	printf("transfers to anvil, %zu each (cast: %zu sequential sends, rate scaled)\n", n,
	       cast_n);
	printf("  assay sender (saved in PostgreSQL first, %llu confirmations): %8.1f tx/s (%.2f s)\n",
	       (unsigned long long)cfg.confirmations, r_sender, t_sender);
	printf("  cast send, sequential:                              %8.1f tx/s (%.2f s for %zu)\n",
	       r_cast, t_cast, cast_n);
	printf("  one JSON-RPC batch of pre-signed txs (ceiling):     %8.1f tx/s (%.2f s)\n",
	       r_batch, t_batch);
	printf("  sender / cast = %.1fx (goal >= 10x); sender / ceiling = %.2f (goal >= 0.5)\n",
	       r_sender / r_cast, r_sender / r_batch);
	printf("  sender: %llu RPC batches, %llu broadcasts, %llu confirmed\n",
	       (unsigned long long)st.rpc_batches, (unsigned long long)st.broadcasts,
	       (unsigned long long)st.confirmed);
	chain_rpc_batch_free(b);
	chain_rpc_batch_free(rb);
	free(reqs);
	free(ids);
	chain_key_free(k1);
	chain_key_free(k2);
	chain_key_free(k3);
	db_close(db);
	chain_rpc_free(rpc);
	free(url);
	free(pg);
	return 0;
}
