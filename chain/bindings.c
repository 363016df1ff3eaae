/* bindings.c: typed wrappers for the assay contracts (see bindings.h). */
#include "chain/bindings.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/keccak.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"

#define ARTIFACT_MAX_BYTES (8u << 20)

/* ---- compiled contracts ---- */

/* The canonical type text of one ABI JSON parameter ("(uint16,address)[]" for a tuple). */
static bool param_type(const json_t *p, struct buf *out, struct err *e)
{
	const char *t = json_string_value(json_object_get(p, "type"));
	if (!t)
		return err_set(e, "an ABI parameter without a type");
	if (strncmp(t, "tuple", 5) != 0) {
		buf_append_str(out, t);
		return true;
	}
	const json_t *comps = json_object_get(p, "components");
	if (!json_is_array(comps))
		return err_set(e, "an ABI tuple without components");
	buf_append_byte(out, '(');
	for (size_t i = 0; i < json_array_size(comps); i++) {
		if (i)
			buf_append_byte(out, ',');
		if (!param_type(json_array_get(comps, i), out, e))
			return false;
	}
	buf_append_byte(out, ')');
	buf_append_str(out, t + 5); /* array suffix */
	return true;
}

/* "Name(type name,...)" from an ABI entry; names help people read reverts. */
static bool entry_sig(const char *name, const json_t *inputs, bool with_names,
		      struct chain_abi_sig **out, struct err *e)
{
	struct buf b = BUF_INIT;
	bool ok = false;
	buf_printf(&b, "%s(", name);
	for (size_t i = 0; i < json_array_size(inputs); i++) {
		const json_t *p = json_array_get(inputs, i);
		if (i)
			buf_append_byte(&b, ',');
		if (!param_type(p, &b, e))
			goto out;
		const char *pn = json_string_value(json_object_get(p, "name"));
		if (with_names && pn && *pn)
			buf_printf(&b, " %s", pn);
	}
	buf_append_byte(&b, ')');
	ok = chain_abi_sig_parse(buf_cstr(&b), out, e);
out:
	buf_free(&b);
	return ok;
}

static const char *embedded_json(const char *name)
{
	for (size_t i = 0; i < chain_nartifacts; i++)
		if (!strcmp(chain_artifacts[i].name, name))
			return chain_artifacts[i].json;
	return NULL;
}

bool chain_compiled_load(const char *name, const char *dir, struct chain_compiled **out,
			 struct err *e)
{
	bool ok = false;
	uint8_t *file = NULL;
	size_t flen = 0;
	json_t *root = NULL;
	json_error_t je;
	struct chain_compiled *c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	if (dir) {
		char *path = xasprintf("%s/%s.json", dir, name);
		bool rd = read_file(path, ARTIFACT_MAX_BYTES, &file, &flen, e);
		free(path);
		if (!rd)
			goto out;
		root = json_loadb((const char *)file, flen, 0, &je);
	} else {
		const char *text = embedded_json(name);
		if (!text) {
			err_set(e, "contract %s is not embedded in this build", name);
			goto out;
		}
		root = json_loads(text, 0, &je);
	}
	if (!root) {
		err_set(e, "%s.json is not JSON (line %d: %s)", name, je.line, je.text);
		goto out;
	}
	const char *bin = json_string_value(json_object_get(root, "bytecode"));
	const json_t *abi = json_object_get(root, "abi");
	if (!bin || !json_is_array(abi)) {
		err_set(e, "%s.json has no bytecode or abi", name);
		goto out;
	}
	if (!hex_decode_buf(&c->bytecode, bin, e)) {
		err_prefix(e, "%s.json bytecode: ", name);
		goto out;
	}
	c->errors = xcalloc(json_array_size(abi) + 1, sizeof(*c->errors));
	for (size_t i = 0; i < json_array_size(abi); i++) {
		const json_t *it = json_array_get(abi, i);
		const char *type = json_string_value(json_object_get(it, "type"));
		const json_t *inputs = json_object_get(it, "inputs");
		if (!type)
			continue;
		if (!strcmp(type, "constructor")) {
			if (!entry_sig("constructor", inputs, false, &c->ctor, e))
				goto out;
		} else if (!strcmp(type, "error")) {
			const char *en = json_string_value(json_object_get(it, "name"));
			if (!en || !entry_sig(en, inputs, true, &c->errors[c->nerrors], e))
				goto out;
			c->nerrors++;
		}
	}
	if (!c->ctor && !chain_abi_sig_parse("constructor()", &c->ctor, e))
		goto out;
	ok = true;
out:
	json_decref(root);
	free(file);
	if (!ok) {
		chain_compiled_free(c);
		c = NULL;
		err_prefix(e, "loading contract %s: ", name);
	}
	*out = c;
	return ok;
}

void chain_compiled_free(struct chain_compiled *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nerrors; i++)
		chain_abi_sig_free(c->errors[i]);
	free(c->errors);
	chain_abi_sig_free(c->ctor);
	buf_free(&c->bytecode);
	free(c->name);
	free(c);
}

/* ---- revert explanations ---- */

