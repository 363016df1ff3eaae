/* epoch.c: the per-(epoch, auditor) state machine (see epoch.h). */
#include "settle/epoch.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/keccak.h"
#include "chain/key.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/chainio.h"
#include "settle/evblob.h"
#include "settle/evidence.h"
#include "settle/score.h"
#include "settle/secret.h"
#include "sql/node_scores.h"
#include "sql/settle.h"

/* Committee positions per finalizeEpoch call: 128 keep 7 auditors under the 15M gas
 * budget (chain/contracts/INTERFACE.md section 11). */
#define SETTLE_FINALIZE_PAGE 128

static const char *const state_names[] = {"planned",   "auditing", "audited",   "scored",
					  "committed", "revealed", "finalized", "voided"};

const char *settle_state_name(enum settle_state s)
{
	return s >= 0 && (size_t)s < ARRAY_LEN(state_names) ? state_names[s] : "none";
}

enum settle_state settle_state_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(state_names); i++)
		if (!strcmp(s, state_names[i]))
			return (enum settle_state)i;
	return SETTLE_NONE;
}

bool settle_state_load(struct settle_ctx *x, uint64_t epoch, enum settle_state *out,
		       struct err *e)
{
	char st[16];
	bool found = false;
	if (!db_settle_state_get(x->db, epoch, x->signer, st, &found, e))
		return false;
	*out = found ? settle_state_parse(st) : SETTLE_NONE;
	return true;
}

static bool set_state(struct settle_ctx *x, uint64_t epoch, enum settle_state s, struct err *e)
{
	if (!db_settle_state_set(x->db, epoch, x->signer, settle_state_name(s), NULL, e))
		return false;
	log_info("settle: epoch %" PRIu64 " is %s", epoch, settle_state_name(s));
	return true;
}

static bool zero32(const uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		if (h[i])
			return false;
	return true;
}

/* Stores the evidence blob of the scored epoch (settle/EVIDENCE.md, "The evidence blob")
 * from the file at path, paid until past the dispute window: with epochs of at least dur
 * seconds, the epoch current when the window closes is at most now's + left / dur + 1, and
 * the reveal (which checks the same bound) may come an epoch later. The bytes depend only
 * on the records, so a rerun after a crash stores the same blob: node_publish finds it
 * registered or certified and pays nothing twice. */
static bool store_evidence(struct settle_ctx *x, const char *path, const char *work_dir,
			   uint64_t now, uint64_t dispute_end, uint8_t id[32], struct err *e)
{
	uint64_t dur = 0;
	if (!chain_staking_epoch_duration(settle_chain_bind(x->chain), &dur, e))
		return false;
	uint64_t left = dispute_end > now ? dispute_end - now : 0;
	bool ok = settle_evblob_store_file(x->publisher, x->confirmations, x->blob_timeout_ms,
					   path, work_dir, left / (dur ? dur : 1) + 3, id, e);
	if (ok)
		settle_crash_point("after_evidence_blob");
	return ok;
}

/* Removes everything under dir but its lock (the blob files and node_publish's scratch
 * directories with theirs), dir staying: what a killed run left. */
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0 || (ftw->level == 1 && !strcmp(path + ftw->base, "lock")))
		return 0;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		log_warn("settle: cannot remove %s: %s", path, strerror(errno));
	else
		log_info("settle: removed %s, left by an earlier run", path);
	return 0;
}

/* The settle job's scratch directory for the evidence blob's file and its encode:
 * $TMPDIR (else /tmp)/assay-settle-AUDITOR, this user's alone (0700), locked (*lock: the
 * caller removes the lock file and the directory, then closes it) so that a second run of
 * the same auditor at once fails rather than remove the first one's files, and emptied of
 * what a killed run left there. */
