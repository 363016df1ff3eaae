/* migrations.c: the database schema, as an append-only list.
 *
 * Migration i (1-based) takes the schema from version i-1 to i. A shipped migration is
 * never edited: change the schema by appending a new one. All pending migrations run in
 * one transaction, and the version is recorded in schema_version. */
#include "sql/migrations.h"
#include "core/util.h"

const struct migration db_migrations[] = {
	{"initial schema: nodes, blobs, epochs, challenges, attestations, transactions",
	 /* Storage nodes, as the chain (or a committee file) describes them. */
	 "CREATE TABLE nodes ("
	 "  node_id bytea PRIMARY KEY CHECK (octet_length(node_id) = 20),"
	 "  node_key bytea CHECK (node_key IS NULL OR octet_length(node_key) = 20),"
	 "  endpoint text NOT NULL,"
	 "  tls_key_pin text,"
	 "  commission_bps integer CHECK (commission_bps BETWEEN 0 AND 10000),"
	 "  source text NOT NULL CHECK (source IN ('chain', 'committee_file')),"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 /* Which shards a node holds in an epoch; in_grace: just received, not challenged. */
	 "CREATE TABLE shard_assignments ("
	 "  epoch bigint NOT NULL CHECK (epoch >= 0),"
	 "  shard integer NOT NULL CHECK (shard >= 0),"
	 "  node_id bytea NOT NULL REFERENCES nodes(node_id),"
	 "  in_grace boolean NOT NULL DEFAULT false,"
	 "  PRIMARY KEY (epoch, shard)"
	 ");"
	 "CREATE INDEX shard_assignments_node ON shard_assignments (node_id, epoch);"
	 /* Blobs as registered on chain; metadata is the BCS BlobMetadata once verified. */
	 "CREATE TABLE blobs ("
	 "  blob_id bytea PRIMARY KEY CHECK (octet_length(blob_id) = 32),"
	 "  unencoded_length bigint NOT NULL CHECK (unencoded_length >= 0),"
	 "  encoding_type smallint NOT NULL,"
	 "  n_shards integer NOT NULL CHECK (n_shards > 0),"
	 "  registered_block bigint,"
	 "  end_epoch bigint,"
	 "  certified_epoch bigint,"
	 "  certified_block bigint,"
	 "  metadata bytea,"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 "CREATE INDEX blobs_certified ON blobs (certified_block) WHERE certified_block IS NOT NULL;"
	 /* Epochs as the chain numbers them, with their seed once known. */
	 "CREATE TABLE epochs ("
	 "  epoch bigint PRIMARY KEY CHECK (epoch >= 0),"
	 "  start_time timestamptz,"
	 "  end_time timestamptz,"
	 "  seed_block bigint,"
	 "  seed bytea CHECK (seed IS NULL OR octet_length(seed) = 32),"
	 "  chain_state text,"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 /* One auditor's progress through an epoch: the settle job's state machine. */
	 "CREATE TABLE epoch_progress ("
	 "  epoch bigint NOT NULL REFERENCES epochs(epoch),"
	 "  auditor bytea NOT NULL CHECK (octet_length(auditor) = 20),"
	 "  state text NOT NULL CHECK (state IN ('planned', 'auditing', 'audited', 'scored',"
	 "    'committed', 'revealed', 'finalized', 'voided')),"
	 "  secret_commitment bytea CHECK (secret_commitment IS NULL OR octet_length(secret_commitment) = 32),"
	 "  updated_at timestamptz NOT NULL DEFAULT now(),"
	 "  PRIMARY KEY (epoch, auditor)"
	 ");"
	 /* Every challenge attempt, written once and never changed. The decided outcome of
	  * challenge seq is its last attempt. */
	 "CREATE TABLE challenges ("
	 "  epoch bigint NOT NULL CHECK (epoch >= 0),"
	 "  auditor bytea NOT NULL CHECK (octet_length(auditor) = 20),"
	 "  seq bigint NOT NULL CHECK (seq >= 0),"
	 "  attempt smallint NOT NULL CHECK (attempt >= 0),"
	 "  node_id bytea NOT NULL CHECK (octet_length(node_id) = 20),"
	 "  blob_id bytea NOT NULL CHECK (octet_length(blob_id) = 32),"
	 "  shard integer NOT NULL CHECK (shard >= 0),"
	 "  symbol_row integer NOT NULL CHECK (symbol_row >= 0),"
	 "  symbol_col integer NOT NULL CHECK (symbol_col >= 0),"
	 "  axis text NOT NULL CHECK (axis IN ('primary', 'secondary')),"
	 "  issued_at timestamptz NOT NULL,"
	 "  latency_ms integer NOT NULL CHECK (latency_ms >= 0),"
	 "  outcome text NOT NULL CHECK (outcome IN ('pass', 'invalid_proof', 'wrong_size',"
	 "    'bad_metadata', 'not_found', 'http_error', 'malformed', 'timeout', 'unreachable',"
	 "    'auditor_error')),"
	 "  http_status integer,"
	 "  response_hash bytea CHECK (response_hash IS NULL OR octet_length(response_hash) = 32),"
	 "  detail text,"
	 "  PRIMARY KEY (epoch, auditor, seq, attempt)"
	 ");"
	 "CREATE INDEX challenges_node ON challenges (epoch, node_id);"
	 "CREATE FUNCTION challenges_immutable() RETURNS trigger LANGUAGE plpgsql AS $$"
	 "  BEGIN RAISE EXCEPTION 'challenge records are never changed'; END $$;"
	 "CREATE TRIGGER challenges_no_update BEFORE UPDATE OR DELETE ON challenges"
	 "  FOR EACH ROW EXECUTE FUNCTION challenges_immutable();"
	 /* Attestations: ours as built and submitted, and every auditor's as read from chain. */
	 "CREATE TABLE attestations ("
	 "  epoch bigint NOT NULL CHECK (epoch >= 0),"
	 "  auditor bytea NOT NULL CHECK (octet_length(auditor) = 20),"
	 "  committee_hash bytea NOT NULL CHECK (octet_length(committee_hash) = 32),"
	 "  counts_hash bytea NOT NULL CHECK (octet_length(counts_hash) = 32),"
	 "  evidence_root bytea NOT NULL CHECK (octet_length(evidence_root) = 32),"
	 "  signature bytea CHECK (signature IS NULL OR octet_length(signature) = 65),"
	 "  source text NOT NULL CHECK (source IN ('local', 'chain')),"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  PRIMARY KEY (epoch, auditor, source)"
	 ");"
	 "CREATE TABLE attestation_counts ("
	 "  epoch bigint NOT NULL,"
	 "  auditor bytea NOT NULL,"
	 "  source text NOT NULL,"
	 "  node_id bytea NOT NULL CHECK (octet_length(node_id) = 20),"
	 "  passed bigint NOT NULL CHECK (passed >= 0),"
	 "  decided bigint NOT NULL CHECK (decided >= passed),"
	 "  PRIMARY KEY (epoch, auditor, source, node_id),"
	 "  FOREIGN KEY (epoch, auditor, source) REFERENCES attestations (epoch, auditor, source)"
	 ");"
	 /* Signed transactions, saved before they are broadcast (the sender's store). */
	 "CREATE TABLE transactions ("
	 "  id bigserial PRIMARY KEY,"
	 "  chain_id bigint NOT NULL,"
	 "  sender bytea NOT NULL CHECK (octet_length(sender) = 20),"
	 "  nonce bigint NOT NULL CHECK (nonce >= 0),"
	 "  tx_hash bytea NOT NULL UNIQUE CHECK (octet_length(tx_hash) = 32),"
	 "  raw bytea NOT NULL,"
	 "  purpose text NOT NULL,"
	 "  max_fee_per_gas numeric(78, 0) NOT NULL,"
	 "  max_priority_fee_per_gas numeric(78, 0) NOT NULL,"
	 "  state text NOT NULL CHECK (state IN ('signed', 'broadcast', 'mined', 'confirmed',"
	 "    'replaced', 'failed', 'dropped')),"
	 "  block_number bigint,"
	 "  block_hash bytea CHECK (block_hash IS NULL OR octet_length(block_hash) = 32),"
	 "  receipt_status smallint,"
	 "  created_at timestamptz NOT NULL DEFAULT now(),"
	 "  updated_at timestamptz NOT NULL DEFAULT now()"
	 ");"
	 "CREATE INDEX transactions_pending ON transactions (chain_id, sender, nonce)"
	 "  WHERE state IN ('signed', 'broadcast', 'mined');"},
	{"transactions: replacement chains, one first version per nonce, confirmed re-checks",
	 /* A replacement names the version it replaces; the database itself then refuses a
	  * second independent transaction for a nonce (the sender's crash-safety rule). */
	 "ALTER TABLE transactions ADD COLUMN replaces bigint REFERENCES transactions(id);"
	 "CREATE UNIQUE INDEX transactions_one_first_version ON transactions (chain_id, sender, nonce)"
	 "  WHERE replaces IS NULL;"
	 "CREATE INDEX transactions_recheck ON transactions (chain_id, sender, block_number)"
	 "  WHERE state = 'confirmed';"},
	{"chain cache: committee order per epoch, epoch committee hash and seed source, blob start epoch",
	 /* What chain/reader.h reads, kept so that an auditor restarted mid-epoch schedules
	  * from the same state without the chain: the committee in order (attestation
	  * counts are indexed by position), and what the snapshot rule needs. */
	 "CREATE TABLE committee_members ("
	 "  epoch bigint NOT NULL REFERENCES epochs(epoch),"
	 "  position integer NOT NULL CHECK (position >= 0),"
	 "  node_id bytea NOT NULL REFERENCES nodes(node_id),"
	 "  shard_count integer NOT NULL CHECK (shard_count >= 0),"
	 "  PRIMARY KEY (epoch, position)"
	 ");"
	 "ALTER TABLE epochs ADD COLUMN duration_s bigint,"
	 "  ADD COLUMN seed_source smallint,"
	 "  ADD COLUMN committee_hash bytea CHECK (committee_hash IS NULL OR octet_length(committee_hash) = 32),"
	 "  ADD COLUMN read_at_block bigint;"
	 "ALTER TABLE blobs ADD COLUMN start_epoch bigint;"},
	{"node scores: the chain's NodeScored results (median score, reward, penalty) per epoch and node",
	 /* A cache of what finalizeEpoch paid, filled by the settle job and `assay payouts`
	  * when they read the events, so the API can serve rewards without the chain. Amounts
	  * in wei; score scaled by 1e18 (1e18 = every challenge passed). */
	 "CREATE TABLE node_scores ("
	 "  epoch bigint NOT NULL CHECK (epoch >= 0),"
	 "  node_id bytea NOT NULL CHECK (octet_length(node_id) = 20),"
	 "  median_score numeric(78, 0) NOT NULL CHECK (median_score >= 0),"
	 "  reward numeric(78, 0) NOT NULL CHECK (reward >= 0),"
	 "  penalized boolean NOT NULL,"
	 "  slashed numeric(78, 0) NOT NULL CHECK (slashed >= 0),"
	 "  tx_hash bytea NOT NULL CHECK (octet_length(tx_hash) = 32),"
	 "  read_at timestamptz NOT NULL DEFAULT now(),"
	 "  PRIMARY KEY (epoch, node_id)"
	 ");"
	 "CREATE INDEX node_scores_node ON node_scores (node_id, epoch);"},
	{"attestation counts: committee position",
	 /* The evidence tree (settle/EVIDENCE.md, version 2) is built in committee order, so
	  * a proof served from the database needs the order the attestation was scored in.
	  * Rows saved before have none (NULL). */
	 "ALTER TABLE attestation_counts ADD COLUMN position integer"
	 "  CHECK (position IS NULL OR position >= 0);"},
	{"challenges partitioned by epoch (one LIST partition per epoch, dropped whole by db prune)",
	 /* Partitions are made by the writer before its COPY (db_challenges_copy calls
	  * challenges_partition_ensure for each epoch of a batch), not by a DEFAULT partition
	  * split later: a default partition would have to be scanned and emptied whenever a
	  * new epoch's partition is attached, and rows could land in it that prune can never
	  * drop whole. A row of an epoch with no partition is refused, which is loud rather
	  * than silent. The DDL lives here, in functions, so that C passes only parameters.
	  * The row trigger is defined on the parent: PostgreSQL clones it onto every partition,
	  * present and future, so UPDATE and DELETE stay refused on each of them, while DROP
	  * TABLE of a whole partition (prune, after archiving) does not fire row triggers. */
	 "ALTER TABLE challenges RENAME TO challenges_unpartitioned;"
	 "ALTER INDEX challenges_pkey RENAME TO challenges_unpartitioned_pkey;"
	 "ALTER INDEX challenges_node RENAME TO challenges_unpartitioned_node;"
	 "ALTER TRIGGER challenges_no_update ON challenges_unpartitioned"
	 "  RENAME TO challenges_unpartitioned_no_update;"
	 "CREATE TABLE challenges ("
	 "  epoch bigint NOT NULL CHECK (epoch >= 0),"
	 "  auditor bytea NOT NULL CHECK (octet_length(auditor) = 20),"
	 "  seq bigint NOT NULL CHECK (seq >= 0),"
	 "  attempt smallint NOT NULL CHECK (attempt >= 0),"
	 "  node_id bytea NOT NULL CHECK (octet_length(node_id) = 20),"
	 "  blob_id bytea NOT NULL CHECK (octet_length(blob_id) = 32),"
	 "  shard integer NOT NULL CHECK (shard >= 0),"
	 "  symbol_row integer NOT NULL CHECK (symbol_row >= 0),"
	 "  symbol_col integer NOT NULL CHECK (symbol_col >= 0),"
	 "  axis text NOT NULL CHECK (axis IN ('primary', 'secondary')),"
	 "  issued_at timestamptz NOT NULL,"
	 "  latency_ms integer NOT NULL CHECK (latency_ms >= 0),"
	 "  outcome text NOT NULL CHECK (outcome IN ('pass', 'invalid_proof', 'wrong_size',"
	 "    'bad_metadata', 'not_found', 'http_error', 'malformed', 'timeout', 'unreachable',"
	 "    'auditor_error')),"
	 "  http_status integer,"
	 "  response_hash bytea CHECK (response_hash IS NULL OR octet_length(response_hash) = 32),"
	 "  detail text,"
	 "  PRIMARY KEY (epoch, auditor, seq, attempt)"
	 ") PARTITION BY LIST (epoch);"
	 "CREATE INDEX challenges_node ON challenges (epoch, node_id);"
	 "CREATE TRIGGER challenges_no_update BEFORE UPDATE OR DELETE ON challenges"
	 "  FOR EACH ROW EXECUTE FUNCTION challenges_immutable();"
	 /* The partition of epoch ep, named challenges_e<ep>; concurrent writers of a new
	  * epoch serialize on an advisory lock so that only one creates it. */
	 "CREATE FUNCTION challenges_partition_ensure(ep bigint) RETURNS void"
	 "  LANGUAGE plpgsql AS $$"
	 "  BEGIN"
	 "    IF ep < 0 THEN RAISE EXCEPTION 'epoch % is negative', ep; END IF;"
	 "    IF to_regclass(format('challenges_e%s', ep)) IS NOT NULL THEN RETURN; END IF;"
	 "    PERFORM pg_advisory_xact_lock(7265616480);"
	 "    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF challenges"
	 "      FOR VALUES IN (%s)', format('challenges_e%s', ep), ep);"
	 "  END $$;"
	 /* Drops epoch ep's partition whole (db prune, after its archive is checked); false
	  * when it had none. The drop locks the whole table: rather than queue behind a long
	  * reader (and make every writer queue behind it), it gives up after a few seconds
	  * and prune says so. */
	 "CREATE FUNCTION challenges_partition_drop(ep bigint) RETURNS boolean"
	 "  LANGUAGE plpgsql AS $$"
	 "  BEGIN"
	 "    IF to_regclass(format('challenges_e%s', ep)) IS NULL THEN RETURN false; END IF;"
	 "    PERFORM set_config('lock_timeout', '5s', true);"
	 "    EXECUTE format('DROP TABLE %I', format('challenges_e%s', ep));"
	 "    RETURN true;"
	 "  END $$;"
	 /* Existing rows move into their epochs' partitions; the old table goes (its own
	  * trigger refuses DELETE, not DROP). */
	 "SELECT challenges_partition_ensure(epoch)"
	 "  FROM (SELECT DISTINCT epoch FROM challenges_unpartitioned) e;"
	 "INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
	 "  symbol_row, symbol_col, axis, issued_at, latency_ms, outcome, http_status,"
	 "  response_hash, detail)"
	 "  SELECT epoch, auditor, seq, attempt, node_id, blob_id, shard, symbol_row, symbol_col,"
	 "  axis, issued_at, latency_ms, outcome, http_status, response_hash, detail"
	 "  FROM challenges_unpartitioned;"
	 "DROP TABLE challenges_unpartitioned;"},
	{"chain log cursor: BlobCertified events read so far, per chain and registry",
	 /* chain/reader.h's log store (sql/chainlogs.c): how far the reader has read the
	  * registry's BlobCertified events (finalized blocks only) and the blob ids they
	  * named, in the order of their first event, so that a reader scans only the blocks
	  * since instead of the whole chain each epoch. */
	 "CREATE TABLE chain_log_cursors ("
	 "  chain_id bigint NOT NULL CHECK (chain_id > 0),"
	 "  contract bytea NOT NULL CHECK (octet_length(contract) = 20),"
	 "  event text NOT NULL,"
	 "  through_block bigint NOT NULL CHECK (through_block >= 0),"
	 "  updated_at timestamptz NOT NULL DEFAULT now(),"
	 "  PRIMARY KEY (chain_id, contract, event)"
	 ");"
	 "CREATE TABLE certified_blob_ids ("
	 "  chain_id bigint NOT NULL,"
	 "  registry bytea NOT NULL CHECK (octet_length(registry) = 20),"
	 "  position bigint NOT NULL CHECK (position >= 0),"
	 "  blob_id bytea NOT NULL CHECK (octet_length(blob_id) = 32),"
	 "  PRIMARY KEY (chain_id, registry, position),"
	 "  UNIQUE (chain_id, registry, blob_id)"
	 ");"},
	{"attestations: the evidence blob",
	 /* The blob ID of the evidence stored on the network (settle/EVIDENCE.md, "The
	  * evidence blob"), which the attestation names; saved with the scored attestation so
	  * that a rerun after a crash signs the blob it stored. Zeros: none (no registry bound,
	  * or saved before). */
	 "ALTER TABLE attestations ADD COLUMN evidence_blob bytea NOT NULL"
	 "  DEFAULT '\\x0000000000000000000000000000000000000000000000000000000000000000'"
	 "  CHECK (octet_length(evidence_blob) = 32);"},
	{"chain events: every log of a contract read so far (the settle job's settlement reads)",
	 /* chain/bindings.h's event store (sql/chainevents.c): the logs of the settlement
	  * contract through the block in chain_log_cursors (event '*'), which stays
	  * confirmations behind the head, so that each settle run asks the node only for the
	  * blocks since the last one. */
	 "CREATE TABLE chain_events ("
	 "  chain_id bigint NOT NULL CHECK (chain_id > 0),"
	 "  contract bytea NOT NULL CHECK (octet_length(contract) = 20),"
	 "  block_number bigint NOT NULL CHECK (block_number >= 0),"
	 "  log_index bigint NOT NULL CHECK (log_index >= 0),"
	 "  block_hash bytea NOT NULL CHECK (octet_length(block_hash) = 32),"
	 "  tx_hash bytea NOT NULL CHECK (octet_length(tx_hash) = 32),"
	 "  topic0 bytea CHECK (octet_length(topic0) = 32),"
	 "  topic1 bytea CHECK (octet_length(topic1) = 32),"
	 "  topic2 bytea CHECK (octet_length(topic2) = 32),"
	 "  topic3 bytea CHECK (octet_length(topic3) = 32),"
	 "  data bytea NOT NULL,"
	 "  PRIMARY KEY (chain_id, contract, block_number, log_index)"
	 ");"
	 "CREATE INDEX chain_events_topics ON chain_events (chain_id, contract, topic0, topic1);"},
};

const size_t db_migrations_count = ARRAY_LEN(db_migrations);