static const struct {
	const char *name;
	const char *why;
} explanations[] = {
	{"EpochNotOver", "the epoch's time is not up yet"},
	{"EpochNotCurrentOrPast", "that epoch has not started yet"},
	{"SeedNotReady", "the epoch's seed block is not mined yet, or the previous epoch's seed is not recorded (seeds are recorded in order)"},
	{"NodeAlreadyRegistered", "this operator address is already a registered node"},
	{"UnknownNode", "no node is registered under that address"},
	{"TooManyCandidates", "the list of candidate nodes is full"},
	{"StakeBelowMinimum", "the self-stake is below the minimum stake"},
	{"ZeroAmount", "the amount must be positive (and below 2^120)"},
	{"InsufficientShares", "the position holds fewer shares than asked for"},
	{"TooManyPending", "too many pending deposits or withdrawals on this node: wait for epochs to settle"},
	{"StillInCommittee", "the node is still in the current committee"},
	{"NodeStillActive", "the node is still active: deactivate it first"},
	{"WrongSettleEpoch", "epochs are settled in order"},
	{"BadCommittee", "no committee member at that position"},
	{"BadParam", "a parameter is out of range"},
	{"NotDeployer", "only the deployer may do this"},
	{"AlreadyBound", "already wired"},
	{"NotSettlement", "only the Settlement contract may do this"},
	{"BlobExists", "the blob is already registered and not expired"},
	{"UnknownBlob", "the blob is not registered"},
	{"BlobExpired", "the blob's storage period is over"},
	{"AlreadyCertified", "the blob is already certified"},
	{"BadEncodingType", "the encoding type must be 1 (Walrus RS2) to 127"},
	{"BlobTooLarge", "the blob is too large for n shards (symbol size over 65534)"},
	{"BadEndEpoch", "the end epoch must be after the current epoch (and after the old end)"},
	{"SignersNotAscending", "confirmations must be sorted by committee position, without duplicates"},
	{"BadSignature", "a signature does not come from the expected key"},
	{"NotEnoughShards", "the confirming nodes hold fewer than n - f shards"},
	{"NotAuditor", "that auditor id is not an active auditor"},
	{"SecretTooLate", "the secret must be committed before its epoch begins"},
	{"AlreadyCommitted", "this auditor already committed for that epoch"},
	{"NoSecret", "the auditor committed no secret for that epoch"},
	{"LateCommit", "the commit window of that epoch is closed"},
	{"NotRevealPhase", "this is not the reveal window of that epoch"},
	{"NoCommit", "the auditor committed no attestation for that epoch"},
	{"AlreadyRevealed", "this auditor already revealed for that epoch"},
	{"WrongCommittee", "the committee hash is not that epoch's"},
	{"BadCounts", "the counts do not match the committee (length, or passed > decided)"},
	{"CommitMismatch", "the revealed attestation is not the one committed"},
	{"SecretMismatch", "the secret does not match its commitment"},
	{"OutOfOrder", "epochs are finalized in order: an earlier one is still open"},
	{"NotFinalizable", "the epoch was cancelled or is already finalized or voided"},
	{"DisputeWindowOpen", "the dispute window of that epoch is still open"},
	{"NoQuorum", "fewer auditors revealed than the quorum (2 f_a + 1)"},
	{"BadAuditorList", "the auditor list must be exactly the revealed auditors, ascending"},
	{"CountsMismatch", "the counts are not the ones that auditor revealed"},
	{"BadRange", "the committee range is empty or past the committee"},
	{"NotVoidable", "the epoch cannot be voided (it has quorum, or is not open)"},
	{"DisputeWindowClosed", "the dispute window of that epoch is closed"},
	{"PoolAlreadyOpen", "that epoch's reward pool is already open"},
	{"EvidenceNotCertified", "the attestation's evidence blob is not certified in BlobRegistry "
				 "(store it with blob put first)"},
	{"EvidenceExpires", "the attestation's evidence blob expires before the epoch's dispute "
			    "window closes (pay for more epochs)"},
	{"NotBonded", "the auditor's bond is below bondSize (post a bond first)"},
	{"NoFraud", "the proof shows no fraud: the evidence agrees with the attestation"},
	{"WrongEvidence", "the proof does not lead to that attestation's evidenceRoot"},
	{"NotRevealed", "that auditor revealed no attestation for that epoch"},
	{"BadRecord", "the record is not a well-formed record of that committee position's node"},
	{"BadSecret", "the secret does not hash to the auditor's committed secret hash"},
	{"NoSeed", "that epoch's seed is not recorded on chain"},
	{"Unprovable", "the record's blob was registered again after that epoch: its state then "
		       "is not on chain"},
	{"NotGuardian", "only the guardian or the owner may pause"},
	{"RenounceDisabled", "ownership cannot be renounced"},
	{"EnforcedPause", "the contract is paused"},
	{"ExpectedPause", "the contract is not paused"},
	{"OwnableUnauthorizedAccount", "only the owner (the timelock) may do this"},
	{"ERC20InsufficientBalance", "the token balance is too low"},
	{"ERC20InsufficientAllowance", "the token allowance is too low (approve first)"},
	{"SafeERC20FailedOperation", "a token transfer failed"},
	{"ECDSAInvalidSignature", "a signature is malformed"},
	{"ECDSAInvalidSignatureLength", "a signature is not 65 bytes"},
	{"ECDSAInvalidSignatureS", "a signature has a high s value"},
};

const char *chain_error_explain(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(explanations); i++)
		if (!strcmp(explanations[i].name, name))
			return explanations[i].why;
	return NULL;
}

/* "Name(type name, ...)" for people. */
static void sig_pretty(const struct chain_abi_sig *s, struct buf *out)
{
	buf_printf(out, "%s(", s->name);
	for (size_t i = 0; i < s->inputs->nfields; i++) {
		const struct chain_abi_type *f = s->inputs->fields[i];
		char *t = chain_abi_type_canonical_new(f);
		buf_printf(out, "%s%s%s%s", i ? ", " : "", t, f->name ? " " : "",
			   f->name ? f->name : "");
		free(t);
	}
	buf_append_byte(out, ')');
}

void chain_explain_revert(struct err *e, struct chain_abi_sig *const *errors, size_t nerrors)
{
	static const char marker[] = "custom error 0x";
	if (!e)
		return;
	char *at = strstr(e->msg, marker);
	char hex[9];
	uint8_t sel[4];
	if (!at || strnlen(at + sizeof(marker) - 1, 8) < 8)
		return;
	memcpy(hex, at + sizeof(marker) - 1, 8);
	hex[8] = '\0';
	if (!hex_decode_exact(sel, 4, hex, NULL))
		return;
	for (size_t i = 0; i < nerrors; i++) {
		if (memcmp(errors[i]->selector, sel, 4) != 0)
			continue;
		struct buf b = BUF_INIT;
		buf_append(&b, e->msg, (size_t)(at - e->msg));
		sig_pretty(errors[i], &b);
		const char *why = chain_error_explain(errors[i]->name);
		if (why)
			buf_printf(&b, ": %s", why);
		/* Keep what followed the selector's description (the JSON-RPC code). */
		const char *tail = strstr(at, " (JSON-RPC");
		if (tail)
			buf_append_str(&b, tail);
		snprintf(e->msg, sizeof(e->msg), "%s", buf_cstr(&b));
		buf_free(&b);
		return;
	}
}

/* anvil (and reth) put the revert data in the message too: "execution reverted: custom
 * error 0x1234abcd: 00..": the rpc client keeps only the selector of unknown errors, the
 * message keeps all of it, so the arguments can be shown. */
