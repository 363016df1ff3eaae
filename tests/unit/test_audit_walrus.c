/* test_audit_walrus.c: every value of the shared Walrus vectors (../shared/vectors/walrus.json,
 * computed with Python's hashlib from DESIGN.md, independently of this code). The file is
 * embedded verbatim (re-serialized compactly) so that the suite runs from the repository
 * alone; the test walks the JSON, so no vector can be skipped by accident. */
#include <blake2.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/bcs.h"
#include "audit/blob.h"
#include "audit/merkle.h"
#include "audit/symbol.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static const char vectors_json[] =
	"{\"about\":\"Values computed with Python's hashlib (BLAKE2b, digest_size=32) from the Walrus "
	"format description in DESIGN.md, independently of any assay code. Hex is lowercase, no 0x."
	"\",\"merkle\":[{\"leaves_hex\":[],\"root\":\"00000000000000000000000000000000000000000000000000000"
	"00000000000\",\"note\":\"empty tree\"},{\"leaves_hex\":[\"54657374\"],\"root\":\"6ef5fbb3faab506502b68"
	"0cd9ab8be827b955e1f9171b82b1c5b3914870bf982\",\"note\":\"one leaf: H(0x00 || 'Test')\"},{\"leave"
	"s_hex\":[\"61\",\"62\",\"63\"],\"root\":\"a3dd32d607debce875c8dcfb1417d07c9bc4c5cccd0bacefd0a4a9473d"
	"958e37\",\"proofs\":[{\"index\":0,\"path\":[\"b3d5dedf654e9fc853bdc5daf79330c5a1eaf2b910f2a36c72ef"
	"8ea999ccf953\",\"c5549a7e9ed601204c690ff82532457d23c0f477faec7763f90eaced1c1f00fd\"]},{\"index"
	"\":1,\"path\":[\"7234082e1dd0b5ec0acd71875d61c9f374af30c100bc4de7aa4eb3f15bbed686\",\"c5549a7e9e"
	"d601204c690ff82532457d23c0f477faec7763f90eaced1c1f00fd\"]},{\"index\":2,\"path\":[null,\"ee61662"
	"5a590167bc4b3dc703ab4f3f2ddecbee6b9d05fee9281f02046e6082e\"]}],\"note\":\"null in a path is th"
	"e empty Node (0x00 on the wire), hashed as 32 zero bytes\"},{\"leaves_hex\":[\"0000000000\",\"01"
	"01010101\",\"0202020202\",\"0303030303\",\"0404040404\",\"0505050505\",\"0606060606\",\"0707070707\",\"0"
	"808080808\",\"0909090909\"],\"root\":\"d58432790087f8b649e784e5f8edcb34c31f5f8e4a8fec49b6c641715"
	"fd16fb9\",\"proofs\":[{\"index\":0,\"path\":[\"6a3c00acd71ccdb09812e96e6f239d37b895ed6534602d49c69"
	"2589b4d39a102\",\"3de4e293b50a20b9061759f7b21c8c275e0f2c80b9eaddc7fdb860bd28ad2166\",\"e46fea9"
	"162e68b2d92b28693adf754b1db41f563c07f2a70f4afa4b4495a7899\",\"8323236462c2b8f30eec47cebc195a"
	"371de1dd319e7dff8776a148d77a89b04d\"]},{\"index\":1,\"path\":[\"d24a8e1b3c02966d9333f96ba31248aa"
	"d7e35f52bb3e5f0b24b10748ce03161f\",\"3de4e293b50a20b9061759f7b21c8c275e0f2c80b9eaddc7fdb860b"
	"d28ad2166\",\"e46fea9162e68b2d92b28693adf754b1db41f563c07f2a70f4afa4b4495a7899\",\"8323236462c"
	"2b8f30eec47cebc195a371de1dd319e7dff8776a148d77a89b04d\"]},{\"index\":2,\"path\":[\"30315cad8196c"
	"5a3c33428dd1d7c4dae5eb321549e78b69a2a28f2a6cca6d542\",\"3a4726cb72b43258a80072dbdaaf1121e6c1"
	"677c636ebea1a048bb6f2e450776\",\"e46fea9162e68b2d92b28693adf754b1db41f563c07f2a70f4afa4b4495"
	"a7899\",\"8323236462c2b8f30eec47cebc195a371de1dd319e7dff8776a148d77a89b04d\"]},{\"index\":3,\"pa"
	"th\":[\"ab6a38c8836c198d77372b8b75a69c3a62508f2c6e39ad9c8d30eaf5c6d0d3fe\",\"3a4726cb72b43258a"
	"80072dbdaaf1121e6c1677c636ebea1a048bb6f2e450776\",\"e46fea9162e68b2d92b28693adf754b1db41f563"
	"c07f2a70f4afa4b4495a7899\",\"8323236462c2b8f30eec47cebc195a371de1dd319e7dff8776a148d77a89b04"
	"d\"]},{\"index\":4,\"path\":[\"d716a75bb75cebd4845e0c4eb7bdc60fcb110ab2dea519796a55c4b9f1d8c684\""
	",\"f0a29db4173155bba92f2cbab307d0dacdbb8704795daffa27034bf3cf75a9f3\",\"495fc73c6e7cc58c32b8d"
	"9f13dd66c11cbeeb251afeca949a66cc1d855455391\",\"8323236462c2b8f30eec47cebc195a371de1dd319e7d"
	"ff8776a148d77a89b04d\"]},{\"index\":5,\"path\":[\"574457c9f10184b072ad15591e04bdc3a4df8c5d98e5c8"
	"df4d3eb67c56ab1297\",\"f0a29db4173155bba92f2cbab307d0dacdbb8704795daffa27034bf3cf75a9f3\",\"49"
	"5fc73c6e7cc58c32b8d9f13dd66c11cbeeb251afeca949a66cc1d855455391\",\"8323236462c2b8f30eec47ceb"
	"c195a371de1dd319e7dff8776a148d77a89b04d\"]},{\"index\":6,\"path\":[\"56657dbae610d940467068cb306"
	"df9b4f808fe65884bf3cc20fb8477ea5b8cf0\",\"d3fd3f0b542b835be69e11421a4b0ad29cd71b13868af552e8"
	"6607a8a9678558\",\"495fc73c6e7cc58c32b8d9f13dd66c11cbeeb251afeca949a66cc1d855455391\",\"832323"
	"6462c2b8f30eec47cebc195a371de1dd319e7dff8776a148d77a89b04d\"]},{\"index\":7,\"path\":[\"3813ff3e"
	"a5009111c84b8218ccdc9737a219728a01b3bc7a583edc2f92bddac2\",\"d3fd3f0b542b835be69e11421a4b0ad"
	"29cd71b13868af552e86607a8a9678558\",\"495fc73c6e7cc58c32b8d9f13dd66c11cbeeb251afeca949a66cc1"
	"d855455391\",\"8323236462c2b8f30eec47cebc195a371de1dd319e7dff8776a148d77a89b04d\"]},{\"index\":"
	"8,\"path\":[\"56b0f67d5164cbb08e46f5b4bad63cfbd10eec75b188ecb295d696b8f8cd506f\",null,null,\"b7"
	"fb6e759462b257b6d7eae7a5782a207eb36b380d220c403178acb8290e51ad\"]},{\"index\":9,\"path\":[\"2669"
	"55d47596fe53275f0c6f2e6966c5f6ac460937326ec435e7148daccfee71\",null,null,\"b7fb6e759462b257b"
	"6d7eae7a5782a207eb36b380d220c403178acb8290e51ad\"]}],\"note\":\"null in a path is the empty No"
	"de (0x00 on the wire), hashed as 32 zero bytes\"}],\"params\":[{\"n\":4,\"f\":1,\"k_primary\":2,\"k_"
	"secondary\":3},{\"n\":7,\"f\":2,\"k_primary\":3,\"k_secondary\":5},{\"n\":10,\"f\":3,\"k_primary\":4,\"k_s"
	"econdary\":7},{\"n\":31,\"f\":10,\"k_primary\":11,\"k_secondary\":21},{\"n\":100,\"f\":33,\"k_primary\":3"
	"4,\"k_secondary\":67},{\"n\":1000,\"f\":333,\"k_primary\":334,\"k_secondary\":667}],\"symbol_size\":[{"
	"\"n\":10,\"unencoded_length\":0,\"symbol_size\":2},{\"n\":10,\"unencoded_length\":1,\"symbol_size\":2}"
	",{\"n\":10,\"unencoded_length\":28,\"symbol_size\":2},{\"n\":10,\"unencoded_length\":29,\"symbol_size"
	"\":2},{\"n\":10,\"unencoded_length\":62831,\"symbol_size\":2244},{\"n\":7,\"unencoded_length\":1000,\""
	"symbol_size\":68},{\"n\":1000,\"unencoded_length\":1000000,\"symbol_size\":6},{\"n\":1000,\"unencode"
	"d_length\":1000000000,\"symbol_size\":4490}],\"metadata\":[{\"bcs_hex\":\"0001e8030000000000000701"
	"556287beab7f3fc72e03ff24bbb7cc4e7866f42d21a222597041674b42a48a5201a44e7a134b346de7067b3a6e"
	"d777413e068d1924e9ca03f3dec3fa0ad7be4ce201c448e3423e679da283b0dcae81ece517befd814e604bc0be"
	"c96f54c00ab3ead2011ad9908ac713b2b59b3161a5658d2e87ce7e58a99c355995b17995f0cd21a685011c51c4"
	"ea08e8119f9f20c9fc2da8f4924590d3b742c9fc6dcbe71d031db651a80122f47952bde8e54a1b3ac98a294e0d"
	"8b564e001f0b3aebf1706326a4d59af8dd01c50ab9a81677478d04c89111b27af9f365d466c7e7660d2ec6a97d"
	"3581c4b5e201107fc5c1cde58db4146f7b9e30f8b95930faf99a86d165613e5ba29cef805ce70105671faa8abe"
	"bb7072b76a090f23b3c5dbf99fd9c6a001e4675367d1b1c36a1c01551c32576a03eace6a9b75439faa2c6a9ece"
	"b41912b1ab20521e9602465ce6410188a079ee1931bb8117357f65864f9b409d725aa1623516c34a66016d5915"
	"69cf010895f9d3b0190eec73622e2a81d33fde25215c3f23c930352a20b62eaf34923901e06d6b91cef9fa14f2"
	"b0d621cde00e529523313b4f7055ab3de530a38e769aee01aff892c0127c3a581bde102f522ffc49e7b021121d"
	"f0f3a1dec0c3a96b850df7\",\"blob_id_hex\":\"d4a2728e54c5f6d3660e1d31c9469b94490e20c4c9f85ac9cf8"
	"acf6a3f38229c\",\"blob_id\":\"1KJyjlTF9tNmDh0xyUablEkOIMTJ-FrJz4rPaj84Ipw\",\"note\":\"n=7, RS2 (1"
	"), length 1000, primary_hash[p]=H('p'||p), secondary_hash[p]=H('s'||p)\"}],\"shard_rotation\""
	":[{\"blob_id_hex\":\"d4a2728e54c5f6d3660e1d31c9469b94490e20c4c9f85ac9cf8acf6a3f38229c\",\"n\":7,"
	"\"r\":4,\"pair_of_shard_0\":3,\"shard_of_pair_0\":4},{\"blob_id_hex\":\"d4a2728e54c5f6d3660e1d31c94"
	"69b94490e20c4c9f85ac9cf8acf6a3f38229c\",\"n\":10,\"r\":8,\"pair_of_shard_0\":2,\"shard_of_pair_0\":"
	"8},{\"blob_id_hex\":\"d4a2728e54c5f6d3660e1d31c9469b94490e20c4c9f85ac9cf8acf6a3f38229c\",\"n\":1"
	"000,\"r\":268,\"pair_of_shard_0\":732,\"shard_of_pair_0\":268}],\"recovery_symbols\":[{\"metadata_w"
	"ith_id_hex\":\"4f99cc3aa974f36860b9b759e39c9b5161cbc993fe5d3434ea736c9deae4637700010c0000000"
	"000000004011e268633a4f920d21099af725474a73cbed41af560d3643c018763f84734fe2d0189bc8d2863a21"
	"01b4f92ea67473eade729b73d488689bda2df754a22085770ea0157ea5b6c6822780d2a8d62f96229380bcf509"
	"5998fc7d22a1118b85387112d9001d9a23256d6ab42bced39a484a1f62b4146a38bcb26eb3929ed8bfc52b93b3"
	"f0b01344ea230d4df769dee374d46e84d80ed0870e0713e626514e34927ea7d11994101c046771ff5986395dd6"
	"7f3f48eb3126ad19008db85b20f6dd42ead7abb4c25f50157693ae2e88fff21cc17e5ed539ae3f87b49aecb63c"
	"31a9d510bd8b19b70d0d8013c0b9231cf2ec5d816aac8b65a835b47bea8a38c35b8efc1c7dd640f722d7247\",\""
	"blob_id\":\"T5nMOql082hgubdZ45ybUWHLyZP-XTQ06nNsnerkY3c\",\"n\":4,\"symbol_size\":2,\"id\":\"1-2\",\"p"
	"roofAxis=primary\":{\"response_hex\":\"010101000265da020002018618a0fd1b23577304d8570f7cbca4e0e"
	"6bfdd702458772cd660c36b3e12ca1b01102561e789a7d5ef82acc0a025e432d52c1d35912d6a66fd7828540ac"
	"de68bac\",\"checked_against\":\"hashes[1].primary\"},\"proofAxis=secondary\":{\"response_hex\":\"010"
	"002000265da0100020172ab5631e71729dcc0b8e58eef67e3fbf23b4b8bc4a51733cae2f41bfe4da5bd012f573"
	"fa2a7ae2a4539aa3799c3ee24598748263b96b9c5a0b65635b74e68bdb7\",\"checked_against\":\"hashes[1]."
	"secondary\"},\"note\":\"toy n=4 blob of length 12 (symbol size 2); the symbol matrix is made u"
	"p, not a real code, which does not matter for checking proofs\"}]}";

