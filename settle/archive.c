/* archive.c: settle/archive.h, in the format sql/ARCHIVE.md describes. */
#include "settle/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/keccak.h"
#include "core/encoding.h"
#include "core/err.h"
#include "settle/evidence.h"
#include "settle/score.h"
#include "sql/challenges.h"
#include "sql/settle.h"

#define FORMAT_NAME "assay.challenges.archive"
#define FORMAT_VERSION 2 /* 2: the committee, for evidence tree version 2 */
/* A row line is a few hundred bytes; a longer one is not ours. */
#define LINE_MAX_BYTES 4096

char *settle_archive_path_new(const char *dir, uint64_t epoch, const uint8_t auditor[20])
{
	char aud[41];
	hex_encode(aud, auditor, 20);
	return xasprintf("%s/challenges-e%" PRIu64 "-0x%s.jsonl", dir, epoch, aud);
}

static json_t *jhex(const uint8_t *d, size_t n)
{
	char *s = hex_encode_0x_new(d, n);
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* ---- writing ---- */

struct writer {
	FILE *f;
	struct chain_keccak k;
	uint64_t rows;
	const char *path;
};

static bool put_line(struct writer *w, json_t *o, struct err *e)
{
	char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!t)
		return err_set(e, "archiving: a record cannot be written as JSON");
	size_t len = strlen(t);
	t[len] = '\n'; /* json_dumps's NUL becomes the line's end */
	chain_keccak_update(&w->k, t, len + 1);
	bool ok = fwrite(t, 1, len + 1, w->f) == len + 1;
	free(t);
	if (!ok)
		return err_set(e, "cannot write %s: %s", w->path, strerror(errno));
	return true;
}

static bool put_row(void *ctx, const struct db_challenge_row *r, struct err *e)
{
	struct writer *w = ctx;
	json_t *o = json_pack("{s:I,s:i,s:o,s:o,s:I,s:I,s:I,s:s,s:I,s:I,s:s}", "seq",
			      (json_int_t)r->seq, "attempt", (int)r->attempt, "node",
			      jhex(r->node_id, 20), "blob", jhex(r->blob_id, 32), "shard",
			      (json_int_t)r->shard, "row", (json_int_t)r->symbol_row, "col",
			      (json_int_t)r->symbol_col, "axis", r->secondary ? "secondary" : "primary",
			      "issued_at_ms", (json_int_t)r->issued_at_ms, "latency_ms",
			      (json_int_t)r->latency_ms, "outcome", r->outcome);
	if (!o)
		return err_set(e, "archiving: challenge seq %" PRIu64 " cannot be written", r->seq);
	json_object_set_new(o, "http_status",
			    r->http_status ? json_integer((json_int_t)r->http_status) : json_null());
	json_object_set_new(o, "response_hash",
			    r->has_hash ? jhex(r->response_hash, 32) : json_null());
	json_object_set_new(o, "detail", r->detail[0] ? json_string(r->detail) : json_null());
	w->rows++;
	return put_line(w, o, e);
}

static bool sync_close(FILE *f, const char *path, struct err *e)
{
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	int saved = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (!ok)
		return err_set(e, "cannot write %s: %s", path, strerror(saved));
	return true;
}

static bool same_header(const struct settle_archive_header *a, const struct settle_archive_header *b)
{
	return a->epoch == b->epoch && !memcmp(a->auditor, b->auditor, 20) && a->m == b->m &&
	       !memcmp(a->committee, b->committee, a->m * 20) && a->rows == b->rows &&
	       a->decided == b->decided && !memcmp(a->evidence_root, b->evidence_root, 32) &&
	       !memcmp(a->body_keccak, b->body_keccak, 32);
}

