/* abi.h: the Solidity contract ABI: types, function and event signatures, encoding and
 * strict decoding of values, event logs and revert data.
 *
 * Types are parsed from their text form ("uint256", "(bytes32,string)[]",
 * "f(uint256,address[],(bytes32,string))"). Values are trees the caller can build from C
 * (chain_abi_uint_new, chain_abi_array_new, ...), parse from cast's argument syntax, or get
 * from the decoder, and walk through the public fields below.
 *
 * Decoding refuses anything a careful contract would refuse: offsets and lengths outside
 * the data, words that do not fit their type (uint8 with high bits, bool 2, dirty address
 * or bytesN padding), nesting deeper than CHAIN_ABI_MAX_DEPTH, and encodings that alias
 * offsets to blow up into far more values than bytes. */
#ifndef ASSAY_CHAIN_ABI_H
#define ASSAY_CHAIN_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/u256.h"
#include "core/util.h"

struct buf;
struct json_t;
struct err;

#define CHAIN_ABI_MAX_DEPTH 32

enum chain_abi_kind {
	CHAIN_ABI_UINT,        /* uintN, size = N bits */
	CHAIN_ABI_INT,         /* intN, size = N bits (two's complement in num) */
	CHAIN_ABI_ADDRESS,
	CHAIN_ABI_BOOL,
	CHAIN_ABI_FIXED_BYTES, /* bytesN, size = N bytes */
	CHAIN_ABI_BYTES,
	CHAIN_ABI_STRING,
	CHAIN_ABI_ARRAY,       /* T[k], size = k */
	CHAIN_ABI_DYN_ARRAY,   /* T[] */
	CHAIN_ABI_TUPLE,
};

struct chain_abi_type {
	enum chain_abi_kind kind;
	unsigned size;
	struct chain_abi_type *elem;    /* arrays */
	struct chain_abi_type **fields; /* tuples */
	size_t nfields;
	char *name;                     /* parameter name when one was given, else NULL */
	bool indexed;                   /* event parameter marked "indexed" */
};

/* A single type: "uint256", "address[]", "(bytes32,string)[2]". "uint"/"int" mean 256. */
bool chain_abi_type_parse(const char *text, struct chain_abi_type **out, struct err *e) WARN_UNUSED;
void chain_abi_type_free(struct chain_abi_type *t);
/* Canonical text ("(bytes32,string)[]"), as hashed for selectors; caller frees. */
char *chain_abi_type_canonical_new(const struct chain_abi_type *t);
bool chain_abi_type_is_dynamic(const struct chain_abi_type *t);

/* A function, event or error signature: "f(uint256,address[])", optionally with a
 * "function"/"event"/"error" keyword, parameter names, "indexed", and output types
 * ("balanceOf(address)(uint256)" or "... returns (uint256)"). */
struct chain_abi_sig {
	char *name;
	struct chain_abi_type *inputs;  /* a tuple */
	struct chain_abi_type *outputs; /* a tuple, or NULL when none were given */
	char *canonical;                /* "f(uint256,address[])" */
	uint8_t selector[4];            /* first 4 bytes of keccak(canonical) */
	uint8_t topic[32];              /* keccak(canonical): an event's topic 0 */
};
bool chain_abi_sig_parse(const char *text, struct chain_abi_sig **out, struct err *e) WARN_UNUSED;
void chain_abi_sig_free(struct chain_abi_sig *sig);

/* A value. Which fields hold it depends on kind (the kind of the type it was built for or
 * decoded from): num for uint/int/bool, addr for address, bytes/len for bytesN, bytes and
 * string (always followed by a NUL not counted in len), items/n for arrays and tuples. */
struct chain_abi_value {
	enum chain_abi_kind kind;
	struct chain_u256 num;
	uint8_t addr[20];
	uint8_t *bytes;
	size_t len;
	struct chain_abi_value **items;
	size_t n;
};

/* Building values from C. Lists (arrays and tuples) take ownership of pushed items. The
 * encoder accepts a uint value for an int type when it fits, bytes for bytesN when the
 * length matches, and any list for an array or tuple type of the right length. */
struct chain_abi_value *chain_abi_uint_new(uint64_t v);
struct chain_abi_value *chain_abi_u256_new(const struct chain_u256 *v);
struct chain_abi_value *chain_abi_int_new(int64_t v);
/* A two's complement 256-bit value for intN. */
struct chain_abi_value *chain_abi_i256_new(const struct chain_u256 *v);
struct chain_abi_value *chain_abi_bool_new(bool v);
struct chain_abi_value *chain_abi_address_new(const uint8_t addr[20]);
struct chain_abi_value *chain_abi_fixed_bytes_new(const uint8_t *data, size_t len); /* bytesN, len <= 32 */
struct chain_abi_value *chain_abi_bytes_new(const uint8_t *data, size_t len);
struct chain_abi_value *chain_abi_string_new(const char *s);
struct chain_abi_value *chain_abi_array_new(void);
struct chain_abi_value *chain_abi_tuple_new(void);
/* Appends item to an array or tuple, taking ownership; returns list for chaining. */
struct chain_abi_value *chain_abi_push(struct chain_abi_value *list, struct chain_abi_value *item);
void chain_abi_value_free(struct chain_abi_value *v);

/* Walking values (for eth_call results): NULL or false, with e set, on a kind or range
 * mismatch, so a caller can chain them without checking every step. */
