/* evblob.c: the evidence blob's codec, and storing and reading it on the network. */
#include "settle/evblob.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain/session.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "node/committee.h"
#include "node/publish.h"
#include "node/read.h"
#include "settle/evidence.h"

void settle_evblob_clear(struct settle_evblob *b)
{
	if (!b)
		return;
	free(b->committee);
	free(b->passed);
	free(b->decided);
	free(b->records);
	memset(b, 0, sizeof(*b));
}

static void put_be(struct buf *out, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		buf_append_byte(out, (uint8_t)(v >> (8 * i)));
}

void settle_evblob_encode(struct buf *out, uint64_t epoch, const uint8_t auditor[20],
			  const uint8_t (*committee)[20], const uint32_t *passed,
			  const uint32_t *decided, size_t m, const struct settle_record *records,
			  size_t n)
{
	ASSAY_ASSERT(m <= UINT32_MAX && n <= UINT32_MAX);
	buf_append(out, SETTLE_EVBLOB_TAG, SETTLE_EVBLOB_TAG_LEN);
	put_be(out, epoch, 8);
	buf_append(out, auditor, 20);
	buf_append_byte(out, SETTLE_EVBLOB_TREE_VERSION);
	put_be(out, m, 4);
	for (size_t i = 0; i < m; i++)
		buf_append(out, committee[i], 20);
	for (size_t i = 0; i < m; i++) {
		put_be(out, passed[i], 4);
		put_be(out, decided[i], 4);
	}
	put_be(out, n, 4);
	for (size_t i = 0; i < n; i++) {
		uint8_t r[SETTLE_EVIDENCE_RECORD_LEN];
		settle_record_encode(&records[i], r);
		buf_append(out, r, sizeof(r));
	}
}

struct settle_evblob_file {
	FILE *f;
	char *path;
	size_t m;
	uint64_t n;
	off_t counts_at; /* the counts, then the record count */
};

static bool file_failed(struct settle_evblob_file *f, const char *what, struct err *e)
{
	return err_set(e, "%s the evidence blob file %s: %s", what, f->path, strerror(errno));
}

bool settle_evblob_file_new(const char *path, uint64_t epoch, const uint8_t auditor[20],
			    const uint8_t (*committee)[20], size_t m,
			    struct settle_evblob_file **out, struct err *e)
{
	ASSAY_ASSERT(m <= UINT32_MAX);
	*out = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, "creating the evidence blob file %s: %s", path, strerror(errno));
	struct settle_evblob_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->m = m;
	f->f = fdopen(fd, "wb");
	if (!f->f) {
		close(fd);
		file_failed(f, "opening", e);
		settle_evblob_file_free(f);
		return false;
	}
	/* the header as settle_evblob_encode writes it, counts and record count zero */
	struct buf h = BUF_INIT;
	settle_evblob_encode(&h, epoch, auditor, committee, NULL, NULL, 0, NULL, 0);
	h.len -= 8; /* m = 0 and n = 0: written again below */
	put_be(&h, m, 4);
	for (size_t i = 0; i < m; i++)
		buf_append(&h, committee[i], 20);
	f->counts_at = (off_t)h.len;
	for (size_t i = 0; i < m; i++)
		put_be(&h, 0, 8);
	put_be(&h, 0, 4);
	bool ok = fwrite(h.data, 1, h.len, f->f) == h.len;
	buf_free(&h);
	if (!ok) {
		file_failed(f, "writing", e);
		settle_evblob_file_free(f);
		return false;
	}
	*out = f;
	return true;
}

bool settle_evblob_file_add(struct settle_evblob_file *f, const struct settle_record *r,
			    struct err *e)
{
	uint8_t b[SETTLE_EVIDENCE_RECORD_LEN];
	ASSAY_ASSERT(f->f && f->n < UINT32_MAX);
	settle_record_encode(r, b);
	if (fwrite(b, 1, sizeof(b), f->f) != sizeof(b))
		return file_failed(f, "writing", e);
	f->n++;
	return true;
}

