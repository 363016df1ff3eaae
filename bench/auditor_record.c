/* auditor_record.c: recording rate of challenge records through db_challenges_copy()
 * (binary COPY in batches of BATCH rows, default 1000; the auditor's writer thread writes
 * at least flush-rows = 5000 at once when results come faster than that in 500 ms).
 * bench/auditor.sh puts it beside psql's \copy of the same rows.
 *   bench_auditor_record CONNINFO EPOCH [ROWS [BATCH]] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sql/challenges.h"
#include "sql/db.h"

int main(int argc, char **argv)
{
	uint64_t epoch, rows = 200000, batch = 1000;
	if (argc < 3 || !parse_u64(argv[2], &epoch) || (argc > 3 && !parse_u64(argv[3], &rows)) ||
	    (argc > 4 && (!parse_u64(argv[4], &batch) || batch == 0))) {
		fprintf(stderr, "usage: bench_auditor_record CONNINFO EPOCH [ROWS [BATCH]]\n");
		return 2;
	}
	struct err e;
	struct db *db = NULL;
	if (!db_open(&db, argv[1], 10, &e) || !db_migrate(db, NULL, NULL, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	const size_t BATCH = (size_t)batch;
	struct db_challenge_row *v = xcalloc(BATCH, sizeof(*v));
	uint64_t t0 = now_ms();
	for (uint64_t done = 0; done < rows;) {
		size_t n = rows - done < BATCH ? (size_t)(rows - done) : BATCH;
		for (size_t i = 0; i < n; i++) {
			struct db_challenge_row *r = &v[i];
			memset(r, 0, sizeof(*r));
			r->epoch = epoch;
			memset(r->auditor, 0xa1, 20);
			r->seq = done + i;
			r->node_id[0] = (uint8_t)(r->seq % 7);
			memset(r->blob_id, (int)(r->seq % 251), 32);
			r->shard = (uint32_t)(r->seq % 1000);
			r->symbol_row = (uint32_t)(r->seq % 997);
			r->symbol_col = (uint32_t)(r->seq % 991);
			r->secondary = r->seq & 1;
			r->issued_at_ms = 1700000000000ull + r->seq;
			r->latency_ms = (uint32_t)(r->seq % 50);
			r->outcome = "pass";
			r->http_status = 200;
			r->has_hash = true;
			memset(r->response_hash, (int)(r->seq % 256), 32);
		}
		if (!db_challenges_copy(db, v, n, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		done += n;
	}
	uint64_t ms = now_ms() - t0;
	printf("db_challenges_copy: %" PRIu64 " rows in %" PRIu64 " ms: %.0f rows/s\n", rows, ms,
	       (double)rows * 1000.0 / (double)(ms ? ms : 1));
	free(v);
	db_close(db);
	return 0;
}
