/* http.h: the parts of HTTP semantics (RFC 9110) the gateway needs, as pure functions of
 * header values, so they are unit-tested and fuzzed apart from the server.
 *
 *   Range (§14.2)       "bytes=" range-set of int-ranges (a-b, a-) and suffix ranges (-n),
 *                       case-insensitive unit, optional whitespace around commas, empty list
 *                       elements skipped. A header that does not parse, or names another
 *                       unit, is ignored (the whole body is sent), as §14.2 says a server
 *                       may. Overlapping and adjacent ranges are coalesced; what is left
 *                       either is one range (206), several (the gateway sends the whole
 *                       body with 200: README says so), or none satisfiable (416).
 *   If-None-Match (§13.1.2)  weak comparison against our entity tag, "*" matches.
 *   If-Range (§13.1.5)       strong comparison; a date never matches (we send no
 *                            Last-Modified), so the Range is ignored.
 *   Content-Type             sniffed from a blob's first bytes for common types. */
#ifndef ASSAY_GATEWAY_HTTP_H
#define ASSAY_GATEWAY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many ranges in one header are looked at; more and the header is ignored
 * (a list of thousands of tiny ranges is an attack, not a request). */
#define GATEWAY_MAX_RANGES 64

/* An inclusive byte range [first, last] of a representation. */
struct gateway_range {
	uint64_t first, last;
};

enum gateway_range_kind {
	GATEWAY_RANGE_NONE,          /* no Range, or one that is ignored: send the whole body */
	GATEWAY_RANGE_ONE,           /* one satisfiable range (after coalescing): 206 */
	GATEWAY_RANGE_MULTI,         /* several disjoint satisfiable ranges: the whole body */
	GATEWAY_RANGE_UNSATISFIABLE, /* none satisfiable: 416, Content-Range: bytes *\/len */
};

/* Parse a Range header value (NULL: none) against a representation of len bytes. On
 * GATEWAY_RANGE_ONE, *out is the range, clamped to the representation. */
enum gateway_range_kind gateway_range_parse(const char *header, uint64_t len,
					    struct gateway_range *out);

/* Does an If-None-Match value match the entity tag (given quoted, e.g. "\"abc\"")? */
bool gateway_etag_none_match(const char *if_none_match, const char *etag);
/* Does an If-Range value match the entity tag strongly? */
bool gateway_if_range_match(const char *if_range, const char *etag);

/* The media type of content starting with these bytes (at most 512 are looked at; pass
 * what there is). Never NULL; "application/octet-stream" when nothing is recognized. */
const char *gateway_sniff(const uint8_t *data, size_t len);
#define GATEWAY_SNIFF_BYTES 512u

/* A media type a client may ask for with ?content-type=: type "/" subtype with token
 * characters, optional parameters, printable ASCII, at most 127 bytes. */
bool gateway_media_type_ok(const char *s);

/* The Content-Disposition value for ?filename= (and ?download=true for attachment):
 * `inline; filename="safe"; filename*=UTF-8''percent-encoded` in out (size n). False when
 * the name is empty, too long or not UTF-8 text. */
bool gateway_content_disposition(const char *filename, bool attachment, char *out, size_t n);

#endif