static bool revert_data_from_message(const char *msg, struct buf *out)
{
	static const char marker[] = "custom error 0x";
	const char *at = msg ? strstr(msg, marker) : NULL;
	if (!at)
		return false;
	at += sizeof(marker) - 1;
	const char *colon = strchr(at, ':');
	if (!colon || colon - at != 8)
		return false;
	struct buf hex = BUF_INIT;
	buf_append(&hex, at, 8);
	const char *p = colon + 1;
	while (*p == ' ')
		p++;
	size_t n = strspn(p, "0123456789abcdefABCDEF");
	buf_append(&hex, p, n);
	bool ok = hex_decode_buf(out, buf_cstr(&hex), NULL);
	buf_free(&hex);
	return ok;
}

/* After a failed eth_call: the error's arguments when the node gave them. */
static void explain_call_failure(struct chain_rpc *rpc, struct err *e,
				 struct chain_abi_sig *const *errors, size_t nerrors)
{
	struct buf data = BUF_INIT;
	char *msg = NULL;
	struct err ignored;
	if (chain_rpc_last_status(rpc) == CHAIN_RPC_NODE &&
	    revert_data_from_message(chain_rpc_last_message(rpc), &data) && data.len >= 4) {
		for (size_t i = 0; i < nerrors; i++) {
			if (memcmp(errors[i]->selector, data.data, 4) != 0)
				continue;
			if (chain_abi_decode_revert(data.data, data.len, errors, nerrors, &msg,
						    &ignored)) {
				const char *why = chain_error_explain(errors[i]->name);
				err_set(e, "reverted with %s%s%s", msg, why ? ": " : "",
					why ? why : "");
				free(msg);
				buf_free(&data);
				return;
			}
		}
	}
	buf_free(&data);
	/* anvil writes revert data that happens to be valid UTF-8 into the message as text,
	 * NULs included, which the client's JSON parser refuses: say what that means. */
	if (chain_rpc_last_status(rpc) == CHAIN_RPC_MALFORMED && strstr(e->msg, "\\u0000")) {
		err_set(e, "reverted (the node's answer carries the reason as text with NUL "
			   "characters, which the JSON-RPC client refuses, so it cannot be shown)");
		return;
	}
	chain_explain_revert(e, errors, nerrors);
}

/* ---- session ---- */

#define NODE_INFO_SIG "nodeInfo(address)(address,address,string,uint16,bool,uint256,uint256)"
#define COMMITTEE_MEMBER_SIG "committeeMember(uint64,uint256)(address,uint16,address)"

struct chain_bind {
	struct chain_rpc *rpc;
	struct chain_sender *sender;
	struct chain_deployment dep;
	char tag[24];
	uint64_t at_block; /* 0: latest */
	struct chain_abi_sig **errors;
	size_t nerrors;
	const struct chain_event_store *events; /* NULL: scan from the start block */
	uint64_t keep_back, log_chunk;
	uint64_t log_blocks; /* blocks asked for logs, all calls */
};

static const char *const error_sources[] = {"Staking",   "BlobRegistry",  "Settlement",
					    "Disputes",  "TestToken",     "AssayTimelock"};

bool chain_bind_new(struct chain_bind **out, struct chain_rpc *rpc, struct chain_sender *sender,
		    const struct chain_deployment *d, const char *contracts_dir, struct err *e)
{
	struct chain_bind *b = xcalloc(1, sizeof(*b));
	b->rpc = rpc;
	b->sender = sender;
	if (d)
		b->dep = *d;
	snprintf(b->tag, sizeof(b->tag), "latest");
	for (size_t i = 0; i < ARRAY_LEN(error_sources); i++) {
		struct chain_compiled *c;
		if (!chain_compiled_load(error_sources[i], contracts_dir, &c, e)) {
			chain_bind_free(b);
			*out = NULL;
			return false;
		}
		b->errors = xrealloc(b->errors, (b->nerrors + c->nerrors) * sizeof(*b->errors));
		for (size_t k = 0; k < c->nerrors; k++) {
			bool dup = false;
			for (size_t j = 0; j < b->nerrors && !dup; j++)
				dup = !memcmp(b->errors[j]->selector, c->errors[k]->selector, 4);
			if (dup) {
				chain_abi_sig_free(c->errors[k]);
			} else {
				b->errors[b->nerrors++] = c->errors[k];
			}
			c->errors[k] = NULL;
		}
		c->nerrors = 0;
		chain_compiled_free(c);
	}
	*out = b;
	return true;
}

void chain_bind_free(struct chain_bind *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nerrors; i++)
		chain_abi_sig_free(b->errors[i]);
	free(b->errors);
	free(b);
}

const struct chain_deployment *chain_bind_deployment(const struct chain_bind *b)
{
	return &b->dep;
}

struct chain_rpc *chain_bind_rpc(struct chain_bind *b)
{
	return b->rpc;
}

void chain_bind_at_block(struct chain_bind *b, uint64_t block)
{
	b->at_block = block;
	if (block)
		chain_rpc_tag(b->tag, block);
	else
		snprintf(b->tag, sizeof(b->tag), "latest");
}

bool chain_bind_call(struct chain_bind *b, const uint8_t to[20], const char *sigtext,
		     struct chain_abi_value *args, struct chain_abi_value **ret, struct err *e)
{
	bool ok = false;
	struct chain_abi_sig *sig = NULL;
	struct buf data = BUF_INIT, out = BUF_INIT;
	*ret = NULL;
	if (!args)
		args = chain_abi_tuple_new();
	if (!chain_abi_sig_parse(sigtext, &sig, e) || !chain_abi_encode_call(sig, args, &data, e))
		goto out;
	if (!chain_rpc_eth_call(b->rpc, NULL, to, data.data, data.len, b->tag, &out, e)) {
		explain_call_failure(b->rpc, e, b->errors, b->nerrors);
		err_prefix(e, "%s: ", sig->name);
		goto out;
	}
	if (!sig->outputs) {
		*ret = chain_abi_tuple_new();
		ok = true;
		goto out;
	}
	ok = chain_abi_decode_output(sig, out.data, out.len, ret, e);
	if (!ok)
		err_prefix(e, "%s answered: ", sig->name);
out:
	chain_abi_value_free(args);
	chain_abi_sig_free(sig);
	buf_free(&data);
	buf_free(&out);
	return ok;
}