static json_t *vectors(void)
{
	json_error_t je;
	json_t *v = json_loads(vectors_json, 0, &je);
	ck_assert_msg(v != NULL, "vectors: %s", je.text);
	return v;
}

static void unhex(struct buf *b, const char *hex)
{
	struct err e = {{0}};
	buf_reset(b);
	ck_assert_msg(hex_decode_buf(b, hex, &e), "%s", e.msg);
}

static void unhex32(uint8_t out[32], const char *hex)
{
	struct err e = {{0}};
	ck_assert_msg(hex_decode_exact(out, 32, hex, &e), "%s", e.msg);
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_string(v), "vector field %s missing", key);
	return json_string_value(v);
}

static uint64_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_integer(v), "vector field %s missing", key);
	return (uint64_t)json_integer_value(v);
}

START_TEST(test_merkle_vectors)
{
	json_t *v = vectors();
	json_t *cases = json_object_get(v, "merkle"), *c;
	size_t ci, checked_proofs = 0;
	ck_assert_uint_eq(json_array_size(cases), 4);
	json_array_foreach(cases, ci, c) {
		json_t *leaves = json_object_get(c, "leaves_hex");
		size_t n = json_array_size(leaves);
		struct buf *data = xcalloc(n ? n : 1, sizeof(*data));
		uint8_t (*lh)[32] = xcalloc(n ? n : 1, 32);
		for (size_t i = 0; i < n; i++) {
			unhex(&data[i], json_string_value(json_array_get(leaves, i)));
			audit_merkle_leaf_hash(lh[i], data[i].data, data[i].len);
		}
		uint8_t want[32], got[32];
		unhex32(want, str(c, "root"));
		audit_merkle_root_from_hashes(got, (const uint8_t(*)[32])lh, n);
		ck_assert_mem_eq(got, want, 32);
		struct audit_merkle_tree *t = audit_merkle_tree_new((const uint8_t(*)[32])lh, n);
		audit_merkle_tree_root(t, got);
		ck_assert_mem_eq(got, want, 32);

		json_t *proofs = json_object_get(c, "proofs"), *pr;
		size_t pi;
		json_array_foreach(proofs, pi, pr) {
			size_t index = num(pr, "index");
			json_t *path = json_object_get(pr, "path");
			struct audit_node want_path[AUDIT_MERKLE_MAX_DEPTH], got_path[AUDIT_MERKLE_MAX_DEPTH];
			size_t want_len = json_array_size(path), got_len;
			for (size_t k = 0; k < want_len; k++) {
				json_t *node = json_array_get(path, k);
				want_path[k].present = !json_is_null(node);
				memset(want_path[k].digest, 0, 32);
				if (want_path[k].present)
					unhex32(want_path[k].digest, json_string_value(node));
			}
			/* Our tree makes exactly the vector's path, Empty padding included. */
			audit_merkle_tree_proof(t, index, got_path, &got_len);
			ck_assert_uint_eq(got_len, want_len);
			for (size_t k = 0; k < want_len; k++) {
				ck_assert_int_eq(got_path[k].present, want_path[k].present);
				ck_assert_mem_eq(got_path[k].digest, want_path[k].digest, 32);
			}
			struct err e = {{0}};
			ck_assert_msg(audit_merkle_verify(want, n, index, data[index].data,
							  data[index].len, want_path, want_len, &e),
				      "%s", e.msg);
			/* The same path for the neighbouring leaf's data must fail. */
			size_t other = (index + 1) % n;
			if (other != index && (data[other].len != data[index].len ||
					       memcmp(data[other].data, data[index].data,
						      data[index].len)))
				ck_assert(!audit_merkle_verify(want, n, index, data[other].data,
							       data[other].len, want_path, want_len,
							       NULL));
			checked_proofs++;
		}
		audit_merkle_tree_free(t);
		for (size_t i = 0; i < n; i++)
			buf_free(&data[i]);
		free(data);
		free(lh);
	}
	ck_assert_uint_eq(checked_proofs, 13);
	json_decref(v);
}
END_TEST

