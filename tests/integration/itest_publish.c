/* fixtures: */
/* itest_publish.c: the publisher and the reader as library calls (node/publish.h,
 * node/read.h), the way the gateway calls them: from several threads at once, with the
 * blob in memory, against four reference storage nodes run in this process from a
 * committee file. Store only (no chain): `blob put --committee` covers the same code with
 * a chain in integration_blob_put_chain. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/util.h"
#include "node/committee.h"
#include "node/publish.h"
#include "node/read.h"
#include "node/server.h"
#include "tests/harness/harness.h"

#define NNODES 4

static char dir[] = "/tmp/assay-itest-publish.XXXXXX";
static char committee_path[256];
static char listens[NNODES][32];
static char datas[NNODES][300];
static struct node_server_config cfgs[NNODES];
static pthread_t servers[NNODES];
static volatile sig_atomic_t stop_servers;

/* A free port, its socket kept open in *fd until all are chosen (so no two are alike). */
static unsigned free_port(int *fd)
{
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	ck_assert(*fd >= 0);
	ck_assert(bind(*fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	ck_assert(getsockname(*fd, (struct sockaddr *)&a, &len) == 0);
	return ntohs(a.sin_port);
}

static void *serve(void *arg)
{
	struct node_server_config *c = arg;
	struct err e = {{0}};
	if (!node_server_run(c, &stop_servers, &e))
		fprintf(stderr, "node %u: %s\n", c->index, e.msg);
	return NULL;
}

/* Waits until the node accepts connections (it binds when it starts). */
static void wait_listening(unsigned port)
{
	for (int i = 0; i < 2400; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (rc == 0)
			return;
		struct timespec ts = {0, 25 * 1000000L};
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("node on port %u never listened", port);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	static const char *const shards[NNODES] = {"[0, 1]", "[2, 3]", "[4, 5]", "[6]"};
	unsigned ports[NNODES];
	int fds[NNODES];
	snprintf(committee_path, sizeof(committee_path), "%s/committee.json", dir);
	FILE *f = fopen(committee_path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"n_shards\": 7, \"nodes\": [");
	for (int i = 0; i < NNODES; i++) {
		ports[i] = free_port(&fds[i]);
		snprintf(listens[i], sizeof(listens[i]), "127.0.0.1:%u", ports[i]);
		snprintf(datas[i], sizeof(datas[i]), "%s/node%d", dir, i);
		fprintf(f, "%s{\"url\": \"http://127.0.0.1:%u\", \"shards\": %s}", i ? "," : "",
			ports[i], shards[i]);
	}
	fprintf(f, "]}\n");
	fclose(f);
	for (int i = 0; i < NNODES; i++)
		close(fds[i]);
	for (int i = 0; i < NNODES; i++) {
		cfgs[i] = (struct node_server_config){.listen = listens[i],
						      .data_dir = datas[i],
						      .committee_path = committee_path,
						      .index = (uint32_t)i,
						      .threads = 4};
		ck_assert_int_eq(pthread_create(&servers[i], NULL, serve, &cfgs[i]), 0);
	}
	for (int i = 0; i < NNODES; i++)
		wait_listening(ports[i]);
}

static void teardown(void)
{
	stop_servers = 1;
	for (int i = 0; i < NNODES; i++)
		pthread_join(servers[i], NULL);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct job {
	const struct node_committee *cm;
	size_t len;
	uint8_t seed;
	size_t steps;
	bool ok, read_ok, same;
	struct node_publish_result r;
	struct err e;
};

static void count_step(void *arg, size_t done, size_t total, uint64_t blob_len)
{
	(void)total;
	(void)blob_len;
	if (done)
		((struct job *)arg)->steps++;
}

static void *publish_and_read(void *arg)
{
	struct job *j = arg;
	uint8_t *data = xmalloc(j->len + 1);
	for (size_t i = 0; i < j->len; i++)
		data[i] = (uint8_t)(i * 31 + j->seed);
	struct node_publish_req req = {.committee = j->cm,
				       .data = data,
				       .len = j->len,
				       .epochs = 1,
				       .timeout_ms = 60000,
				       .progress = {count_step, NULL, j}};
	j->ok = node_publish(&req, &j->r, &j->e);
	if (j->ok) {
		struct node_read_req rr = {.committee = j->cm, .timeout_ms = 60000};
		memcpy(rr.blob_id, j->r.blob_id, 32);
		uint8_t *back = NULL;
		size_t blen = 0;
		j->read_ok = node_read(&rr, &back, &blen, &j->e);
		j->same = j->read_ok && blen == j->len && !memcmp(back, data, j->len);
		free(back);
	}
	free(data);
	return NULL;
}

START_TEST(concurrent_publishes_read_back)
{
	struct err e = {{0}};
	struct node_committee *cm = NULL;
	ck_assert_msg(node_committee_current(NULL, committee_path, NULL, 0, &cm, &e), "%s", e.msg);
	static const size_t lens[] = {1, 1000, 70000, 300001};
	struct job jobs[4];
	pthread_t th[4];
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 4; i++) {
		jobs[i].cm = cm;
		jobs[i].len = lens[i];
		jobs[i].seed = (uint8_t)(7 * i + 1);
		ck_assert_int_eq(pthread_create(&th[i], NULL, publish_and_read, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		struct job *j = &jobs[i];
		ck_assert_msg(j->ok, "publish %d: %s", i, j->e.msg);
		ck_assert_int_eq(j->r.stage, NODE_PUBLISH_DONE);
		ck_assert_uint_eq(j->r.stored_shards, 7);
		ck_assert_uint_eq(j->r.needed_shards, 5);
		ck_assert_uint_eq(j->r.size, lens[i]);
		ck_assert_uint_eq(j->steps, 14); /* every sliver pair, both axes */
		ck_assert_msg(j->read_ok, "read %d: %s", i, j->e.msg);
		ck_assert_msg(j->same, "read %d: other bytes than published", i);
		node_publish_result_clear(&j->r);
	}
	node_committee_free(cm);
}
END_TEST

START_TEST(cancelled_publish_stores_nothing)
{
	struct err e = {{0}};
	struct node_committee *cm = NULL;
	ck_assert_msg(node_committee_current(NULL, committee_path, NULL, 0, &cm, &e), "%s", e.msg);
	atomic_bool cancel = true;
	static const uint8_t data[] = "never stored";
	struct node_publish_req req = {.committee = cm, .data = data, .len = sizeof(data),
				       .epochs = 1, .timeout_ms = 60000, .cancel = &cancel};
	struct node_publish_result r;
	ck_assert(!node_publish(&req, &r, &e));
	ck_assert_int_eq(r.stage, NODE_PUBLISH_FAILED_EARLY);
	ck_assert_str_eq(e.msg, "the publish was cancelled");
	ck_assert_uint_eq(r.stored_shards, 0);
	struct node_read_req rr = {.committee = cm, .timeout_ms = 60000};
	memcpy(rr.blob_id, r.blob_id, 32);
	uint8_t *back = NULL;
	size_t blen = 0;
	ck_assert(!node_read(&rr, &back, &blen, &e));
	ck_assert_str_eq(e.msg, "no node has metadata that matches the blob ID");
	node_publish_result_clear(&r);
	node_committee_free(cm);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("publish");
	TCase *tc = tcase_create("store only");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, concurrent_publishes_read_back);
	tcase_add_test(tc, cancelled_publish_stores_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