bool chain_bind_send_data(struct chain_bind *b, const uint8_t *to, const uint8_t *data,
			  size_t len, const char *purpose, struct chain_receipt *rcpt_out,
			  struct err *e)
{
	bool ok = false;
	struct buf sim = BUF_INIT;
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));
	if (!b->sender)
		return err_set(e, "no key to send transactions with");
	uint8_t from[20];
	chain_sender_address(b->sender, from);
	/* Simulate first: a revert explained now costs nothing and leaves nothing saved. */
	if (to && !chain_rpc_eth_call(b->rpc, from, to, data, len, "latest", &sim, e)) {
		explain_call_failure(b->rpc, e, b->errors, b->nerrors);
		err_prefix(e, "%s would fail: ", purpose);
		goto out;
	}
	struct chain_u256 zero;
	chain_u256_from_u64(&zero, 0);
	int64_t id;
	if (!chain_sender_submit(b->sender, to, &zero, data, len, 0, purpose, &id, e)) {
		chain_explain_revert(e, b->errors, b->nerrors);
		err_prefix(e, "%s: ", purpose);
		goto out;
	}
	if (!chain_sender_wait(b->sender, id, &rcpt, e)) {
		err_prefix(e, "%s: ", purpose);
		goto out;
	}
	if (rcpt.status != 1) {
		/* Replay on the state the transaction met, for its reason. */
		char tag[24];
		chain_rpc_tag(tag, rcpt.block_number ? rcpt.block_number - 1 : 0);
		buf_reset(&sim);
		if (to && !chain_rpc_eth_call(b->rpc, from, to, data, len, tag, &sim, e)) {
			explain_call_failure(b->rpc, e, b->errors, b->nerrors);
			err_prefix(e, "%s was mined in block %llu but reverted: ", purpose,
				   (unsigned long long)rcpt.block_number);
		} else {
			err_set(e, "%s was mined in block %llu but reverted", purpose,
				(unsigned long long)rcpt.block_number);
		}
		goto out;
	}
	ok = true;
out:
	if (ok && rcpt_out)
		*rcpt_out = rcpt;
	else
		chain_receipt_clear(&rcpt);
	buf_free(&sim);
	return ok;
}

bool chain_bind_send(struct chain_bind *b, const uint8_t to[20], const char *sigtext,
		     struct chain_abi_value *args, const char *purpose, struct chain_receipt *rcpt,
		     struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct buf data = BUF_INIT;
	if (!args)
		args = chain_abi_tuple_new();
	bool ok = chain_abi_sig_parse(sigtext, &sig, e) &&
		  chain_abi_encode_call(sig, args, &data, e);
	chain_abi_value_free(args);
	if (ok)
		ok = chain_bind_send_data(b, to, data.data, data.len, purpose ? purpose : sig->name,
					  rcpt, e);
	chain_abi_sig_free(sig);
	buf_free(&data);
	return ok;
}

/* ---- typed views ---- */

static struct chain_abi_value *args1_u64(uint64_t v)
{
	return chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(v));
}

static struct chain_abi_value *args1_addr(const uint8_t a[20])
{
	return chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(a));
}

/* Reads field i of ret as an integer that must fit max. */
static bool get_u64_max(const struct chain_abi_value *ret, size_t i, uint64_t max, uint64_t *out,
			struct err *e)
{
	const struct chain_abi_value *v = chain_abi_at(ret, i);
	if (!v || !chain_abi_get_u64(v, out, e))
		return err_set(e, "field %zu of the answer is not a 64-bit integer", i);
	if (*out > max)
		return err_set(e, "field %zu of the answer is out of range", i);
	return true;
}

/* Whether e reports a revert with custom error sigtext ("UnknownNode(address)"): by name
 * once chain_explain_revert named it, else by selector. */
static bool reverted_with(const struct err *e, const char *sigtext)
{
	uint8_t h[32];
	char want[24];
	const char *paren = strchr(sigtext, '(');
	size_t nl = paren ? (size_t)(paren - sigtext) : strlen(sigtext);
	snprintf(want, sizeof(want), "%.*s(", (int)nl, sigtext);
	if (strstr(e->msg, want))
		return true;
	chain_keccak256(h, sigtext, strlen(sigtext));
	memcpy(want, "custom error 0x", 15);
	hex_encode(want + 15, h, 4);
	return strstr(e->msg, want) != NULL;
}

bool chain_staking_current_epoch(struct chain_bind *b, uint64_t *out, struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, b->dep.staking, "currentEpoch()(uint64)", NULL, &r, e))
		return false;
	bool ok = get_u64_max(r, 0, UINT64_MAX, out, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_staking_epoch_info(struct chain_bind *b, uint64_t epoch, struct chain_epoch_info *out,
			      struct err *e)
{
	struct chain_abi_value *r;
	memset(out, 0, sizeof(*out));
	out->epoch = epoch;
	if (!chain_bind_call(b, b->dep.staking,
			     "epochInfo(uint64)(uint64,uint64,uint64,bytes32,uint8,bytes32,uint256)",
			     args1_u64(epoch), &r, e))
		return false;
	uint64_t src;
	bool ok = get_u64_max(r, 0, UINT64_MAX, &out->start_time, e) &&
		  get_u64_max(r, 1, UINT64_MAX, &out->duration, e) &&
		  get_u64_max(r, 2, UINT64_MAX, &out->seed_block, e) &&
		  chain_abi_get_bytes32(chain_abi_at(r, 3), out->seed, e) &&
		  get_u64_max(r, 4, 255, &src, e) &&
		  chain_abi_get_bytes32(chain_abi_at(r, 5), out->committee_hash, e) &&
		  get_u64_max(r, 6, 65535, &out->committee_size, e);
	out->seed_source = (uint8_t)src;
	chain_abi_value_free(r);
	return ok;
}

void chain_committee_clear(struct chain_committee *c)
{
	if (!c)
		return;
	free(c->nodes);
	free(c->shards);
	free(c->node_keys);
	memset(c, 0, sizeof(*c));
}

bool chain_staking_committee(struct chain_bind *b, uint64_t epoch, struct chain_committee *out,
			     struct err *e)
{
	struct chain_abi_value *r;
	memset(out, 0, sizeof(*out));
	if (!chain_bind_call(b, b->dep.staking, "committee(uint64)(address[],uint16[])",
			     args1_u64(epoch), &r, e))
		return false;
	bool ok = false;
	const struct chain_abi_value *nodes = chain_abi_at(r, 0), *counts = chain_abi_at(r, 1);
	if (!nodes || !counts || nodes->n != counts->n) {
		err_set(e, "committee(%llu) answered lists of different lengths",
			(unsigned long long)epoch);
		goto out;
	}
	out->n = nodes->n;
	out->nodes = xcalloc(out->n + 1, sizeof(*out->nodes));
	out->shards = xcalloc(out->n + 1, sizeof(*out->shards));
	for (size_t i = 0; i < out->n; i++) {
		uint64_t c;
		if (!chain_abi_get_address(nodes->items[i], out->nodes[i], e) ||
		    !get_u64_max(counts, i, 65535, &c, e))
			goto out;
		out->shards[i] = (uint16_t)c;
	}
	ok = true;
out:
	if (!ok)
		chain_committee_clear(out);
	chain_abi_value_free(r);
	return ok;
}

bool chain_staking_committee_keys(struct chain_bind *b, uint64_t epoch,
				  struct chain_committee *c, struct err *e)
{
	free(c->node_keys);
	c->node_keys = xcalloc(c->n + 1, sizeof(*c->node_keys));
	for (size_t i = 0; i < c->n; i++) {
		struct chain_abi_value *r;
		struct chain_abi_value *args = chain_abi_push(
			chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(epoch)),
			chain_abi_uint_new(i));
		if (!chain_bind_call(b, b->dep.staking, COMMITTEE_MEMBER_SIG, args, &r, e))
			return false;
		bool ok = chain_abi_get_address(chain_abi_at(r, 2), c->node_keys[i], e);
		chain_abi_value_free(r);
		if (!ok)
			return false;
	}
	return true;
}