START_TEST(test_params_vectors)
{
	json_t *v = vectors();
	json_t *c;
	size_t i;
	ck_assert_uint_gt(json_array_size(json_object_get(v, "params")), 0);
	json_array_foreach(json_object_get(v, "params"), i, c) {
		struct audit_params p;
		struct err e = {{0}};
		ck_assert_msg(audit_params_init(&p, (uint32_t)num(c, "n"), &e), "%s", e.msg);
		ck_assert_uint_eq(p.f, num(c, "f"));
		ck_assert_uint_eq(p.k_primary, num(c, "k_primary"));
		ck_assert_uint_eq(p.k_secondary, num(c, "k_secondary"));
	}
	json_decref(v);
}
END_TEST

START_TEST(test_symbol_size_vectors)
{
	json_t *v = vectors();
	json_t *c;
	size_t i;
	ck_assert_uint_gt(json_array_size(json_object_get(v, "symbol_size")), 0);
	json_array_foreach(json_object_get(v, "symbol_size"), i, c) {
		struct audit_params p;
		struct err e = {{0}};
		uint16_t ss = 0;
		ck_assert(audit_params_init(&p, (uint32_t)num(c, "n"), &e));
		ck_assert_msg(audit_symbol_size(&p, num(c, "unencoded_length"), &ss, &e), "%s", e.msg);
		ck_assert_uint_eq(ss, num(c, "symbol_size"));
	}
	json_decref(v);
}
END_TEST

