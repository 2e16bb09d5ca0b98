// SPDX-License-Identifier: MIT
/*
 * Fuzz the receive side of SMB 3.x encryption: transform header decoding
 * and a decrypt attempt with fixed keys, over a payload iterator cut into
 * input-chosen segments. Must never crash, read out of bounds or leak, on
 * any input.
 *
 * Input: one control byte, then data.
 *   bits 0-1: cipher (AES-128-CCM, AES-128-GCM, AES-256-CCM, AES-256-GCM)
 *   bit 2:    0 = data is a frame to decode and decrypt;
 *             1 = data is plaintext: encrypt, maybe corrupt, decrypt and
 *                 check the round trip (reaches the success paths)
 *   bits 3-5: segment size selector; bit 6: decrypt in place; bit 7: (mode
 *             1) flip one bit of the frame before decrypting
 * The 128-bit keys and SessionIds are those of Microsoft's "SMB 3.1.1
 * Encryption in Windows 10" Appendix A (server-to-client keys), so the
 * published response frames are seeds that decrypt successfully.
 * The seed corpus is tests/fuzz/corpus/transform/, made by
 * tests/fuzz/gen_transform_corpus.py.
 */
#include "crypto/seal.h"

#include <smbiov/iter.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum smb2_cipher ciphers[4] = {
	SMB2_CIPHER_AES128_CCM,
	SMB2_CIPHER_AES128_GCM,
	SMB2_CIPHER_AES256_CCM,
	SMB2_CIPHER_AES256_GCM,
};
static const uint64_t session_ids[4] = {
	0x100000000021ull,
	0x100000000025ull,
	0x100000000021ull,
	0x100000000025ull,
};
static const uint8_t keys[4][32] = {
	{0x95, 0xC5, 0x44, 0xAE, 0xF6, 0x07, 0x26, 0x80, 0xDA, 0x1C, 0xE4, 0x9A,
	 0x68, 0xA9, 0x7F, 0xA6},
	{0x74, 0x8C, 0x50, 0x86, 0x8C, 0x90, 0xF3, 0x02, 0x96, 0x2A, 0x5C, 0x35,
	 0xF5, 0xF9, 0xA8, 0xBF},
	{1,  2,	 3,  4,	 5,  6,	 7,  8,	 9,  10, 11, 12, 13, 14, 15, 16,
	 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32},
	{32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
	 16, 15, 14, 13, 12, 11, 10, 9,	 8,  7,	 6,  5,	 4,  3,	 2,  1},
};

static struct smb_sealer sealers[4];
static int ready;

static int setup(void)
{
	for (int c = 0; c < 4; c++)
		if (smb_sealer_init(&sealers[c], ciphers[c], session_ids[c],
				    keys[c], keys[c],
				    smb2_cipher_key_len(ciphers[c])))
			return -1;
	ready = 1;
	return 0;
}

/* Cut @len bytes at @p into a KVEC of @seg-byte pieces. */
static struct iovec *cut(uint8_t *p, size_t len, size_t seg, size_t *n)
{
	struct iovec *v = calloc(len / seg + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t at = 0; at < len; at += seg) {
		v[k].iov_base = p + at;
		v[k++].iov_len = len - at < seg ? len - at : seg;
	}
	*n = k;
	return v;
}

/* Decrypt @frame (52-byte header, 64-byte msg part, segmented rest). */
static int try_decrypt(struct smb_sealer *s, uint8_t *frame, size_t len,
		       size_t seg, int in_place, uint8_t *out)
{
	struct smbiov_iter src, dst;
	struct iovec *v, *w = NULL;
	size_t n = 0, m = 0, msg, rest;
	int err;

	/* smb_seal_decrypt() reads a whole 52-byte header: the transport
	 * never hands it less (the decoder rejects short frames above). */
	if (len < SMB2_TRANSFORM_HEADER_SIZE)
		return -1;
	rest = len - SMB2_TRANSFORM_HEADER_SIZE;
	msg = rest < 64 ? rest : 64;
	rest -= msg;
	v = cut(frame + SMB2_TRANSFORM_HEADER_SIZE + msg, rest, seg, &n);
	if (!v || smbiov_iter_kvec(&src, SMBIOV_ITER_SOURCE, v, n, rest)) {
		free(v);
		return -1;
	}
	if (!in_place) {
		w = cut(out, rest, seg + 3, &m);
		if (!w ||
		    smbiov_iter_kvec(&dst, SMBIOV_ITER_DEST, w, m, rest)) {
			free(v);
			free(w);
			return -1;
		}
	}
	err = smb_seal_decrypt(s, frame, frame + SMB2_TRANSFORM_HEADER_SIZE,
			       msg, rest ? &src : NULL, in_place ? NULL : &dst);
	free(v);
	free(w);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl, *frame, *out;
	struct smb_sealer *s;
	size_t seg;

	if (!ready && setup())
		abort();
	if (size < 1 || size > 1 << 20)
		return 0;
	ctl = data[0];
	data++;
	size--;
	s = &sealers[ctl & 3];
	seg = 1 + ((ctl >> 3) & 7) * 5;

	if (!(ctl & 4)) {
		struct smb2_transform_hdr th;

		/* Exact-size copies, so any overread is caught. */
		frame = malloc(size ? size : 1);
		out = malloc(size ? size : 1);
		if (!frame || !out)
			abort();
		memcpy(frame, data, size);
		if (size >= SMB2_TRANSFORM_HEADER_SIZE)
			(void)smb2_transform_hdr_decode(frame, size,
							s->session_id, &th);
		(void)try_decrypt(s, frame, size, seg, ctl & 0x40, out);
		free(frame);
		free(out);
		return 0;
	}

	/* Round trip: plaintext of at least an SMB2 header. */
	if (size < 64)
		return 0;
	{
		size_t flen = SMB2_TRANSFORM_HEADER_SIZE + size;
		int flip = ctl & 0x80, err;

		frame = malloc(flen);
		out = malloc(size);
		if (!frame || !out)
			abort();
		memcpy(frame + SMB2_TRANSFORM_HEADER_SIZE, data, size);
		if (smb_seal_encrypt(s, frame,
				     frame + SMB2_TRANSFORM_HEADER_SIZE, size,
				     NULL, NULL))
			abort();
		if (flip) {
			size_t bit = ((size_t)data[size - 1] * 131 +
				      data[size / 2]) %
				     (flen * 8);

			frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		err = try_decrypt(s, frame, flen, seg, ctl & 0x40, out);
		if (!flip && err)
			abort(); /* an untouched frame must decrypt */
		if (flip && !err)
			abort(); /* a flipped bit must never pass */
		if (!err &&
		    (memcmp(frame + SMB2_TRANSFORM_HEADER_SIZE, data, 64) ||
		     (!(ctl & 0x40) && memcmp(out, data + 64, size - 64))))
			abort();
		free(frame);
		free(out);
	}
	return 0;
}