bool chain_staking_shard_owners(struct chain_bind *b, uint64_t epoch, struct buf *out,
				struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, b->dep.staking, "shardOwnerIndices(uint64)(bytes)", args1_u64(epoch),
			     &r, e))
		return false;
	const struct chain_abi_value *v = chain_abi_at(r, 0);
	bool ok = v != NULL;
	if (ok)
		buf_append(out, v->bytes, v->len);
	chain_abi_value_free(r);
	return ok;
}

bool chain_staking_grace(struct chain_bind *b, uint64_t epoch, bool *in_grace, size_t n,
			 struct err *e)
{
	struct chain_abi_value *r;
	memset(in_grace, 0, n * sizeof(*in_grace));
	if (!chain_bind_call(b, b->dep.staking, "graceBitmap(uint64)(uint256[])", args1_u64(epoch),
			     &r, e))
		return false;
	const struct chain_abi_value *words = chain_abi_at(r, 0);
	for (size_t s = 0; words && s < n; s++) {
		if (s / 256 >= words->n)
			break;
		const struct chain_u256 *w = &words->items[s / 256]->num;
		in_grace[s] = (w->w[(s % 256) / 64] >> (s % 64)) & 1;
	}
	chain_abi_value_free(r);
	return true;
}

void chain_node_info_clear(struct chain_node_info *n)
{
	if (n) {
		free(n->endpoint);
		n->endpoint = NULL;
	}
}


/* A nodeInfo answer into *out. */
static bool node_info_from(const struct chain_abi_value *r, struct chain_node_info *out,
			   struct err *e)
{
	uint64_t bps;
	const struct chain_abi_value *ep = chain_abi_at(r, 2);
	bool ok = chain_abi_get_address(chain_abi_at(r, 0), out->node, e) &&
		  chain_abi_get_address(chain_abi_at(r, 1), out->node_key, e) && ep &&
		  get_u64_max(r, 3, 10000, &bps, e) &&
		  chain_abi_get_bool(chain_abi_at(r, 4), &out->active, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 5), &out->stake, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 6), &out->next_stake, e);
	if (ok) {
		out->endpoint = xstrndup((const char *)ep->bytes, ep->len);
		out->commission_bps = (uint16_t)bps;
	} else if (!ep) {
		err_set(e, "nodeInfo: no endpoint in the answer");
	}
	return ok;
}

bool chain_staking_node_info(struct chain_bind *b, const uint8_t node[20],
			     struct chain_node_info *out, bool *found, struct err *e)
{
	struct chain_abi_value *r;
	memset(out, 0, sizeof(*out));
	*found = false;
	if (!chain_bind_call(b, b->dep.staking, NODE_INFO_SIG, args1_addr(node), &r, e)) {
		if (reverted_with(e, "UnknownNode(address)")) {
			err_clear(e);
			return true;
		}
		return false;
	}
	bool ok = node_info_from(r, out, e);
	*found = ok;
	chain_abi_value_free(r);
	return ok;
}

/* Calls per JSON-RPC batch: public endpoints cap batches (commonly at 100 to 1000). */
#define MEMBER_BATCH 100u

