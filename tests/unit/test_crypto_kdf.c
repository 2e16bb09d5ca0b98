// SPDX-License-Identifier: MIT
/*
 * SP800-108 KDF and SMB 3.x key derivation against Microsoft's published
 * vectors:
 *  - "SMB 2 and SMB 3 security in Windows 10: the anatomy of signing and
 *    cryptographic keys" (Open Specifications blog), Appendix "Key
 *    derivation examples": 3.0 and 3.1.1 multichannel, both channels;
 *  - "SMB 3.1.1 Encryption in Windows 10", Appendix A.1 (AES-128-GCM
 *    session) and A.2 (AES-128-CCM session).
 * The blog's "EncryptionKey" is the client's (client-to-server) key.
 * No 256-bit vector is published; L = 256 is checked against a second,
 * independent SP800-108 computation made here with EVP_MAC.
 */
#include "crypto/kdf.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "t.h"

static int same_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[64];
	size_t n = t_unhex(want, w, sizeof(w));

	if (n != len || memcmp(got, w, len)) {
		fprintf(stderr, "  want %s\n  got  ", want);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, "%02X", got[i]);
		fprintf(stderr, "\n");
		return 0;
	}
	return 1;
}

struct kdf_vector {
	const char *what;
	uint16_t dialect;
	const char *session_key;
	const char *preauth; /* 3.1.1 only */
	const char *signing, *encryption, *decryption, *application;
};

static const struct kdf_vector vectors[] = {
	{"anatomy 3.0 channel 1", SMB2_DIALECT_300,
	 "7CD451825D0450D235424E44BA6E78CC", NULL,
	 "0B7E9C5CAC36C0F6EA9AB275298CEDCE", "FAD27796665B313EBB578F388632B4F7",
	 "B0F0427F7CEB416D1D9DCC0CD4F99447",
	 "BB23A4575AA26C721AF525AF15A87B4F"},
	/* Second channel: only its signing key is its own. */
	{"anatomy 3.0 channel 2", SMB2_DIALECT_300,
	 "4E01A2B313BCF660CC250BEF021AEDE6", NULL,
	 "BA1A17DBBFEC349BCA105563D598952F", NULL, NULL, NULL},
	{"anatomy 3.1.1 channel 1", SMB2_DIALECT_311,
	 "270E1BA896585EEB7AF3472D3B4C75A7",
	 "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB79"
	 "28622DDDAD522D9751640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01",
	 "73FE7A9A77BEF0BDE49C650D8CCB5F76", "629BCBC54422A0F572B97F45989B6073",
	 "E2AF0DCEFAC68DA71A0DFBD0D1350D74",
	 "6D7AD7954E9EC61E907B4D473DC178FF"},
	{"anatomy 3.1.1 channel 2", SMB2_DIALECT_311,
	 "84B9DBB730116A8FA6E9889555C265F9",
	 "EA3BF912B11CBFEC5B1889E8209614218687F82FA5294521AD3063425E49E88A"
	 "10BD022124CE25123BC9111F52D9566BA88BF46344E6063DC5E3FF0389026F6C",
	 "C962BCA1A9DD1697B030644199705431", NULL, NULL, NULL},
	{"encryption blog A.1 (GCM)", SMB2_DIALECT_311,
	 "419FDDF34C1E001909D362AE7FB6AF79",
	 "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDB"
	 "A7DB256BA2EA30E977F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770",
	 "8765949DFEAEE105CE9118B45BE988F0", "A2F5E80E5D59103034F32E52F698E5EC",
	 "748C50868C90F302962A5C35F5F9A8BF",
	 "099D610789FBE82055B313601C3E8CC4"},
	{"encryption blog A.2 (CCM)", SMB2_DIALECT_311,
	 "07B7F69C1E2581662DF6987E88F9E891",
	 "DECF98A420718718F22090D3580FCC5E484BD310FA1268210C6E86335A8891E7"
	 "67F5BCD99FA5A7859D665AD07A73EA94E1BCDB7CFA69A6962A28A244138340B1",
	 "3DCC82C5795AE27F383242761078C59B", "DFAAA31AAE40A2485D47AC4DF09FDA1D",
	 "95C544AEF6072680DA1CE49A68A97FA6",
	 "7A2F0F73EC2D530879B2913BBFCE242F"},
};

static void test_published_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct kdf_vector *v = &vectors[i];
		uint8_t sk[16], pre[64];
		struct smb3_keys k;

		fprintf(stderr, "%s\n", v->what);
		T_ASSERT(t_unhex(v->session_key, sk, sizeof(sk)) == 16);
		if (v->preauth)
			T_ASSERT(t_unhex(v->preauth, pre, sizeof(pre)) == 64);
		T_EXPECT_EQ(smb3_derive_keys(v->dialect, sk, sizeof(sk),
					     v->preauth ? pre : NULL, 16, &k),
			    0);
		T_EXPECT_EQ(k.cipher_key_len, 16);
		T_EXPECT(same_hex(k.signing, 16, v->signing));
		if (v->encryption) {
			T_EXPECT(same_hex(k.encryption, 16, v->encryption));
			T_EXPECT(same_hex(k.decryption, 16, v->decryption));
			T_EXPECT(same_hex(k.application, 16, v->application));
		}
		/* 3.0.2 derives exactly as 3.0. */
		if (v->dialect == SMB2_DIALECT_300) {
			struct smb3_keys k2;

			T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_302, sk, 16,
						     NULL, 16, &k2),
				    0);
			T_EXPECT(!memcmp(&k, &k2, sizeof(k)));
			smb3_keys_wipe(&k2);
		}
		smb3_keys_wipe(&k);
		/* Wiped means zeroed. */
		T_EXPECT(k.signing[0] == 0 && k.cipher_key_len == 0);
	}
}