const struct chain_abi_value *chain_abi_at(const struct chain_abi_value *v, size_t i);
bool chain_abi_get_u64(const struct chain_abi_value *v, uint64_t *out, struct err *e) WARN_UNUSED;
bool chain_abi_get_u256(const struct chain_abi_value *v, struct chain_u256 *out, struct err *e) WARN_UNUSED;
bool chain_abi_get_address(const struct chain_abi_value *v, uint8_t out[20], struct err *e) WARN_UNUSED;
bool chain_abi_get_bool(const struct chain_abi_value *v, bool *out, struct err *e) WARN_UNUSED;
bool chain_abi_get_bytes32(const struct chain_abi_value *v, uint8_t out[32], struct err *e) WARN_UNUSED;

/* Parses one argument in cast's syntax: decimal or 0x integers, "-5" for ints, 0x hex (or
 * bare hex) for addresses and bytes, true/false, bare or double-quoted strings, "[a, b]"
 * arrays and "(a, b)" tuples, nested. */
bool chain_abi_value_parse(const struct chain_abi_type *t, const char *text,
			   struct chain_abi_value **out, struct err *e) WARN_UNUSED;
/* Parses one argument per input of sig into a tuple value. */
bool chain_abi_args_parse(const struct chain_abi_sig *sig, char *const *args, size_t nargs,
			  struct chain_abi_value **out, struct err *e) WARN_UNUSED;
/* Text form for people, like cast's decoder: decimal numbers, checksummed addresses,
 * 0x hex, quoted strings, [..] arrays and (..) tuples. */
void chain_abi_value_format(const struct chain_abi_type *t, const struct chain_abi_value *v, struct buf *out);

/* abi.encode: v must be a tuple value matching tuple type t. Appends to out. */
bool chain_abi_encode(const struct chain_abi_type *t, const struct chain_abi_value *v,
		      struct buf *out, struct err *e) WARN_UNUSED;
/* Calldata: selector followed by the encoded arguments. */
bool chain_abi_encode_call(const struct chain_abi_sig *sig, const struct chain_abi_value *args,
			   struct buf *out, struct err *e) WARN_UNUSED;
/* An input that may be bytes, as cast reads it (keccak, messages to sign): 0x-prefixed
 * is the bytes its hex spells, anything else (0X too) its text. Appends to out; fails only
 * on 0x followed by what is not hex. */
bool chain_cast_bytes(struct buf *out, const char *in, struct err *e) WARN_UNUSED;
/* Calldata from text, as `cast calldata` takes it: the signature ("f(uint256)", return
 * types allowed) and one text per input (chain_abi_value_parse). Appends to out; *sig
 * (when sig is not NULL) is the parsed signature, the caller's to free. On failure
 * *bad_text says whether the signature or an argument was at fault, not the encoding. */
bool chain_abi_calldata_text(const char *sig_text, char *const *args, size_t nargs,
			     struct buf *out, struct chain_abi_sig **sig, bool *bad_text,
			     struct err *e) WARN_UNUSED;
/* abi.decode of tuple type t from data[0..len). Bytes after the encoding are ignored, as
 * Solidity's abi.decode ignores them. *out is a tuple value the caller frees. */
bool chain_abi_decode(const struct chain_abi_type *t, const uint8_t *data, size_t len,
		      struct chain_abi_value **out, struct err *e) WARN_UNUSED;
/* Decodes calldata of sig (selector checked) into a tuple of its inputs. */
bool chain_abi_decode_call(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			   struct chain_abi_value **out, struct err *e) WARN_UNUSED;
/* Decodes what an eth_call of sig returned, into a tuple of its outputs. */
bool chain_abi_decode_output(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			     struct chain_abi_value **out, struct err *e) WARN_UNUSED;
/* The same as text for people, as cast prints it: one output per line
 * (chain_abi_value_format), appended to out. */
bool chain_abi_format_output(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			     struct buf *out, struct err *e) WARN_UNUSED;

/* Decodes an event log of the (non-anonymous) event sig: topics[0] must be its topic,
 * indexed parameters come from the following topics (an indexed string, bytes, array or
 * tuple is only its keccak hash, returned as a bytes32 value), the others from data.
 * *out is a tuple of all parameters in declaration order. */
bool chain_abi_decode_log(const struct chain_abi_sig *event, const uint8_t (*topics)[32],
			  size_t ntopics, const uint8_t *data, size_t len,
			  struct chain_abi_value **out, struct err *e) WARN_UNUSED;

/* Explains revert data in one line: `Error("reason")` (0x08c379a0), `Panic(0x11:
 * arithmetic underflow or overflow)` (0x4e487b71), `Name(args)` for one of the given
 * custom errors, or the raw selector when none matches. Fails only when data claims to be
 * one of these and is malformed. *msg is malloc'd. */
bool chain_abi_decode_revert(const uint8_t *data, size_t len,
			     struct chain_abi_sig *const *errors, size_t nerrors, char **msg,
			     struct err *e) WARN_UNUSED;
/* The meaning of a Solidity panic code, or NULL for an unknown one. */
const char *chain_abi_panic_reason(uint64_t code);

/* Addresses: EIP-55 mixed-case checksum form ("0x" + 40 hex + NUL), and parsing of 0x +
 * 40 hex digits, where a mixed-case address must carry a correct checksum. */
void chain_address_checksum(char out[43], const uint8_t addr[20]);
bool chain_address_parse(uint8_t out[20], const char *text, struct err *e) WARN_UNUSED;
/* The checksum form as a new JSON string (for the commands' and the API's --json). */
struct json_t *chain_address_json(const uint8_t addr[20]);

#endif