bool chain_staking_members(struct chain_bind *b, uint64_t epoch, struct chain_committee *c,
			   struct chain_node_info *infos, bool *found, struct err *e)
{
	bool ok = false;
	struct chain_abi_sig *key_sig = NULL, *info_sig = NULL;
	free(c->node_keys);
	c->node_keys = xcalloc(c->n + 1, sizeof(*c->node_keys));
	memset(infos, 0, c->n * sizeof(*infos));
	memset(found, 0, c->n * sizeof(*found));
	if (!chain_abi_sig_parse(COMMITTEE_MEMBER_SIG, &key_sig, e) ||
	    !chain_abi_sig_parse(NODE_INFO_SIG, &info_sig, e))
		goto out;
	char *staking = hex_encode_0x_new(b->dep.staking, 20);
	/* two calls per member: its node key (committeeMember) and its record (nodeInfo) */
	for (size_t from = 0; from < c->n; from += MEMBER_BATCH / 2) {
		size_t to = from + MEMBER_BATCH / 2 < c->n ? from + MEMBER_BATCH / 2 : c->n;
		struct chain_rpc_batch *batch = chain_rpc_batch_new();
		bool sent = true;
		for (size_t i = from; i < to && sent; i++) {
			struct buf kd = BUF_INIT, nd = BUF_INIT;
			struct chain_abi_value *ka = chain_abi_push(
				chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(epoch)),
				chain_abi_uint_new(i));
			struct chain_abi_value *na = args1_addr(c->nodes[i]);
			sent = chain_abi_encode_call(key_sig, ka, &kd, e) &&
			       chain_abi_encode_call(info_sig, na, &nd, e);
			chain_abi_value_free(ka);
			chain_abi_value_free(na);
			if (sent) {
				char *kh = hex_encode_0x_new(kd.data, kd.len),
				     *nh = hex_encode_0x_new(nd.data, nd.len);
				chain_rpc_batch_add(batch, "eth_call",
						    json_pack("[{s:s, s:s}, s]", "to", staking, "data",
							      kh, b->tag));
				chain_rpc_batch_add(batch, "eth_call",
						    json_pack("[{s:s, s:s}, s]", "to", staking, "data",
							      nh, b->tag));
				free(kh);
				free(nh);
			}
			buf_free(&kd);
			buf_free(&nd);
		}
		sent = sent && chain_rpc_batch_send(b->rpc, batch, e);
		for (size_t i = from; sent && i < to; i++) {
			size_t k = 2 * (i - from);
			json_t *res;
			struct err ie = {{0}};
			struct buf data = BUF_INIT;
			struct chain_abi_value *r = NULL;
			bool got_key = false, got_info = false;
			if (chain_rpc_batch_result(batch, k, &res, NULL, NULL, &ie) &&
			    json_is_string(res) && hex_decode_buf(&data, json_string_value(res), &ie) &&
			    chain_abi_decode_output(key_sig, data.data, data.len, &r, &ie))
				got_key = chain_abi_get_address(chain_abi_at(r, 2), c->node_keys[i], &ie);
			chain_abi_value_free(r);
			r = NULL;
			buf_reset(&data);
			if (chain_rpc_batch_result(batch, k + 1, &res, NULL, NULL, &ie) &&
			    json_is_string(res) && hex_decode_buf(&data, json_string_value(res), &ie) &&
			    chain_abi_decode_output(info_sig, data.data, data.len, &r, &ie))
				got_info = found[i] = node_info_from(r, &infos[i], &ie);
			chain_abi_value_free(r);
			buf_free(&data);
			/* an answer the batch did not give (a revert: UnknownNode) is asked alone,
			 * where it is explained */
			if (!got_key) {
				struct chain_abi_value *one;
				struct chain_abi_value *args = chain_abi_push(
					chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(epoch)),
					chain_abi_uint_new(i));
				if (!chain_bind_call(b, b->dep.staking, COMMITTEE_MEMBER_SIG, args, &one,
						     e)) {
					sent = false;
					break;
				}
				bool kok = chain_abi_get_address(chain_abi_at(one, 2), c->node_keys[i], e);
				chain_abi_value_free(one);
				if (!kok) {
					sent = false;
					break;
				}
			}
			if (!got_info) {
				free(infos[i].endpoint);
				if (!chain_staking_node_info(b, c->nodes[i], &infos[i], &found[i], e)) {
					sent = false;
					break;
				}
			}
		}
		chain_rpc_batch_free(batch);
		if (!sent) {
			free(staking);
			goto out;
		}
	}
	free(staking);
	ok = true;
out:
	if (!ok)
		for (size_t i = 0; i < c->n; i++) {
			free(infos[i].endpoint);
			infos[i].endpoint = NULL;
		}
	chain_abi_sig_free(key_sig);
	chain_abi_sig_free(info_sig);
	return ok;
}

bool chain_staking_position(struct chain_bind *b, const uint8_t node[20],
			    const uint8_t delegator[20], struct chain_position *out, struct err *e)
{
	struct chain_abi_value *r;
	struct chain_abi_value *args = chain_abi_push(args1_addr(node), chain_abi_address_new(delegator));
	if (!chain_bind_call(b, b->dep.staking,
			     "positionOf(address,address)(uint256,uint256,uint256,uint256)", args, &r,
			     e))
		return false;
	bool ok = chain_abi_get_u256(chain_abi_at(r, 0), &out->shares, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 1), &out->claimable, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 2), &out->pending, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 3), &out->withdrawing_shares, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_settlement_phases(struct chain_bind *b, uint64_t epoch, struct chain_phases *out,
			     bool *ended, struct err *e)
{
	struct chain_abi_value *r;
	memset(out, 0, sizeof(*out));
	*ended = false;
	if (!chain_bind_call(b, b->dep.staking, "epochEndTime(uint64)(uint64)", args1_u64(epoch), &r,
			     e))
		return false;
	uint64_t end;
	bool ok = get_u64_max(r, 0, UINT64_MAX, &end, e);
	chain_abi_value_free(r);
	if (!ok || end == 0)
		return ok;
	if (!chain_bind_call(b, b->dep.settlement, "phases(uint64)(uint64,uint64,uint64,uint64)",
			     args1_u64(epoch), &r, e))
		return false;
	ok = get_u64_max(r, 0, UINT64_MAX, &out->end, e) &&
	     get_u64_max(r, 1, UINT64_MAX, &out->commit_end, e) &&
	     get_u64_max(r, 2, UINT64_MAX, &out->reveal_end, e) &&
	     get_u64_max(r, 3, UINT64_MAX, &out->dispute_end, e);
	*ended = ok;
	chain_abi_value_free(r);
	return ok;
}

const char *chain_epoch_status_name(uint8_t status)
{
	static const char *const names[] = {"open", "finalizing", "finalized", "voided"};
	return status < ARRAY_LEN(names) ? names[status] : "?";
}

bool chain_settlement_epoch_state(struct chain_bind *b, uint64_t epoch,
				  struct chain_epoch_state *out, struct err *e)
{
	struct chain_abi_value *r;
	memset(out, 0, sizeof(*out));
	if (!chain_bind_call(b, b->dep.settlement,
			     "epochStates(uint64)(uint256,uint16,bool,uint8,uint32,uint128,uint128,"
			     "uint128,uint128)",
			     args1_u64(epoch), &r, e))
		return false;
	uint64_t cnt, st, prog;
	struct chain_u256 mask;
	bool ok = chain_abi_get_u256(chain_abi_at(r, 0), &mask, e) &&
		  get_u64_max(r, 1, 65535, &cnt, e) &&
		  chain_abi_get_bool(chain_abi_at(r, 2), &out->cancelled, e) &&
		  get_u64_max(r, 3, 255, &st, e) && get_u64_max(r, 4, UINT32_MAX, &prog, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 5), &out->pool, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 6), &out->node_pool, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 7), &out->auditor_pool, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 8), &out->paid, e);
	if (ok)
		chain_u256_to_be(&mask, out->revealed_mask);
	out->revealed = (uint16_t)cnt;
	out->status = (uint8_t)st;
	out->progress = (uint32_t)prog;
	chain_abi_value_free(r);
	return ok;
}