/* An independent SP800-108 counter-mode KDF, for L = 256 (two rounds). */
static void ref_kdf(const uint8_t *ki, size_t ki_len, const uint8_t *label,
		    size_t label_len, const uint8_t *ctx, size_t ctx_len,
		    uint8_t *out, size_t out_len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint8_t block[32], zero = 0, be[4];
	uint32_t bits = (uint32_t)out_len * 8;

	T_ASSERT(mac);
	for (uint32_t i = 1; out_len; i++) {
		EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
		size_t n = 0, take = out_len < 32 ? out_len : 32;

		T_ASSERT(c && EVP_MAC_init(c, ki, ki_len, p));
		be[0] = (uint8_t)(i >> 24), be[1] = (uint8_t)(i >> 16);
		be[2] = (uint8_t)(i >> 8), be[3] = (uint8_t)i;
		EVP_MAC_update(c, be, 4);
		EVP_MAC_update(c, label, label_len);
		EVP_MAC_update(c, &zero, 1);
		EVP_MAC_update(c, ctx, ctx_len);
		be[0] = (uint8_t)(bits >> 24), be[1] = (uint8_t)(bits >> 16);
		be[2] = (uint8_t)(bits >> 8), be[3] = (uint8_t)bits;
		EVP_MAC_update(c, be, 4);
		T_ASSERT(EVP_MAC_final(c, block, &n, sizeof(block)) && n == 32);
		EVP_MAC_CTX_free(c);
		memcpy(out, block, take);
		out += take;
		out_len -= take;
	}
	EVP_MAC_free(mac);
}

static void test_256_bit_keys(void)
{
	uint8_t full[32], pre[64], want[32];
	struct smb3_keys k, k128;

	for (size_t i = 0; i < sizeof(full); i++)
		full[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(pre); i++)
		pre[i] = (uint8_t)(3 * i + 1);
	T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_311, full, 32, pre, 32, &k),
		    0);
	T_EXPECT_EQ(k.cipher_key_len, 32);
	/* Cipher keys from the full session key, with L = 256. */
	ref_kdf(full, 32, (const uint8_t *)"SMBC2SCipherKey", 16, pre, 64, want,
		32);
	T_EXPECT(!memcmp(k.encryption, want, 32));
	ref_kdf(full, 32, (const uint8_t *)"SMBS2CCipherKey", 16, pre, 64, want,
		32);
	T_EXPECT(!memcmp(k.decryption, want, 32));
	/* Signing and application keys from the first 16 bytes, L = 128. */
	T_EXPECT_EQ(
		smb3_derive_keys(SMB2_DIALECT_311, full, 16, pre, 16, &k128),
		0);
	T_EXPECT(!memcmp(k.signing, k128.signing, 16));
	T_EXPECT(!memcmp(k.application, k128.application, 16));
	ref_kdf(full, 16, (const uint8_t *)"SMBSigningKey", 14, pre, 64, want,
		16);
	T_EXPECT(!memcmp(k.signing, want, 16));
	smb3_keys_wipe(&k);
	smb3_keys_wipe(&k128);
}

static void test_bad_input(void)
{
	uint8_t sk[16] = {1}, pre[64] = {0}, out[32];
	struct smb3_keys k;

	T_EXPECT_EQ(smb3_derive_keys(0x0210, sk, 16, NULL, 16, &k), -EINVAL);
	T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_311, sk, 16, NULL, 16, &k),
		    -EINVAL);
	/* 256-bit ciphers exist only in 3.1.1. */
	T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_300, sk, 16, NULL, 32, &k),
		    -EINVAL);
	T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_311, sk, 16, pre, 24, &k),
		    -EINVAL);
	T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_311, sk, 0, pre, 16, &k),
		    -EINVAL);
	T_EXPECT_EQ(smb3_kdf(sk, 16, NULL, 0, NULL, 0, out, 20), -EINVAL);
	T_EXPECT_EQ(smb3_kdf(NULL, 0, NULL, 0, NULL, 0, out, 16), -EINVAL);
	/* A session key shorter than 16 bytes is zero padded. */
	{
		uint8_t short_key[8] = {9, 8, 7, 6, 5, 4, 3, 2};
		uint8_t padded[16] = {9, 8, 7, 6, 5, 4, 3, 2};
		struct smb3_keys a, b;

		T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_300, short_key, 8,
					     NULL, 16, &a),
			    0);
		T_EXPECT_EQ(smb3_derive_keys(SMB2_DIALECT_300, padded, 16, NULL,
					     16, &b),
			    0);
		T_EXPECT(!memcmp(&a, &b, sizeof(a)));
	}
}

int main(void)
{
	T_RUN(test_published_vectors);
	T_RUN(test_256_bit_keys);
	T_RUN(test_bad_input);
	return t_done();
}