bool settle_evblob_file_finish(struct settle_evblob_file *f, const uint32_t *passed,
			       const uint32_t *decided, struct err *e)
{
	ASSAY_ASSERT(f->f);
	struct buf t = BUF_INIT;
	for (size_t i = 0; i < f->m; i++) {
		put_be(&t, passed[i], 4);
		put_be(&t, decided[i], 4);
	}
	put_be(&t, f->n, 4);
	bool ok = fflush(f->f) == 0 && fseeko(f->f, f->counts_at, SEEK_SET) == 0 &&
		  fwrite(t.data, 1, t.len, f->f) == t.len;
	buf_free(&t);
	FILE *fp = f->f;
	f->f = NULL;
	if (fclose(fp) != 0)
		ok = false;
	return ok || file_failed(f, "writing", e);
}

void settle_evblob_file_free(struct settle_evblob_file *f)
{
	if (!f)
		return;
	if (f->f)
		fclose(f->f);
	free(f->path);
	free(f);
}

static uint64_t get_be(const uint8_t **p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | *(*p)++;
	return v;
}

/* tag, epoch, auditor, tree version, m; then m × (address, passed, decided) and n */
#define HEAD_FIXED (SETTLE_EVBLOB_TAG_LEN + 8 + 20 + 1 + 4)

uint64_t settle_evblob_head_len(uint64_t m)
{
	return HEAD_FIXED + m * 28 + 4;
}

static bool decode(const uint8_t *data, size_t len, struct settle_evblob *out, bool strict,
		   struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (len < HEAD_FIXED || memcmp(data, SETTLE_EVBLOB_TAG, SETTLE_EVBLOB_TAG_LEN))
		return err_set(e, "not an evidence blob (it does not start with %s)",
			       SETTLE_EVBLOB_TAG);
	const uint8_t *p = data + SETTLE_EVBLOB_TAG_LEN, *end = data + len;
	out->epoch = get_be(&p, 8);
	memcpy(out->auditor, p, 20);
	p += 20;
	uint8_t version = *p++;
	if (version != SETTLE_EVBLOB_TREE_VERSION)
		return err_set(e, "the evidence blob is of tree version %u, not %u", version,
			       SETTLE_EVBLOB_TREE_VERSION);
	uint64_t m = get_be(&p, 4);
	if ((uint64_t)len < settle_evblob_head_len(m))
		return err_set(e, "the evidence blob is shorter than its committee of %" PRIu64, m);
	out->m = (size_t)m;
	out->committee = xcalloc(m ? m : 1, 20);
	out->passed = xcalloc(m ? m : 1, sizeof(uint32_t));
	out->decided = xcalloc(m ? m : 1, sizeof(uint32_t));
	for (size_t i = 0; i < m; i++, p += 20)
		memcpy(out->committee[i], p, 20);
	for (size_t i = 0; i < m; i++) {
		out->passed[i] = (uint32_t)get_be(&p, 4);
		out->decided[i] = (uint32_t)get_be(&p, 4);
		if (out->passed[i] > out->decided[i]) {
			settle_evblob_clear(out);
			return err_set(e, "the evidence blob counts more passes than decided "
					  "challenges at committee position %zu",
				       i);
		}
	}
	uint64_t n = get_be(&p, 4);
	if ((uint64_t)(end - p) != n * SETTLE_EVIDENCE_RECORD_LEN) {
		settle_evblob_clear(out);
		return err_set(e, "the evidence blob's records take %zu bytes, not %" PRIu64
				  " records of %d",
			       (size_t)(end - p), n, SETTLE_EVIDENCE_RECORD_LEN);
	}
	out->n = (size_t)n;
	out->records = xcalloc(n ? n : 1, sizeof(*out->records));
	for (size_t i = 0; i < n; i++, p += SETTLE_EVIDENCE_RECORD_LEN) {
		struct settle_record *r = &out->records[i];
		if (!settle_record_decode(p, SETTLE_EVIDENCE_RECORD_LEN, r, e)) {
			settle_evblob_clear(out);
			return err_prefix(e, "evidence blob record %zu: ", i);
		}
		if (strict && (r->epoch != out->epoch || memcmp(r->auditor, out->auditor, 20) ||
			       (i && r->seq <= out->records[i - 1].seq))) {
			settle_evblob_clear(out);
			return err_set(e, "evidence blob record %zu is of another epoch or auditor, or "
					  "not in ascending seq",
				       i);
		}
	}
	return true;
}

