/* web.h: the pages for storage providers and explorers that `assay api serve` answers
 * beside the JSON API (files of web/, embedded at build time by web/embed.cmake).
 *
 *   /                                        the network
 *   /nodes/{address}                         one node over epochs
 *   /epochs/{n}                              one epoch's attestations, verified in the page
 *   /epochs/{n}/nodes/{address}/evidence     a node's challenge records with Merkle proofs
 *   /assets/{file}                           scripts, styles (no other host is ever named)
 *
 * Every page route answers the same HTML shell; the script renders the page from /v1/ and
 * checks what it can against the chain by JSON-RPC. */
#ifndef ASSAY_SETTLE_WEB_H
#define ASSAY_SETTLE_WEB_H

#include <stdbool.h>
#include <stddef.h>

struct settle_web_asset {
	const char *path; /* "/assets/app.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};
extern const struct settle_web_asset settle_web_assets[];
extern const size_t settle_web_nassets;

/* The embedded asset at path, or NULL. */
const struct settle_web_asset *settle_web_asset_get(const char *path);

/* Is url one of the page routes above (a shell answered with 200)? */
bool settle_web_is_page(const char *url);

/* The origin ("http://host:port") of an http(s) URL into out; false when url is not one
 * (or has characters that do not belong in a Content-Security-Policy). */
bool settle_web_origin(const char *url, char *out, size_t n);

#endif