START_TEST(test_metadata_vectors)
{
	json_t *v = vectors();
	json_t *c;
	size_t i;
	struct buf bcs = BUF_INIT, again = BUF_INIT;
	ck_assert_uint_gt(json_array_size(json_object_get(v, "metadata")), 0);
	json_array_foreach(json_object_get(v, "metadata"), i, c) {
		struct err e = {{0}};
		struct audit_metadata *md = NULL;
		unhex(&bcs, str(c, "bcs_hex"));
		ck_assert_msg(audit_metadata_parse(bcs.data, bcs.len, &md, &e), "%s", e.msg);
		ck_assert_uint_eq(md->encoding_type, AUDIT_ENCODING_RS2);
		ck_assert_uint_eq(md->unencoded_length, 1000);
		ck_assert_uint_eq(md->n_shards, 7);
		buf_reset(&again);
		audit_metadata_write(&again, md);
		ck_assert_uint_eq(again.len, bcs.len);
		ck_assert_mem_eq(again.data, bcs.data, bcs.len);

		uint8_t want[32], id[32];
		unhex32(want, str(c, "blob_id_hex"));
		audit_blob_id(md, id);
		ck_assert_mem_eq(id, want, 32);
		ck_assert_msg(audit_metadata_verify_id(md, want, &e), "%s", e.msg);
		char text[AUDIT_BLOB_ID_TEXT_LEN + 1];
		audit_blob_id_text(text, id);
		ck_assert_str_eq(text, str(c, "blob_id"));
		uint8_t back[32];
		ck_assert(audit_blob_id_parse(text, back, &e));
		ck_assert_mem_eq(back, id, 32);

		/* The note says hashes are H('p'||p) and H('s'||p): check that too, so the
		 * pairing of primary/secondary per pair is the one the vector meant. */
		for (uint32_t p = 0; p < md->n_shards; p++) {
			uint8_t in[2] = {'p', (uint8_t)p}, h[32];
			blake2b(h, in, NULL, 32, 2, 0);
			ck_assert(md->hashes[p].primary.present);
			ck_assert_mem_eq(md->hashes[p].primary.digest, h, 32);
			in[0] = 's';
			blake2b(h, in, NULL, 32, 2, 0);
			ck_assert(md->hashes[p].secondary.present);
			ck_assert_mem_eq(md->hashes[p].secondary.digest, h, 32);
		}
		/* One flipped byte of any hash changes the ID. */
		md->hashes[3].secondary.digest[7] ^= 1;
		ck_assert(!audit_metadata_verify_id(md, want, &e));
		audit_metadata_free(md);
	}
	buf_free(&bcs);
	buf_free(&again);
	json_decref(v);
}
END_TEST