bool chain_registry_blob_info(struct chain_bind *b, const uint8_t blob_id[32],
			      struct chain_blob_info *out, struct err *e)
{
	struct chain_abi_value *r;
	memset(out, 0, sizeof(*out));
	struct chain_abi_value *args =
		chain_abi_push(chain_abi_tuple_new(), chain_abi_fixed_bytes_new(blob_id, 32));
	if (!chain_bind_call(b, b->dep.blob_registry,
			     "blobInfo(bytes32)((address,uint8,uint64,uint64,uint64,uint64,uint64,"
			     "uint64,uint128))",
			     args, &r, e))
		return false;
	const struct chain_abi_value *t = chain_abi_at(r, 0);
	uint64_t enc;
	bool ok = t && chain_abi_get_address(chain_abi_at(t, 0), out->owner, e) &&
		  get_u64_max(t, 1, 255, &enc, e) &&
		  get_u64_max(t, 2, UINT64_MAX, &out->unencoded_size, e) &&
		  get_u64_max(t, 3, UINT64_MAX, &out->start_epoch, e) &&
		  get_u64_max(t, 4, UINT64_MAX, &out->end_epoch, e) &&
		  get_u64_max(t, 5, UINT64_MAX, &out->certified_epoch, e) &&
		  get_u64_max(t, 6, UINT64_MAX, &out->certified_block, e) &&
		  get_u64_max(t, 7, UINT64_MAX, &out->encoded_size, e) &&
		  chain_abi_get_u256(chain_abi_at(t, 8), &out->fee_per_epoch, e);
	out->encoding_type = (uint8_t)enc;
	static const uint8_t zero[20];
	out->registered = ok && memcmp(out->owner, zero, 20) != 0;
	chain_abi_value_free(r);
	return ok;
}

bool chain_token_balance(struct chain_bind *b, const uint8_t who[20], struct chain_u256 *out,
			 struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, b->dep.token, "balanceOf(address)(uint256)", args1_addr(who), &r, e))
		return false;
	bool ok = chain_abi_get_u256(chain_abi_at(r, 0), out, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_mask_has(const uint8_t mask[32], uint8_t id)
{
	return (mask[31 - id / 8] >> (id % 8)) & 1;
}

/* ---- Settlement: auditors, secrets, attestations ---- */

static struct chain_abi_value *args_u64_u8(uint64_t v, uint8_t a)
{
	return chain_abi_push(args1_u64(v), chain_abi_uint_new(a));
}

static bool call_u64(struct chain_bind *b, const uint8_t to[20], const char *sig,
		     struct chain_abi_value *args, uint64_t *out, struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, to, sig, args, &r, e))
		return false;
	bool ok = get_u64_max(r, 0, UINT64_MAX, out, e);
	chain_abi_value_free(r);
	return ok;
}

static bool call_b32(struct chain_bind *b, const uint8_t to[20], const char *sig,
		     struct chain_abi_value *args, uint8_t out[32], struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, to, sig, args, &r, e))
		return false;
	bool ok = chain_abi_get_bytes32(chain_abi_at(r, 0), out, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_settlement_auditor(struct chain_bind *b, uint8_t id, uint8_t signer[20],
			      uint8_t payee[20], bool *active, struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, b->dep.settlement, "auditors(uint8)(address,address,bool)",
			     chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(id)), &r, e))
		return false;
	bool ok = chain_abi_get_address(chain_abi_at(r, 0), signer, e) &&
		  chain_abi_get_address(chain_abi_at(r, 1), payee, e) &&
		  chain_abi_get_bool(chain_abi_at(r, 2), active, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_settlement_next_to_settle(struct chain_bind *b, uint64_t *out, struct err *e)
{
	return call_u64(b, b->dep.settlement, "nextToSettle()(uint64)", NULL, out, e);
}

bool chain_settlement_quorum(struct chain_bind *b, uint64_t *out, struct err *e)
{
	return call_u64(b, b->dep.settlement, "quorum()(uint256)", NULL, out, e);
}

bool chain_staking_epoch_duration(struct chain_bind *b, uint64_t *out, struct err *e)
{
	return call_u64(b, b->dep.staking, "epochDuration()(uint64)", NULL, out, e);
}

bool chain_settlement_evidence_registry(struct chain_bind *b, uint8_t out[20], struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, b->dep.settlement, "evidenceRegistry()(address)", NULL, &r, e))
		return false;
	bool ok = chain_abi_get_address(chain_abi_at(r, 0), out, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_settlement_thresholds(struct chain_bind *b, uint64_t *r0_bps, uint64_t *penalty_bps,
				 struct err *e)
{
	struct chain_abi_value *r;
	if (!chain_bind_call(b, b->dep.settlement,
			     "params()(uint16,uint16,uint16,uint16,uint8,uint64,uint64,uint64)", NULL,
			     &r, e))
		return false;
	bool ok = get_u64_max(r, 0, 10000, r0_bps, e) && get_u64_max(r, 1, 10000, penalty_bps, e);
	chain_abi_value_free(r);
	return ok;
}

bool chain_settlement_secret_hash(struct chain_bind *b, uint64_t epoch, uint8_t id,
				  uint8_t out[32], struct err *e)
{
	return call_b32(b, b->dep.settlement, "secretHashes(uint64,uint8)(bytes32)",
			args_u64_u8(epoch, id), out, e);
}

bool chain_settlement_commit(struct chain_bind *b, uint64_t epoch, uint8_t id, uint8_t out[32],
			     struct err *e)
{
	return call_b32(b, b->dep.settlement, "attestationCommits(uint64,uint8)(bytes32)",
			args_u64_u8(epoch, id), out, e);
}

/* ---- events ---- */

void chain_topic_u64(uint8_t t[32], uint64_t v)
{
	memset(t, 0, 32);
	for (int i = 0; i < 8; i++)
		t[31 - i] = (uint8_t)(v >> (8 * i));
}

void chain_topic_address(uint8_t t[32], const uint8_t a[20])
{
	memset(t, 0, 12);
	memcpy(t + 12, a, 20);
}

void chain_bind_set_event_store(struct chain_bind *b, const struct chain_event_store *s,
				uint64_t keep_back, uint64_t log_chunk)
{
	b->events = s;
	b->keep_back = keep_back;
	b->log_chunk = log_chunk;
}

uint64_t chain_bind_log_blocks_scanned(const struct chain_bind *b)
{
	return b->log_blocks;
}

/* eth_getLogs over [from, to] (nothing when to < from), appended to *out. */
static bool scan_logs(struct chain_bind *b, const struct chain_log_filter *f0, uint64_t from,
		      uint64_t to, struct chain_logs *out, struct err *e)
{
	if (to < from)
		return true;
	struct chain_log_filter f = *f0;
	struct chain_logs got = {0, NULL};
	f.from_block = from;
	f.to_block = to;
	f.chunk = b->log_chunk;
	if (!chain_rpc_get_logs(b->rpc, &f, &got, e))
		return false;
	b->log_blocks += to - from + 1;
	log_debug("chain logs: read blocks %" PRIu64 "-%" PRIu64 " (%zu logs)", from, to, got.n);
	out->v = xrealloc(out->v, (out->n + got.n + 1) * sizeof(*out->v));
	if (got.n)
		memcpy(out->v + out->n, got.v, got.n * sizeof(*got.v));
	out->n += got.n;
	free(got.v);
	return true;
}

/* Brings the store's copy of address's logs up to `safe` (the blocks after its cursor,
 * every event); *kept: the block it now covers through (0 with *have false: none). */
static bool events_sync(struct chain_bind *b, const uint8_t address[20], uint64_t safe,
			bool *have, uint64_t *kept, struct err *e)
{
	const struct chain_event_store *st = b->events;
	uint64_t cid = b->dep.chain_id;
	/* Two tries: another reader sharing the store may move the cursor meanwhile. */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool found = false;
		uint64_t through = 0;
		if (!st->cursor(st->ctx, cid, address, &found, &through, e))
			return false;
		*have = found;
		*kept = through;
		if (found && through >= safe)
			return true;
		uint64_t from = found ? through + 1 : b->dep.start_block;
		if (safe < from) /* nothing final to keep yet */
			return true;
		struct chain_log_filter f;
		memset(&f, 0, sizeof(f));
		f.address = address;
		struct chain_logs fresh = {0, NULL};
		if (!scan_logs(b, &f, from, safe, &fresh, e))
			return false;
		size_t k = 0;
		for (size_t i = 0; i < fresh.n; i++) {
			if (fresh.v[i].removed)
				chain_log_clear(&fresh.v[i]);
			else
				fresh.v[k++] = fresh.v[i];
		}
		fresh.n = k;
		bool ok = st->append(st->ctx, cid, address, found, through, safe, &fresh, e);
		chain_logs_clear(&fresh);
		if (ok) {
			*have = true;
			*kept = safe;
			return true;
		}
		log_info("chain logs: keeping blocks %" PRIu64 "-%" PRIu64 ": %s", from, safe, e->msg);
	}
	return false;
}