bool settle_evblob_decode(const uint8_t *data, size_t len, struct settle_evblob *out,
			  struct err *e)
{
	return decode(data, len, out, true, e);
}

bool settle_evblob_decode_any(const uint8_t *data, size_t len, struct settle_evblob *out,
			      struct err *e)
{
	return decode(data, len, out, false, e);
}

#define STORE_ATTEMPTS 30

/* req without its chain and committee: the file, epochs, timeout. */
static bool store(struct chain_session *s, uint64_t confirmations, struct node_publish_req req,
		  uint8_t id[32], struct err *e)
{
	struct node_committee *cm = NULL;
	struct node_publish_result r;
	memset(&r, 0, sizeof(r));
	bool ok = false;
	if (!node_committee_current(s, NULL, NULL, confirmations, &cm, e))
		goto out;
	req.chain = s;
	req.committee = cm;
	/* Just after an epoch change the nodes, which follow the chain, may still sign
	 * confirmations for the epoch before, which certifyBlob refuses: the blob is registered,
	 * paid and stored by then, so ask again (nothing is paid twice) for a bounded while. */
	for (int attempt = 1;; attempt++) {
		if (node_publish(&req, &r, e))
			break;
		bool again = r.stage == NODE_PUBLISH_TOO_FEW_CONFIRMED ||
			     r.stage == NODE_PUBLISH_CERTIFY_FAILED;
		if (!again || attempt >= STORE_ATTEMPTS)
			goto out;
		log_info("settle: evidence blob not certified yet (%s); asking the nodes again",
			 e->msg);
		err_clear(e);
		node_publish_result_clear(&r);
		memset(&r, 0, sizeof(r));
		nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
	}
	memcpy(id, r.blob_id, 32);
	log_info("settle: evidence blob %s (%zu bytes) %s, stored until epoch %" PRIu64,
		 r.blob_id_text, r.size, r.already_certified ? "was already certified" : "certified",
		 r.reg.end_epoch);
	ok = true;
out:
	if (!ok)
		err_prefix(e, "storing the evidence blob: ");
	node_publish_result_clear(&r);
	node_committee_free(cm);
	return ok;
}

bool settle_evblob_store_file(struct chain_session *s, uint64_t confirmations,
			      uint64_t timeout_ms, const char *path, const char *work_dir,
			      uint64_t epochs, uint8_t id[32], struct err *e)
{
	struct node_publish_req req = {.path = path, .work_dir = work_dir, .epochs = epochs,
				       .timeout_ms = timeout_ms};
	return store(s, confirmations, req, id, e);
}

bool settle_evblob_fetch(struct chain_session *s, uint64_t confirmations, uint64_t timeout_ms,
			 const uint8_t id[32], uint64_t unverified_from, uint8_t **out,
			 size_t *len, struct err *e)
{
	struct node_committee *cm = NULL;
	struct node_read_req req = {.timeout_ms = timeout_ms, .unverified_from = unverified_from};
	memcpy(req.blob_id, id, 32);
	bool ok = node_committee_current(s, NULL, NULL, confirmations, &cm, e);
	if (ok) {
		req.committee = cm;
		ok = node_read(&req, out, len, e);
	}
	node_committee_free(cm);
	if (!ok)
		err_prefix(e, "reading the evidence blob: ");
	return ok;
}