bool settle_archive_write(struct db *db, const char *dir, uint64_t epoch,
			  const uint8_t auditor[20], const uint8_t (*committee)[20], size_t m,
			  char **path, struct settle_archive_header *hdr, struct err *e)
{
	struct settle_record *recs = NULL;
	size_t nrecs = 0;
	struct settle_evidence *ev = NULL;
	struct writer w = {0};
	FILE *out = NULL;
	char *final = settle_archive_path_new(dir, epoch, auditor);
	/* The body goes first to its own file, since the header names its checksum. */
	char *body = xasprintf("%s.body.tmp", final), *tmp = xasprintf("%s.tmp", final);
	bool ok = false, body_made = false, tmp_made = false;
	struct settle_archive_header h = {0}, back;
	*path = NULL;
	memset(hdr, 0, sizeof(*hdr));
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		err_set(e, "cannot make the archive directory %s: %s", dir, strerror(errno));
		goto out;
	}
	/* The tree as the settle job and evidence prove build it from the database: over the
	 * committee of the epoch's scored attestation. */
	if (!settle_evidence_load(db, epoch, auditor, &ev, &recs, &nrecs, e))
		goto out;
	if (!ev && (!settle_records_load(db, epoch, auditor, &recs, &nrecs, e) ||
		    !settle_evidence_new(&ev, committee, m, recs, nrecs, e)))
		goto out;
	h.m = settle_evidence_nodes(ev);
	if (h.m > SETTLE_ARCHIVE_MAX_COMMITTEE) {
		err_set(e, "epoch %" PRIu64 "'s committee has %zu members, more than %d", epoch, h.m,
			SETTLE_ARCHIVE_MAX_COMMITTEE);
		goto out;
	}
	for (size_t i = 0; i < h.m; i++)
		settle_evidence_member(ev, i, h.committee[i]);
	h.epoch = epoch;
	memcpy(h.auditor, auditor, 20);
	h.decided = nrecs;
	settle_evidence_root(ev, h.evidence_root);

	w.path = body;
	chain_keccak_init(&w.k);
	if (!(w.f = fopen(body, "w"))) {
		err_set(e, "cannot create %s: %s", body, strerror(errno));
		goto out;
	}
	body_made = true;
	bool walked = db_challenges_each(db, epoch, auditor, put_row, &w, e);
	FILE *bf = w.f;
	w.f = NULL;
	if (!sync_close(bf, body, walked ? e : &(struct err){{0}}) || !walked)
		goto out;
	h.rows = w.rows;
	chain_keccak_final(&w.k, h.body_keccak);

	/* header line, then the body */
	if (!(out = fopen(tmp, "w"))) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	tmp_made = true;
	json_t *jc = json_array();
	for (size_t i = 0; i < h.m; i++)
		json_array_append_new(jc, jhex(h.committee[i], 20));
	json_t *jh = json_pack("{s:s,s:i,s:I,s:o,s:o,s:I,s:I,s:o,s:o}", "format", FORMAT_NAME,
			       "version", FORMAT_VERSION, "epoch", (json_int_t)epoch, "auditor",
			       jhex(auditor, 20), "committee", jc, "rows", (json_int_t)h.rows,
			       "decided", (json_int_t)h.decided, "evidence_root",
			       jhex(h.evidence_root, 32), "body_keccak256", jhex(h.body_keccak, 32));
	char *ht = jh ? json_dumps(jh, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(jh);
	if (!ht) {
		err_set(e, "archiving: the header cannot be written");
		goto out;
	}
	bool wrote = fputs(ht, out) >= 0 && fputc('\n', out) != EOF;
	free(ht);
	FILE *in = fopen(body, "r");
	if (!in) {
		err_set(e, "cannot read %s: %s", body, strerror(errno));
		goto out;
	}
	char chunk[1 << 16];
	size_t got;
	while (wrote && (got = fread(chunk, 1, sizeof(chunk), in)) > 0)
		wrote = fwrite(chunk, 1, got, out) == got;
	bool read_ok = !ferror(in);
	fclose(in);
	if (!wrote || !read_ok) {
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	FILE *of = out;
	out = NULL;
	if (!sync_close(of, tmp, e))
		goto out;
	if (rename(tmp, final) != 0) {
		err_set(e, "cannot rename %s to %s: %s", tmp, final, strerror(errno));
		goto out;
	}
	tmp_made = false;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		err_set(e, "cannot fsync the archive directory %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);

	/* Read back what is on disk now: it must be exactly what the database gave. */
	if (!settle_archive_load(final, &back, NULL, NULL, e))
		goto out;
	if (!same_header(&back, &h)) {
		err_set(e, "%s, read back, does not describe what the database holds", final);
		goto out;
	}
	*hdr = h;
	*path = final;
	final = NULL;
	ok = true;
out:
	if (w.f)
		fclose(w.f);
	if (out)
		fclose(out);
	if (body_made)
		unlink(body);
	if (tmp_made)
		unlink(tmp);
	settle_evidence_free(ev);
	free(recs);
	free(final);
	free(body);
	free(tmp);
	return ok;
}

/* ---- reading ---- */

static bool get_u64(json_t *o, const char *key, uint64_t max, uint64_t *v)
{
	json_t *j = json_object_get(o, key);
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) > max)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

static bool get_hex(json_t *o, const char *key, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && strlen(s) == 2 + 2 * len && hex_decode_exact(out, len, s, NULL);
}

static bool parse_header(const char *line, const char *path, struct settle_archive_header *h,
			 struct err *e)
{
	json_error_t je;
	json_t *o = json_loads(line, 0, &je);
	uint64_t version = 0;
	const char *format = json_string_value(json_object_get(o, "format"));
	bool ok = o && json_is_object(o) && format && !strcmp(format, FORMAT_NAME);
	if (!ok) {
		json_decref(o);
		return err_set(e, "%s is not a challenge archive (its first line is not an %s header)",
			       path, FORMAT_NAME);
	}
	if (!get_u64(o, "version", 255, &version) || version != FORMAT_VERSION) {
		json_decref(o);
		return err_set(e, "%s is a challenge archive of version %" PRIu64 "; this assay reads "
				  "version %d",
			       path, version, FORMAT_VERSION);
	}
	json_t *jc = json_object_get(o, "committee");
	ok = json_is_array(jc) && json_array_size(jc) <= SETTLE_ARCHIVE_MAX_COMMITTEE;
	h->m = ok ? json_array_size(jc) : 0;
	for (size_t i = 0; ok && i < h->m; i++) {
		const char *a = json_string_value(json_array_get(jc, i));
		ok = a && strlen(a) == 42 && hex_decode_exact(h->committee[i], 20, a, NULL);
	}
	ok = ok && get_u64(o, "epoch", INT64_MAX, &h->epoch) &&
	     get_hex(o, "auditor", h->auditor, 20) &&
	     get_u64(o, "rows", INT64_MAX, &h->rows) && get_u64(o, "decided", INT64_MAX, &h->decided) &&
	     get_hex(o, "evidence_root", h->evidence_root, 32) &&
	     get_hex(o, "body_keccak256", h->body_keccak, 32);
	json_decref(o);
	if (!ok)
		return err_set(e, "%s: the archive header lacks a field or has one malformed", path);
	return true;
}

/* One body line into the row the database path reads (sql/settle.h). */
static bool parse_row(const char *line, struct db_settle_attempt *a)
{
	json_t *o = json_loads(line, 0, NULL);
	uint64_t att, shard, row, col, lat, issued;
	const char *axis = json_string_value(json_object_get(o, "axis"));
	const char *outcome = json_string_value(json_object_get(o, "outcome"));
	json_t *rh = json_object_get(o, "response_hash");
	bool ok = json_is_object(o) && get_u64(o, "seq", INT64_MAX, &a->seq) &&
		  get_u64(o, "attempt", UINT16_MAX, &att) && get_hex(o, "node", a->node, 20) &&
		  get_hex(o, "blob", a->blob, 32) && get_u64(o, "shard", UINT32_MAX, &shard) &&
		  get_u64(o, "row", UINT32_MAX, &row) && get_u64(o, "col", UINT32_MAX, &col) &&
		  get_u64(o, "latency_ms", UINT32_MAX, &lat) &&
		  get_u64(o, "issued_at_ms", INT64_MAX, &issued) && axis &&
		  (!strcmp(axis, "primary") || !strcmp(axis, "secondary")) && outcome &&
		  strlen(outcome) < sizeof(a->outcome) && (json_is_null(rh) || json_is_string(rh));
	if (ok) {
		a->attempt = (uint32_t)att;
		a->shard = (uint32_t)shard;
		a->row = (uint32_t)row;
		a->col = (uint32_t)col;
		a->latency_ms = (uint32_t)lat;
		a->secondary = !strcmp(axis, "secondary");
		snprintf(a->outcome, sizeof(a->outcome), "%s", outcome);
		a->has_hash = json_is_string(rh);
		if (a->has_hash)
			ok = get_hex(o, "response_hash", a->response_hash, 32);
	}
	json_decref(o);
	return ok;
}

bool settle_archive_load(const char *path, struct settle_archive_header *hdr,
			 struct settle_record **decided, size_t *n, struct err *e)
{
	struct settle_archive_header h = {0};
	struct db_settle_attempt *rows = NULL;
	size_t nrows = 0, cap = 0;
	struct settle_record *recs = NULL;
	size_t nrecs = 0;
	struct settle_evidence *ev = NULL;
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	bool ok = false;
	struct chain_keccak k;
	uint8_t sum[32], root[32];
	if (decided) {
		*decided = NULL;
		*n = 0;
	}
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(e, "cannot open the archive %s: %s", path, strerror(errno));
	if ((len = getline(&line, &linecap, f)) <= 0 || line[len - 1] != '\n') {
		err_set(e, "%s is not a challenge archive (no header line)", path);
		goto out;
	}
	line[len - 1] = '\0';
	if (!parse_header(line, path, &h, e))
		goto out;
	chain_keccak_init(&k);
	while ((len = getline(&line, &linecap, f)) > 0) {
		chain_keccak_update(&k, line, (size_t)len);
		if (line[len - 1] != '\n' || len > LINE_MAX_BYTES) {
			err_set(e, "%s: row %zu is cut short or too long", path, nrows + 1);
			goto out;
		}
		line[len - 1] = '\0';
		if (nrows == cap) {
			cap = cap ? 2 * cap : 1024;
			rows = xrealloc(rows, cap * sizeof(*rows));
		}
		memset(&rows[nrows], 0, sizeof(rows[nrows]));
		if (!parse_row(line, &rows[nrows])) {
			err_set(e, "%s: row %zu is not a challenge record", path, nrows + 1);
			goto out;
		}
		nrows++;
	}
	if (ferror(f)) {
		err_set(e, "cannot read the archive %s: %s", path, strerror(errno));
		goto out;
	}
	chain_keccak_final(&k, sum);
	if (memcmp(sum, h.body_keccak, 32)) {
		err_set(e, "%s is damaged: its records do not match the checksum in its header", path);
		goto out;
	}
	if (nrows != h.rows) {
		err_set(e, "%s holds %zu rows; its header says %" PRIu64, path, nrows, h.rows);
		goto out;
	}
	/* The same selection and the same tree as from the database. */
	if (!settle_records_from_attempts(h.epoch, h.auditor, rows, nrows, &recs, &nrecs, e) ||
	    !settle_evidence_new(&ev, (const uint8_t(*)[20])h.committee, h.m, recs, nrecs, e))
		goto out;
	settle_evidence_root(ev, root);
	if (nrecs != h.decided || memcmp(root, h.evidence_root, 32)) {
		err_set(e, "%s: its %zu decided records do not lead to the evidence root in its header",
			path, nrecs);
		goto out;
	}
	if (hdr)
		*hdr = h;
	if (decided) {
		*decided = recs;
		*n = nrecs;
		recs = NULL;
	}
	ok = true;
out:
	fclose(f);
	free(line);
	free(rows);
	free(recs);
	settle_evidence_free(ev);
	return ok;
}