/* With the event store: the kept logs matching f, then the blocks after them read live. */
static bool logs_with_store(struct chain_bind *b, const struct chain_log_filter *f,
			    struct chain_logs *out, struct err *e)
{
	uint64_t to = f->to_block;
	uint64_t safe = to > b->keep_back ? to - b->keep_back : 0;
	bool have = false;
	uint64_t kept = 0;
	if (!events_sync(b, f->address, safe, &have, &kept, e))
		return false;
	uint64_t live_from = f->from_block;
	if (have && kept >= f->from_block) {
		uint64_t upto = kept < to ? kept : to;
		const uint8_t *const topics[3] = {f->topics[0], f->topics[1], f->topics[2]};
		if (!b->events->query(b->events->ctx, b->dep.chain_id, f->address, topics,
				      f->from_block, upto, out, e))
			return false;
		live_from = upto + 1;
	}
	return scan_logs(b, f, live_from, to, out, e);
}

bool chain_bind_logs(struct chain_bind *b, const uint8_t address[20], const char *event,
		     const uint8_t *t1, const uint8_t *t2, struct chain_abi_sig **sig,
		     struct chain_logs *out, struct err *e)
{
	uint64_t to = b->at_block;
	memset(out, 0, sizeof(*out));
	*sig = NULL;
	if (!chain_abi_sig_parse(event, sig, e))
		return false;
	if (!to && !chain_rpc_block_number(b->rpc, &to, e))
		goto fail;
	struct chain_log_filter f;
	memset(&f, 0, sizeof(f));
	f.from_block = b->dep.start_block;
	f.to_block = to;
	f.address = address;
	f.topics[0] = (*sig)->topic;
	f.topics[1] = t1;
	f.topics[2] = t2;
	bool got = false;
	if (b->events) {
		struct err se = {{0}};
		got = logs_with_store(b, &f, out, &se);
		if (!got) {
			chain_logs_clear(out);
			memset(out, 0, sizeof(*out));
			log_warn("chain logs: the kept %s events are unusable, reading the chain "
				 "from its start: %s",
				 (*sig)->name, se.msg);
		}
	}
	if (!got && !scan_logs(b, &f, f.from_block, to, out, e)) {
		err_prefix(e, "reading %s events: ", (*sig)->name);
		goto fail;
	}
	/* Keep only the logs still in the chain. */
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (out->v[i].removed) {
			chain_log_clear(&out->v[i]);
			continue;
		}
		out->v[k++] = out->v[i];
	}
	out->n = k;
	return true;
fail:
	chain_logs_clear(out);
	chain_abi_sig_free(*sig);
	*sig = NULL;
	return false;
}

bool chain_staking_candidates(struct chain_bind *b, uint8_t (**out)[20], size_t *n,
			      struct err *e)
{
	struct chain_abi_value *r;
	uint64_t count;
	*out = NULL;
	*n = 0;
	if (!chain_bind_call(b, b->dep.staking, "candidateCount()(uint256)", NULL, &r, e))
		return false;
	bool ok = chain_abi_get_u64(chain_abi_at(r, 0), &count, e);
	chain_abi_value_free(r);
	if (!ok)
		return false;
	/* Grown as they are read: the count is the chain's word, not an allocation size. */
	uint8_t(*v)[20] = NULL;
	for (uint64_t i = 0; i < count; i++) {
		if ((i & (i - 1)) == 0)
			v = xrealloc(v, (size_t)(i ? 2 * i : 1) * 20);
		if (!chain_bind_call(b, b->dep.staking, "candidates(uint256)(address)",
				     chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(i)), &r,
				     e)) {
			free(v);
			return false;
		}
		ok = chain_abi_get_address(chain_abi_at(r, 0), v[i], e);
		chain_abi_value_free(r);
		if (!ok) {
			free(v);
			return false;
		}
	}
	*out = v ? v : xcalloc(1, 20);
	*n = (size_t)count;
	return true;
}