static char *scratch_dir(struct settle_ctx *x, int *lock, struct err *e)
{
	const char *base = getenv("TMPDIR");
	char hex[41];
	hex_encode(hex, x->signer, 20);
	char *dir = xasprintf("%s/assay-settle-%s", base && *base ? base : "/tmp", hex);
	char *lp = xasprintf("%s/lock", dir);
	struct stat st;
	*lock = -1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set(e, "creating %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (lstat(dir, &st) != 0) {
		err_set(e, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		err_set(e, "%s is not a directory of this user's alone (mode 0700)", dir);
		goto fail;
	}
	if ((*lock = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		err_set(e, "creating %s: %s", lp, strerror(errno));
		goto fail;
	}
	struct stat held, named;
	errno = 0;
	if (flock(*lock, LOCK_EX | LOCK_NB) != 0 || fstat(*lock, &held) != 0 ||
	    stat(lp, &named) != 0 || held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
		/* locked, or removed by the run that held it (the next run goes on) */
		err_set(e, "%s: %s (is another settle run of this auditor storing its evidence "
			   "blob?)",
			lp, errno ? strerror(errno) : "replaced meanwhile");
		goto fail;
	}
	if (nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) != 0) {
		err_set(e, "emptying %s: %s", dir, strerror(errno));
		goto fail;
	}
	free(lp);
	return dir;
fail:
	if (*lock >= 0)
		close(*lock);
	*lock = -1;
	free(lp);
	free(dir);
	return NULL;
}

/* Test only: ASSAY_TEST_LIE_COUNTS=POS makes this auditor attest committee position POS as
 * passing every challenge it decided (one more if it already did), while its evidence
 * stays honest: the lie fraud proof 1a convicts (tests/integration/dispute.sh). */
static void test_lie(uint64_t epoch, struct settle_counts *c, size_t m)
{
	const char *v = getenv("ASSAY_TEST_LIE_COUNTS");
	uint64_t pos = 0;
	if (!v || !*v || !parse_u64(v, &pos) || pos >= m)
		return;
	if (c->passed[pos] == c->decided[pos])
		c->decided[pos]++;
	c->passed[pos] = c->decided[pos];
	log_warn("settle: epoch %" PRIu64 ": TEST ONLY: ASSAY_TEST_LIE_COUNTS: attesting committee "
		 "position %" PRIu64 " as %u/%u, which the evidence does not say",
		 epoch, pos, c->passed[pos], c->decided[pos]);
}

/* Test only: ASSAY_TEST_LIE_RECORD=POS makes this auditor add to its records a challenge its
 * schedule does not contain: a passed, well-formed record of committee position POS's node
 * at the lowest seq it has no record of, for a blob that was never registered (so in no
 * epoch's snapshot). It is counted and stored in the evidence blob like the real ones: the
 * lie fraud proof 3 (Disputes.disputeSchedule) convicts (tests/integration/dispute.sh). */
static bool test_lie_record_pos(size_t m, uint64_t *pos)
{
	const char *v = getenv("ASSAY_TEST_LIE_RECORD");
	return v && *v && parse_u64(v, pos) && *pos < m;
}

static void test_lie_record(struct settle_ctx *x, uint64_t epoch, const uint8_t node[20],
			    uint64_t seq, struct settle_record *r)
{
	memset(r, 0, sizeof(*r));
	r->epoch = epoch;
	memcpy(r->auditor, x->signer, 20);
	r->seq = seq;
	memcpy(r->node, node, 20);
	chain_keccak256(r->blob, (const uint8_t *)"assay.test.lie-record", 21);
	r->axis = AUDIT_AXIS_PRIMARY;
	r->outcome = AUDIT_OUTCOME_PASS;
	r->latency_ms = 1;
	log_warn("settle: epoch %" PRIu64 ": TEST ONLY: ASSAY_TEST_LIE_RECORD: recording an "
		 "invented passed challenge seq %" PRIu64 ", which the schedule does not contain",
		 epoch, seq);
}

/* score()'s reader: each decided record, as the cursor gives it, goes into the counts, the
 * tree's root and the blob's file, and none is kept (settle/EVIDENCE.md, "Memory"). */
struct score_stream {
	struct settle_ctx *x;
	uint64_t epoch;
	struct settle_counts *c;
	struct settle_evidence_stream *tree;
	struct settle_evblob_file *file; /* NULL: the contract wants no blob */
	const uint8_t *lie_node;         /* ASSAY_TEST_LIE_RECORD's node, until recorded */
	uint64_t next_seq;               /* the lowest seq with no record, until then */
};

static bool score_one(struct score_stream *s, const struct settle_record *r, struct err *e)
{
	size_t j = 0;
	return settle_evidence_stream_add(s->tree, r, &j, e) && settle_counts_add(s->c, j, r, e) &&
	       (!s->file || settle_evblob_file_add(s->file, r, e));
}

static bool score_record(void *ctx, const struct settle_record *r, struct err *e)
{
	struct score_stream *s = ctx;
	if (s->lie_node && r->seq != s->next_seq) {
		struct settle_record lie;
		test_lie_record(s->x, s->epoch, s->lie_node, s->next_seq, &lie);
		s->lie_node = NULL;
		if (!score_one(s, &lie, e))
			return false;
	}
	s->next_seq = r->seq + 1;
	return score_one(s, r, e);
}

/* Scores the epoch from the decided records, stores the evidence blob when the contract
 * wants one and saves our signed attestation. The records are read once, in ascending
 * seq, and go into the counts, the evidence root and the blob's file as they come: memory
 * follows the committee, not the records; the blob is encoded from its file. */
static bool score(struct settle_ctx *x, uint64_t epoch, uint64_t now, uint64_t dispute_end,
		  struct err *e)
{
	uint8_t(*nodes)[20] = NULL;
	size_t m = 0;
	uint8_t chain_hash[32], digest[32], sig[65];
	struct settle_counts c = {0};
	struct settle_attestation a;
	uint8_t registry[20], blob_id[32] = {0};
	bool ok = false;
	memset(&a, 0, sizeof(a));
	uint8_t root[32];
	char *dir = NULL, *path = NULL;
	int lock = -1;
	struct score_stream st = {.x = x, .epoch = epoch, .c = &c};
	static const uint8_t none[20];
	if (!settle_chain_committee(x->chain, epoch, &nodes, NULL, &m, chain_hash, e) ||
	    !chain_settlement_evidence_registry(settle_chain_bind(x->chain), registry, e))
		goto out;
	bool want_blob = memcmp(registry, none, 20) != 0;
	if (want_blob && !x->publisher) {
		err_set(e, "the Settlement contract takes only attestations whose evidence blob is "
			   "certified, and this run has no gas key to store one with");
		goto out;
	}
	if (want_blob) {
		if (!(dir = scratch_dir(x, &lock, e)))
			goto out;
		path = xasprintf("%s/evidence-%" PRIu64 ".blob", dir, epoch);
		if (!settle_evblob_file_new(path, epoch, x->signer, (const uint8_t(*)[20])nodes, m,
					    &st.file, e))
			goto out;
	}
	uint64_t lie_pos = 0;
	if (test_lie_record_pos(m, &lie_pos))
		st.lie_node = nodes[lie_pos];
	settle_counts_init(&c, m);
	st.tree = settle_evidence_stream_new((const uint8_t(*)[20])nodes, m);
	if (!settle_records_each(x->db, epoch, x->signer, score_record, &st, e))
		goto out;
	if (st.lie_node) { /* no gap: the lie goes after the last record */
		struct settle_record lie;
		test_lie_record(x, epoch, st.lie_node, st.next_seq, &lie);
		if (!score_one(&st, &lie, e))
			goto out;
	}
	settle_evidence_stream_root(st.tree, root);
	/* the blob's bytes are those of the complete file only: a run killed before this
	 * point leaves a file the next run removes, never one it stores */
	if (want_blob) {
		struct settle_evblob_file *f = st.file;
		st.file = NULL;
		bool written = settle_evblob_file_finish(f, c.passed, c.decided, e);
		settle_evblob_file_free(f);
		if (!written || !store_evidence(x, path, dir, now, dispute_end, blob_id, e))
			goto out;
	}
	test_lie(epoch, &c, m);
	struct settle_attest_input in = {.epoch = epoch, .auditor_id = x->auditor_id,
					 .committee = (const uint8_t(*)[20])nodes, .m = m,
					 .passed = c.passed, .decided = c.decided};
	memcpy(in.evidence_root, root, 32);
	memcpy(in.evidence_blob, blob_id, 32);
	if (!settle_attest_build(&x->dom, x->signing, &in, &a, digest, sig, e))
		goto out;
	if (memcmp(a.committee_hash, chain_hash, 32)) {
		err_set(e, "the committee read for epoch %" PRIu64 " does not hash to the chain's "
			   "committeeHash",
			epoch);
		goto out;
	}
	struct db_settle_attestation row = {.epoch = epoch, .has_sig = true, .m = m};
	memcpy(row.auditor, x->signer, 20);
	memcpy(row.committee_hash, a.committee_hash, 32);
	memcpy(row.counts_hash, a.counts_hash, 32);
	memcpy(row.evidence_root, a.evidence_root, 32);
	memcpy(row.evidence_blob, a.evidence_blob, 32);
	memcpy(row.sig, sig, 65);
	row.nodes = nodes;
	row.passed = xcalloc(m ? m : 1, sizeof(uint64_t));
	row.decided = xcalloc(m ? m : 1, sizeof(uint64_t));
	for (size_t i = 0; i < m; i++) {
		row.passed[i] = c.passed[i];
		row.decided[i] = c.decided[i];
	}
	ok = db_settle_attestation_save(x->db, "local", &row, e);
	free(row.passed);
	free(row.decided);
	if (ok)
		log_info("settle: epoch %" PRIu64 " scored: %" PRIu64 " decided records over %zu "
			 "nodes (%" PRIu64 " auditor errors not counted)",
			 epoch, c.records, m, c.auditor_errors);
out:
	wipe(a.secret, 32);
	settle_evidence_stream_free(st.tree);
	settle_evblob_file_free(st.file);
	if (path && unlink(path) != 0 && errno != ENOENT)
		log_warn("settle: cannot remove %s: %s", path, strerror(errno));
	if (lock >= 0) { /* the lock goes while held: a run that opened it sees it replaced */
		char *lp = xasprintf("%s/lock", dir);
		if (unlink(lp) != 0 || rmdir(dir) != 0)
			log_warn("settle: cannot remove %s: %s", dir, strerror(errno));
		free(lp);
		close(lock);
	}
	free(path);
	free(dir);
	settle_counts_clear(&c);
	free(nodes);
	return ok;
}

/* Our attestation as scored, with the counts in committee order, the secret derived
 * again and its digest. The caller wipes a->secret and frees passed/decided. */
static bool load_ours(struct settle_ctx *x, uint64_t epoch, struct settle_attestation *a,
		      uint8_t digest[32], uint32_t **passed, uint32_t **decided, size_t *m,
		      struct err *e)
{
	struct db_settle_attestation row;
	uint8_t(*nodes)[20] = NULL;
	uint8_t chain_hash[32], counts[32];
	bool found = false, ok = false;
	*passed = *decided = NULL;
	memset(a, 0, sizeof(*a));
	if (!db_settle_attestation_get(x->db, epoch, x->signer, "local", &row, &found, e))
		return false;
	if (!found)
		return err_set(e, "epoch %" PRIu64 " has no scored attestation in the database",
			       epoch);
	if (!settle_chain_committee(x->chain, epoch, &nodes, NULL, m, chain_hash, e))
		goto out;
	*passed = xcalloc(*m ? *m : 1, sizeof(uint32_t));
	*decided = xcalloc(*m ? *m : 1, sizeof(uint32_t));
	if (row.m != *m) {
		err_set(e, "the scored attestation of epoch %" PRIu64 " has %zu nodes, the committee "
			   "%zu",
			epoch, row.m, *m);
		goto out;
	}
	for (size_t i = 0; i < *m; i++) {
		size_t j = 0;
		while (j < row.m && memcmp(row.nodes[j], nodes[i], 20))
			j++;
		if (j == row.m) {
			err_set(e, "the scored attestation of epoch %" PRIu64 " misses a committee node",
				epoch);
			goto out;
		}
		(*passed)[i] = (uint32_t)row.passed[j];
		(*decided)[i] = (uint32_t)row.decided[j];
	}
	settle_counts_hash(*passed, *decided, *m, counts);
	if (memcmp(counts, row.counts_hash, 32) || memcmp(chain_hash, row.committee_hash, 32)) {
		err_set(e, "the stored counts of epoch %" PRIu64 " no longer match the stored "
			   "countsHash or committee (was the database changed?)",
			epoch);
		goto out;
	}
	a->epoch = epoch;
	memcpy(a->committee_hash, row.committee_hash, 32);
	memcpy(a->counts_hash, row.counts_hash, 32);
	memcpy(a->evidence_root, row.evidence_root, 32);
	memcpy(a->evidence_blob, row.evidence_blob, 32);
	if (!settle_secret_derive(x->signing, epoch, a->secret, e))
		goto out;
	settle_attestation_digest(&x->dom, a, digest);
	ok = true;
out:
	if (!ok) {
		free(*passed);
		free(*decided);
		*passed = *decided = NULL;
	}
	free(nodes);
	db_settle_attestation_clear(&row);
	return ok;
}

static bool commit(struct settle_ctx *x, uint64_t epoch, struct err *e)
{
	struct settle_attestation a;
	uint8_t digest[32], cd[32], sig[65];
	uint32_t *p = NULL, *d = NULL;
	size_t m = 0;
	if (!load_ours(x, epoch, &a, digest, &p, &d, &m, e))
		return false;
	wipe(a.secret, 32);
	free(p);
	free(d);
	settle_attestation_commit_digest(&x->dom, epoch, x->auditor_id, digest, cd);
	return settle_sign(x->signing, cd, sig, e) &&
	       settle_chain_commit_attestation(x->chain, epoch, x->auditor_id, digest, sig, e);
}

static bool reveal(struct settle_ctx *x, uint64_t epoch, const uint8_t onchain[32], struct err *e)
{
	struct settle_attestation a;
	uint8_t digest[32], sig[65];
	uint32_t *p = NULL, *d = NULL;
	size_t m = 0;
	bool ok = false;
	if (!load_ours(x, epoch, &a, digest, &p, &d, &m, e))
		return false;
	if (memcmp(digest, onchain, 32) && settle_test_skip_local_checks()) {
		log_warn("settle: epoch %" PRIu64 ": ASSAY_TEST_SKIP_LOCAL_CHECKS: revealing an "
			 "attestation that is not the one committed",
			 epoch);
	} else if (memcmp(digest, onchain, 32)) {
		err_set(e, "the attestation committed on chain for epoch %" PRIu64 " is not the one in "
			   "the database; revealing it would be refused",
			epoch);
		goto out;
	}
	ok = settle_sign(x->signing, digest, sig, e) &&
	     settle_chain_reveal(x->chain, epoch, x->auditor_id, a.committee_hash, p, d, m,
				 a.evidence_root, a.evidence_blob, a.secret, sig, e);
out:
	wipe(a.secret, 32);
	free(p);
	free(d);
	return ok;
}

static bool finalize(struct settle_ctx *x, uint64_t epoch, struct err *e)
{
	struct settle_reveal *rv = NULL;
	size_t k = 0, m = 0, kept = 0;
	uint8_t(*nodes)[20] = NULL;
	uint8_t h[32];
	struct chain_epoch_state es;
	bool ok = settle_chain_reveals(x->chain, epoch, false, &rv, &k, e) &&
		  chain_settlement_epoch_state(settle_chain_bind(x->chain), epoch, &es, e);
	/* a reveal convicted by a fraud proof is out of the epoch (settle/dispute.h): the
	 * contract counts only those still in revealedMask */
	for (size_t i = 0; ok && i < k; i++) {
		if (chain_mask_has(es.revealed_mask, rv[i].auditor_id)) {
			struct settle_reveal t = rv[kept];
			rv[kept++] = rv[i];
			rv[i] = t;
		}
	}
	ok = ok && settle_chain_committee(x->chain, epoch, &nodes, NULL, &m, h, e);
	/* A page of committee positions per transaction: finalize costs ~90k gas a position
	 * (chain/contracts/INTERFACE.md section 11), and a 256-member committee in one call
	 * would pass the 15M budget. Progress is on chain: a rerun goes on from it. */
	size_t page = SETTLE_FINALIZE_PAGE;
	uint64_t tp = 0; /* test only: smaller pages over a small committee */
	const char *tv = getenv("ASSAY_TEST_FINALIZE_PAGE");
	if (tv && *tv && parse_u64(tv, &tp) && tp > 0 && tp < page)
		page = (size_t)tp;
	for (size_t from = es.progress; ok && from < m;) {
		size_t to = m - from > page ? from + page : m;
		ok = settle_chain_finalize(x->chain, epoch, rv, kept, from, to, e) &&
		     chain_settlement_epoch_state(settle_chain_bind(x->chain), epoch, &es, e);
		if (ok && es.status != 1)
			break; /* finalized (by this page or by another auditor's) */
		if (ok && es.progress != to) {
			err_set(e, "finalizing epoch %" PRIu64 ": positions up to %zu sent, the chain's "
				   "progress is %u",
				epoch, to, es.progress);
			ok = false;
		}
		from = to;
	}
	free(nodes);
	settle_reveals_free(rv, k);
	return ok;
}

static void warn_window(struct settle_ctx *x, uint64_t epoch, const char *what, uint64_t now,
			uint64_t closes)
{
	if (closes > now && closes - now <= x->warn_margin_s) {
		x->warnings++;
		log_warn("settle: epoch %" PRIu64 ": the %s window closes in %" PRIu64 " s and this "
			 "auditor has not done it yet",
			 epoch, what, closes - now);
	}
}

bool settle_epoch_step(struct settle_ctx *x, uint64_t epoch, uint64_t now, struct err *e)
{
	enum settle_state st;
	struct chain_phases ph;
	struct chain_epoch_state es;
	struct chain_bind *b = settle_chain_bind(x->chain);
	bool ended = false;
	uint8_t sh[32], onchain[32];
	if (!settle_state_load(x, epoch, &st, e))
		return false;
	if (st >= SETTLE_FINALIZED)
		return true;
	if (!chain_settlement_phases(b, epoch, &ph, &ended, e))
		return false;
	if (!ended)
		return true;
	if (!chain_settlement_epoch_state(b, epoch, &es, e))
		return false;
	if (es.status == 2)
		return settle_scores_cache(x, epoch, epoch, NULL, NULL, NULL, e) &&
		       set_state(x, epoch, SETTLE_FINALIZED, e);
	if (es.status == 3)
		return set_state(x, epoch, SETTLE_VOIDED, e);
	if (!chain_settlement_secret_hash(b, epoch, x->auditor_id, sh, e) ||
	    !chain_settlement_commit(b, epoch, x->auditor_id, onchain, e))
		return false;
	bool revealed = chain_mask_has(es.revealed_mask, x->auditor_id);
	bool attesting = !zero32(sh);

	if (attesting && st < SETTLE_SCORED) {
		if (now < ph.commit_end || !zero32(onchain)) {
			if (!score(x, epoch, now, ph.dispute_end, e) ||
			    !set_state(x, epoch, SETTLE_SCORED, e))
				return false;
			st = SETTLE_SCORED;
			settle_crash_point("after_score");
		} else {
			x->errors++;
			log_error("settle: epoch %" PRIu64 ": the commit window closed before it was "
				  "scored; this auditor misses the epoch",
				  epoch);
		}
	} else if (!attesting && st < SETTLE_SCORED && now < ph.reveal_end) {
		log_warn("settle: epoch %" PRIu64 ": no secret was committed for it, so this auditor "
			 "cannot attest it",
			 epoch);
	}
	if (st == SETTLE_SCORED) {
		if (!zero32(onchain) || revealed) {
			st = SETTLE_COMMITTED; /* a saved commit from an earlier run landed */
			if (!set_state(x, epoch, st, e))
				return false;
		} else if (now < ph.commit_end) {
			warn_window(x, epoch, "commit", now, ph.commit_end);
			if (!commit(x, epoch, e) || !set_state(x, epoch, SETTLE_COMMITTED, e))
				return false;
			st = SETTLE_COMMITTED;
			if (!chain_settlement_commit(b, epoch, x->auditor_id, onchain, e))
				return false;
		} else {
			x->errors++;
			log_error("settle: epoch %" PRIu64 ": the commit window closed before the "
				  "commit landed",
				  epoch);
		}
	}
	if (st == SETTLE_COMMITTED) {
		if (revealed) {
			st = SETTLE_REVEALED;
			if (!set_state(x, epoch, st, e))
				return false;
		} else if (now >= ph.commit_end && now < ph.reveal_end) {
			warn_window(x, epoch, "reveal", now, ph.reveal_end);
			if (!reveal(x, epoch, onchain, e) || !set_state(x, epoch, SETTLE_REVEALED, e))
				return false;
			st = SETTLE_REVEALED;
			if (!chain_settlement_epoch_state(b, epoch, &es, e))
				return false;
		} else if (now >= ph.reveal_end) {
			x->errors++;
			log_error("settle: epoch %" PRIu64 ": the reveal window closed before the "
				  "reveal landed",
				  epoch);
		}
	}

	/* Finalization (anyone may call it), in order. */
	uint64_t next = 0, quorum = 0;
	if (!chain_settlement_next_to_settle(b, &next, e) || !chain_settlement_quorum(b, &quorum, e))
		return false;
	if (next != epoch || es.status > 1)
		return true;
	uint8_t(*nodes)[20] = NULL;
	size_t m = 0;
	uint8_t h[32];
	if (!settle_chain_committee(x->chain, epoch, &nodes, NULL, &m, h, e))
		return false;
	free(nodes);
	bool no_quorum = now >= ph.reveal_end && es.revealed < quorum;
	if (es.status == 0 && (es.cancelled || no_quorum || m == 0)) {
		if (!settle_chain_void(x->chain, epoch, e))
			return false;
		return set_state(x, epoch, SETTLE_VOIDED, e);
	}
	if (now >= ph.dispute_end && es.revealed >= quorum) {
		settle_crash_point("before_finalize");
		if (!finalize(x, epoch, e))
			return false;
		/* finalizeEpoch may take several calls (committee ranges): cache once done */
		if (!chain_settlement_epoch_state(b, epoch, &es, e))
			return false;
		if (es.status != 2)
			return true;
		return settle_scores_cache(x, epoch, epoch, NULL, NULL, NULL, e) &&
		       set_state(x, epoch, SETTLE_FINALIZED, e);
	}
	return true;
}

bool settle_secret_commit(struct settle_ctx *x, uint64_t epoch, struct err *e)
{
	uint8_t sh[32], secret[32], digest[32], sig[65];
	if (!chain_settlement_secret_hash(settle_chain_bind(x->chain), epoch, x->auditor_id, sh, e))
		return false;
	if (!zero32(sh))
		return true;
	if (!settle_secret_derive(x->signing, epoch, secret, e))
		return false;
	settle_secret_hash(secret, sh);
	wipe(secret, 32);
	settle_secret_commit_digest(&x->dom, epoch, x->auditor_id, sh, digest);
	if (!settle_sign(x->signing, digest, sig, e) ||
	    !settle_chain_commit_secret(x->chain, epoch, x->auditor_id, sh, sig, e))
		return false;
	log_info("settle: committed the secret hash for epoch %" PRIu64, epoch);
	enum settle_state st;
	if (!settle_state_load(x, epoch, &st, e))
		return false;
	return db_settle_state_set(x->db, epoch, x->signer,
				   settle_state_name(st == SETTLE_NONE ? SETTLE_PLANNED : st), sh, e);
}

bool settle_scores_cache(struct settle_ctx *x, uint64_t from, uint64_t to, const uint8_t *node,
			 struct settle_node_scored **out, size_t *n, struct err *e)
{
	struct settle_node_scored *ns = NULL;
	size_t k = 0;
	if (!settle_chain_node_scored(x->chain, from, to, node, &ns, &k, e))
		return false;
	struct db_node_score *rows = xcalloc(k ? k : 1, sizeof(*rows));
	for (size_t i = 0; i < k; i++) {
		char d[CHAIN_U256_STRLEN];
		rows[i].epoch = ns[i].epoch;
		memcpy(rows[i].node, ns[i].node, 20);
		chain_u256_to_dec(&ns[i].score, d);
		snprintf(rows[i].median_score, sizeof(rows[i].median_score), "%s", d);
		chain_u256_to_dec(&ns[i].reward, d);
		snprintf(rows[i].reward, sizeof(rows[i].reward), "%s", d);
		chain_u256_to_dec(&ns[i].slashed, d);
		snprintf(rows[i].slashed, sizeof(rows[i].slashed), "%s", d);
		rows[i].penalized = ns[i].penalized;
		memcpy(rows[i].tx_hash, ns[i].tx_hash, 32);
	}
	bool ok = db_node_scores_save(x->db, rows, k, e);
	free(rows);
	if (ok && out) {
		*out = ns;
		*n = k;
	} else {
		free(ns);
	}
	if (ok && k)
		log_debug("settle: %zu node score(s) of epochs %" PRIu64 "..%" PRIu64
			  " kept in the database",
			  k, from, to);
	return ok;
}

bool settle_ctx_set_signer(struct settle_ctx *x, const struct chain_key *signing, uint64_t id,
			   struct err *e)
{
	x->signing = signing;
	chain_key_address(signing, x->signer);
	if (id < 256) {
		x->auditor_id = (uint8_t)id;
	} else {
		bool found = false;
		if (!settle_chain_find_auditor(x->chain, x->signer, &x->auditor_id, &found, e))
			return false;
		if (!found) {
			char addr[43];
			chain_address_checksum(addr, x->signer);
			return err_set(e, "%s is not an auditor of this Settlement contract", addr);
		}
	}
	uint8_t signer[20], payee[20];
	bool active = false;
	if (!chain_settlement_auditor(settle_chain_bind(x->chain), x->auditor_id, signer, payee,
				      &active, e))
		return false;
	if (!active || memcmp(signer, x->signer, 20)) {
		char addr[43];
		chain_address_checksum(addr, x->signer);
		err_set(e, "auditor id %u is not an active auditor signed by %s", x->auditor_id, addr);
		if (!settle_test_skip_local_checks())
			return false;
		log_warn("ASSAY_TEST_SKIP_LOCAL_CHECKS: %s; going on, for the contract to refuse",
			 e->msg);
		err_clear(e);
	}
	return true;
}