START_TEST(test_shard_rotation_vectors)
{
	json_t *v = vectors();
	json_t *c;
	size_t i;
	ck_assert_uint_gt(json_array_size(json_object_get(v, "shard_rotation")), 0);
	json_array_foreach(json_object_get(v, "shard_rotation"), i, c) {
		uint8_t id[32];
		unhex32(id, str(c, "blob_id_hex"));
		uint32_t n = (uint32_t)num(c, "n");
		ck_assert_uint_eq(audit_blob_rotation(id, n), num(c, "r"));
		ck_assert_uint_eq(audit_pair_of_shard(id, n, 0), num(c, "pair_of_shard_0"));
		ck_assert_uint_eq(audit_shard_of_pair(id, n, 0), num(c, "shard_of_pair_0"));
		for (uint32_t s = 0; s < n; s++)
			ck_assert_uint_eq(audit_shard_of_pair(id, n, audit_pair_of_shard(id, n, s)), s);
	}
	json_decref(v);
}
END_TEST

START_TEST(test_recovery_symbol_vectors)
{
	json_t *v = vectors();
	json_t *c;
	size_t i;
	struct buf b = BUF_INIT, again = BUF_INIT;
	ck_assert_uint_gt(json_array_size(json_object_get(v, "recovery_symbols")), 0);
	json_array_foreach(json_object_get(v, "recovery_symbols"), i, c) {
		struct err e = {{0}};
		struct audit_metadata *md = NULL;
		uint8_t id[32];
		unhex(&b, str(c, "metadata_with_id_hex"));
		ck_assert_msg(audit_metadata_with_id_parse(b.data, b.len, id, &md, &e), "%s", e.msg);
		ck_assert_msg(audit_metadata_verify_id(md, id, &e), "%s", e.msg);
		char text[AUDIT_BLOB_ID_TEXT_LEN + 1];
		audit_blob_id_text(text, id);
		ck_assert_str_eq(text, str(c, "blob_id"));
		ck_assert_uint_eq(md->n_shards, num(c, "n"));
		buf_reset(&again);
		audit_metadata_with_id_write(&again, id, md);
		ck_assert_mem_eq(again.data, b.data, b.len);

		struct audit_params p;
		uint16_t ss;
		ck_assert(audit_metadata_params(md, &p, &ss, &e));
		ck_assert_uint_eq(ss, num(c, "symbol_size"));
		struct audit_symbol_id sid;
		ck_assert(audit_symbol_id_parse(str(c, "id"), md->n_shards, &sid, &e));

		static const char *axes[] = {"primary", "secondary"};
		for (int a = 0; a < 2; a++) {
			char key[64];
			snprintf(key, sizeof(key), "proofAxis=%s", axes[a]);
			json_t *resp = json_object_get(c, key);
			ck_assert_ptr_nonnull(resp);
			enum audit_proof_axis axis;
			ck_assert(audit_proof_axis_parse(axes[a], &axis, &e));
			unhex(&b, str(resp, "response_hex"));
			struct audit_recovery_symbols *list = NULL;
			ck_assert_msg(audit_recovery_symbols_parse(b.data, b.len, 1, &list, &e), "%s",
				      e.msg);
			ck_assert_uint_eq(list->count, 1);
			buf_reset(&again);
			audit_recovery_symbols_write(&again, list->items, list->count);
			ck_assert_uint_eq(again.len, b.len);
			ck_assert_mem_eq(again.data, b.data, b.len);

			enum audit_symbol_verdict vd = audit_symbol_verify(md, sid, axis, &list->items[0], &e);
			ck_assert_msg(vd == AUDIT_SYMBOL_PASS, "%s: %s", key, e.msg);
			/* "checked_against": hashes[P].primary|secondary */
			char against[64];
			uint32_t pair = audit_proof_pair(md->n_shards, sid, axis);
			snprintf(against, sizeof(against), "hashes[%u].%s", pair, axes[a]);
			ck_assert_str_eq(against, str(resp, "checked_against"));

			/* Asked on the other axis, the same response is the wrong axis. */
			enum audit_proof_axis other = axis == AUDIT_AXIS_PRIMARY ? AUDIT_AXIS_SECONDARY
										 : AUDIT_AXIS_PRIMARY;
			ck_assert_int_eq(audit_symbol_verify(md, sid, other, &list->items[0], &e),
					 AUDIT_SYMBOL_WRONG_AXIS);
			/* Any flipped data bit breaks the proof. */
			list->items[0].data[0] ^= 0x01;
			ck_assert_int_eq(audit_symbol_verify(md, sid, axis, &list->items[0], &e),
					 AUDIT_SYMBOL_INVALID_PROOF);
			ck_assert_str_eq(audit_symbol_outcome(AUDIT_SYMBOL_INVALID_PROOF), "invalid_proof");
			list->items[0].data[0] ^= 0x01;
			/* So does any flipped proof bit. */
			list->items[0].proof[1].digest[31] ^= 0x80;
			ck_assert_int_eq(audit_symbol_verify(md, sid, axis, &list->items[0], &e),
					 AUDIT_SYMBOL_INVALID_PROOF);
			audit_recovery_symbols_free(list);
		}
		audit_metadata_free(md);
	}
	buf_free(&b);
	buf_free(&again);
	json_decref(v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_walrus_vectors");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, test_merkle_vectors);
	tcase_add_test(tc, test_params_vectors);
	tcase_add_test(tc, test_symbol_size_vectors);
	tcase_add_test(tc, test_metadata_vectors);
	tcase_add_test(tc, test_shard_rotation_vectors);
	tcase_add_test(tc, test_recovery_symbol_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
