/**
 * Changes Reprise's own build makes to the source node-llama-cpp ships
 * (llama.cpp and its own addon), before compiling it. Each one inserts `replacement` at the one place
 * `anchor` occurs; a source that already holds `replacement` is left as it is,
 * and a source where `anchor` is not found exactly once stops the build, since
 * that llama.cpp release needs the patch revised.
 */
export interface SourcePatch {
  /** Path inside node-llama-cpp's `llama` folder: its addon, and the llama.cpp source in `llama.cpp/`. */
  file: string;
  anchor: string;
  replacement: string;
}

const flashAttention = "llama.cpp/ggml/src/ggml-cpu/ops.cpp";
const tinyBlas = "llama.cpp/ggml/src/ggml-cpu/llamafile/sgemm.cpp";
const sampling = "addon/AddonContext.cpp";

export const llamaPatches: SourcePatch[] = [
  /**
   * Exactness. For one query token over 512 or more cached ones, ggml's CPU
   * flash attention splits the cache across threads and merges the partial
   * softmaxes: another rounding than the row-by-row path every batch of 2 to
   * 63 tokens takes. With the split off, plain decoding takes that same path.
   */
  {
    file: flashAttention,
    anchor: "const bool use_split_kv_path = !use_ref &&",
    replacement: "const bool use_split_kv_path = false && !use_ref &&",
  },
  /**
   * Speed of attention over a long conversation. Flash attention of fewer
   * than 64 tokens (every draft, and plain decoding) rescales an F16 sum
   * whenever a higher score turns up and rounds it to F16 at every cached
   * token. Here each row computes its scores (llama.cpp's own, to the bit),
   * then their softmax, then the weighted values in F32. For Gemma 3 270M on
   * one thread, 15 new tokens over 2,000 cached ones take 93 ms with
   * llama.cpp's sum and 65 with this one. The sum changes for one token as much as for a batch, so plain
   * decoding and drafts stay identical to each other.
   */
  {
    file: flashAttention,
    anchor: "#include <cmath>\n",
    replacement: "#include <cmath>\n#include <vector>\n",
  },
  {
    file: flashAttention,
    anchor: "static void ggml_compute_forward_flash_attn_ext_tiled(",
    replacement: `// Reprise: attention of one query row in three passes over the cache, for
// F16 K and V: the row's scores (llama.cpp's, to the bit), their softmax
// against the row's maximum, then the values weighted by it, summed in F32
// registers. The running softmax of
// ggml_compute_forward_flash_attn_ext_f16_one_chunk instead rescales an F16
// sum at every new maximum and rounds it to F16 at every cached token, with
// two more conversions each time. Every row depends only on its own query,
// mask and the cache, so a batch evaluates each row exactly as one token
// evaluates it alone.
#if defined(__AVX512F__)
#define REPRISE_FA_VL 16
typedef __m512 reprise_fa_v;
static inline reprise_fa_v reprise_fa_zero() { return _mm512_setzero_ps(); }
static inline reprise_fa_v reprise_fa_set1(float x) { return _mm512_set1_ps(x); }
static inline reprise_fa_v reprise_fa_load_f16(const ggml_fp16_t * p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p)); }
static inline reprise_fa_v reprise_fa_fma(reprise_fa_v a, reprise_fa_v b, reprise_fa_v c) { return _mm512_fmadd_ps(a, b, c); }
static inline void reprise_fa_store(float * p, reprise_fa_v x) { _mm512_storeu_ps(p, x); }
#elif defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
#define REPRISE_FA_VL 8
typedef __m256 reprise_fa_v;
static inline reprise_fa_v reprise_fa_zero() { return _mm256_setzero_ps(); }
static inline reprise_fa_v reprise_fa_set1(float x) { return _mm256_set1_ps(x); }
static inline reprise_fa_v reprise_fa_load_f16(const ggml_fp16_t * p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p)); }
static inline reprise_fa_v reprise_fa_fma(reprise_fa_v a, reprise_fa_v b, reprise_fa_v c) { return _mm256_fmadd_ps(a, b, c); }
static inline void reprise_fa_store(float * p, reprise_fa_v x) { _mm256_storeu_ps(p, x); }
#endif

// The row's scores against every cached token it sees (-INFINITY for the
// others), their maximum, and the range of cached tokens it sees.
struct reprise_fa_scores {
    float   max;
    int64_t first;
    int64_t last;
};

// Scores exactly as llama.cpp computes them: the dot product of the key with
// the query rounded to F16 (qh), as kq_vec_dot sums it. With AVX-512 and a
// query of NQ vectors (a multiple of 4), the same four lanes are summed here
// with the query kept in registers (qf: qh in F32), and reduced the same way.
template <int NQ>
static reprise_fa_scores reprise_fa_score_row(
        float * scores, const ggml_fp16_t * qh, const float * qf, int64_t DK, ggml_vec_dot_t kq_vec_dot,
        const char * k_head, size_t nbk1, const ggml_fp16_t * mp, float slope, float scale, float logit_softcap,
        int64_t n_kv) {
    static_assert(NQ % 4 == 0, "the query's vectors are taken four at a time");
    reprise_fa_scores r = { -INFINITY, n_kv, -1 };
#if defined(__AVX512F__) && !defined(__AVX512FP16__)
    __m512 qv[NQ > 0 ? NQ : 1];
    for (int j = 0; j < NQ; ++j) {
        qv[j] = _mm512_loadu_ps(qf + 16*j);
    }
#else
    GGML_UNUSED(qf);
#endif
    for (int64_t ic = 0; ic < n_kv; ++ic) {
        const float mv = mp ? slope*GGML_CPU_FP16_TO_FP32(mp[ic]) : 0.0f;
        if (mv == -INFINITY) {
            scores[ic] = -INFINITY;
            continue;
        }
        const ggml_fp16_t * kr = (const ggml_fp16_t *) (k_head + ic*nbk1);
        float s;
#if defined(__AVX512F__) && !defined(__AVX512FP16__)
        if (NQ > 0) {
            __m512 acc[4] = { _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps() };
            for (int j = 0; j < NQ; j += 4) {
                for (int a = 0; a < 4; ++a) {
                    acc[a] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (kr + 16*(j + a)))), qv[j + a], acc[a]);
                }
            }
            acc[0] = _mm512_add_ps(acc[0], acc[2]);
            acc[1] = _mm512_add_ps(acc[1], acc[3]);
            acc[0] = _mm512_add_ps(acc[0], acc[1]);
            s = (float) (ggml_float) _mm512_reduce_add_ps(acc[0]);
        } else
#endif
        {
            kq_vec_dot(DK, &s, 0, kr, 0, qh, 0, 1);
        }
        s *= scale;
        if (logit_softcap != 0.0f) {
            s = logit_softcap*tanhf(s);
        }
        s += mv;
        scores[ic] = s;
        r.max   = s > r.max ? s : r.max;
        r.first = ic < r.first ? ic : r.first;
        r.last  = ic;
    }
    return r;
}

// out[0, NV vectors) = the weighted sum of the values' columns from d on;
// NV = 0 takes one column.
template <int NV>
static void reprise_fa_weigh_values(
        float * out, const float * weights, const char * v_head, size_t nbv1, int64_t d, int64_t first, int64_t last) {
#if defined(REPRISE_FA_VL)
    if (NV > 0) {
        reprise_fa_v acc[NV > 0 ? NV : 1];
        for (int j = 0; j < NV; ++j) {
            acc[j] = reprise_fa_zero();
        }
        for (int64_t ic = first; ic <= last; ++ic) {
            if (weights[ic] == 0.0f) {
                continue;
            }
            const reprise_fa_v w = reprise_fa_set1(weights[ic]);
            const ggml_fp16_t * vr = (const ggml_fp16_t *) (v_head + ic*nbv1) + d;
            for (int j = 0; j < NV; ++j) {
                acc[j] = reprise_fa_fma(reprise_fa_load_f16(vr + j*REPRISE_FA_VL), w, acc[j]);
            }
        }
        for (int j = 0; j < NV; ++j) {
            reprise_fa_store(out + j*REPRISE_FA_VL, acc[j]);
        }
        return;
    }
#endif
    float acc = 0.0f;
    for (int64_t ic = first; ic <= last; ++ic) {
        if (weights[ic] != 0.0f) {
            acc += GGML_CPU_FP16_TO_FP32(((const ggml_fp16_t *) (v_head + ic*nbv1))[d])*weights[ic];
        }
    }
    out[0] = acc;
}

static void reprise_flash_attn_ext_f16_rows(
        ggml_tensor * dst,
        int ir0, int ir1) {
    const ggml_tensor * q     = dst->src[0];
    const ggml_tensor * k     = dst->src[1];
    const ggml_tensor * v     = dst->src[2];
    const ggml_tensor * mask  = dst->src[3];
    const ggml_tensor * sinks = dst->src[4];

    GGML_TENSOR_LOCALS(int64_t, neq, q,   ne)
    GGML_TENSOR_LOCALS(size_t,  nbq, q,   nb)
    GGML_TENSOR_LOCALS(int64_t, nek, k,   ne)
    GGML_TENSOR_LOCALS(size_t,  nbk, k,   nb)
    GGML_TENSOR_LOCALS(int64_t, nev, v,   ne)
    GGML_TENSOR_LOCALS(size_t,  nbv, v,   nb)
    GGML_TENSOR_LOCALS(int64_t, ne,  dst, ne)
    GGML_TENSOR_LOCALS(size_t,  nb,  dst, nb)

    const int64_t DK = nek0;
    const int64_t DV = nev0;

    const int64_t rk2 = neq2/nek2;
    const int64_t rk3 = neq3/nek3;
    const int64_t rv2 = neq2/nev2;
    const int64_t rv3 = neq3/nev3;

    float scale         = 1.0f;
    float max_bias      = 0.0f;
    float logit_softcap = 0.0f;

    memcpy(&scale,         (float *) dst->op_params + 0, sizeof(float));
    memcpy(&max_bias,      (float *) dst->op_params + 1, sizeof(float));
    memcpy(&logit_softcap, (float *) dst->op_params + 2, sizeof(float));

    if (logit_softcap != 0) {
        scale /= logit_softcap;
    }

    const uint32_t n_head      = neq2;
    const uint32_t n_head_log2 = 1u << (uint32_t) floor(log2(n_head));

    const float m0 = powf(2.0f, -(max_bias       ) / n_head_log2);
    const float m1 = powf(2.0f, -(max_bias / 2.0f) / n_head_log2);

    ggml_from_float_t const q_to_f16   = ggml_get_type_traits_cpu(GGML_TYPE_F16)->from_float;
    ggml_vec_dot_t    const kq_vec_dot = ggml_get_type_traits_cpu(GGML_TYPE_F16)->vec_dot;
    auto score_row = DK == 64 ? reprise_fa_score_row<4> : DK == 128 ? reprise_fa_score_row<8> :
                     DK == 256 ? reprise_fa_score_row<16> : reprise_fa_score_row<0>;

    thread_local std::vector<float> scores;
    thread_local std::vector<float> VKQ32;
    thread_local std::vector<ggml_fp16_t> qh;
    thread_local std::vector<float> qf;
    scores.resize(nek1);
    VKQ32.resize(DV);
    qh.resize(DK);
    qf.resize(DK);

    for (int ir = ir0; ir < ir1; ++ir) {
        const int iq3 = ir/(neq2*neq1);
        const int iq2 = (ir - iq3*neq2*neq1)/neq1;
        const int iq1 = (ir - iq3*neq2*neq1 - iq2*neq1);

        const uint32_t h = iq2;
        const float slope = (max_bias > 0.0f) ? h < n_head_log2 ? powf(m0, h + 1) : powf(m1, 2*(h - n_head_log2) + 1) : 1.0f;

        const ggml_fp16_t * mp = mask ? (ggml_fp16_t *)((char *) mask->data + iq1*mask->nb[1] + (iq2%mask->ne[2])*mask->nb[2] + (iq3%mask->ne[3])*mask->nb[3]) : NULL;

        const char * k_head = (const char *) k->data + (iq2/rk2)*nbk2 + (iq3/rk3)*nbk3;
        const char * v_head = (const char *) v->data + (iq2/rv2)*nbv2 + (iq3/rv3)*nbv3;
        const float * pq = (const float *) ((char *) q->data + (iq1*nbq1 + iq2*nbq2 + iq3*nbq3));

        q_to_f16(pq, qh.data(), DK);
        ggml_cpu_fp16_to_fp32(qh.data(), qf.data(), DK);
        const reprise_fa_scores r = score_row(scores.data(), qh.data(), qf.data(), DK, kq_vec_dot, k_head, nbk1, mp, slope, scale,
                                              logit_softcap, nek1);

        float M = r.max;
        float S = 0.0f;
        std::fill(VKQ32.begin(), VKQ32.end(), 0.0f);
        if (M != -INFINITY) {
            // Masked tokens inside the range weigh exactly 0.
            S = (float) ggml_vec_soft_max_f32(r.last + 1 - r.first, scores.data() + r.first, scores.data() + r.first, M);
            int64_t d = 0;
#if defined(REPRISE_FA_VL)
            for (; d + 16*REPRISE_FA_VL <= DV; d += 16*REPRISE_FA_VL) {
                reprise_fa_weigh_values<16>(VKQ32.data() + d, scores.data(), v_head, nbv1, d, r.first, r.last);
            }
            for (; d + 4*REPRISE_FA_VL <= DV; d += 4*REPRISE_FA_VL) {
                reprise_fa_weigh_values<4>(VKQ32.data() + d, scores.data(), v_head, nbv1, d, r.first, r.last);
            }
#endif
            for (; d < DV; ++d) {
                reprise_fa_weigh_values<0>(VKQ32.data() + d, scores.data(), v_head, nbv1, d, r.first, r.last);
            }
        }

        if (sinks) {
            const float s = ((float *)((char *) sinks->data))[h];
            if (s > M) {
                const float ms = expf(M - s);
                ggml_vec_scale_f32(DV, VKQ32.data(), ms);
                S = S*ms + 1.0f;
            } else {
                S += expf(s - M);
            }
        }

        const float S_inv = S == 0.0f ? 0.0f : 1.0f/S;
        ggml_vec_scale_f32(DV, VKQ32.data(), S_inv);

        // permute(0, 2, 1, 3)
        memcpy((char *) dst->data + (iq3*ne2*ne1 + iq2 + iq1*ne1)*nb1, VKQ32.data(), nb1);
    }
}

static void ggml_compute_forward_flash_attn_ext_tiled(`,
  },
  {
    file: flashAttention,
    anchor: `            } else {
                ggml_compute_forward_flash_attn_ext_f16_one_chunk(params, dst, ir0, ir1, 0, nek1, nullptr, 0);
            }`,
    replacement: `            } else if (!use_ref && q->type == GGML_TYPE_F32 && k->type == GGML_TYPE_F16 && v->type == GGML_TYPE_F16) {
                reprise_flash_attn_ext_f16_rows(dst, ir0, ir1);
            } else {
                ggml_compute_forward_flash_attn_ext_f16_one_chunk(params, dst, ir0, ir1, 0, nek1, nullptr, 0);
            }`,
  },
  /**
   * Speed of verification. A draft of n tokens multiplies every weight matrix
   * by n columns, and tinyBLAS's quantized kernel covers them in tiles of 4
   * columns, then reads the whole matrix once more for the 1 to 3 columns left
   * over: for Gemma 3 270M's 170 MB output matrix, a 33-token batch cost a
   * quarter more than a 32-token one. Here each group of 4 rows of the matrix
   * meets every column before the next group is read. Each element's
   * arithmetic is the tile's own, in the same order, so results are
   * bit-identical.
   */
  {
    file: tinyBlas,
    anchor: `        for (int64_t job = start; job < end; ++job) {
            int64_t ii = m0 + job / xtiles * 4;
            int64_t jj = n0 + job % xtiles * RN;
            __m256 Cv[RN][4] = {};`,
    replacement: `        for (int64_t job = start; job < end; ++job)
            tile4xN<RN>(m0 + job / xtiles * 4, n0 + job % xtiles * RN);
    }

    NOINLINE void gemm4xAll(int64_t m0, int64_t m, int64_t n0, int64_t n) {
        constexpr int RN = VECTOR_REGISTERS == 32 ? 4 : 2;
        int64_t ytiles = (m - m0) / 4;
        int64_t duty = (ytiles + nth - 1) / nth;
        int64_t start = duty * ith;
        int64_t end = start + duty;
        if (end > ytiles)
            end = ytiles;
        for (int64_t job = start; job < end; ++job) {
            int64_t ii = m0 + job * 4;
            int64_t jj = n0;
            for (; jj + RN <= n; jj += RN)
                tile4xN<RN>(ii, jj);
            switch (n - jj) {
            case 3: tile4xN<3>(ii, jj); break;
            case 2: tile4xN<2>(ii, jj); break;
            case 1: tile4xN<1>(ii, jj); break;
            }
        }
    }

    template <int RN>
    inline void tile4xN(int64_t ii, int64_t jj) {
        {
            __m256 Cv[RN][4] = {};`,
  },
  {
    file: tinyBlas,
    anchor: `        int64_t mc, nc, mp, np;
        switch ((MIN(m - m0, 4) << 4) | MIN(n - n0, 4)) {`,
    replacement: `        int64_t mc, nc, mp, np;
#if defined(__AVX2__) && defined(__F16C__)
        if (m - m0 >= 4 && n - n0 > 4 && (n - n0) % (VECTOR_REGISTERS == 32 ? 4 : 2) != 0) {
            gemm4xAll(m0, m, n0, n);
            mnpack(m0 + (m - m0) / 4 * 4, m, n0, n);
            return;
        }
#endif
        switch ((MIN(m - m0, 4) << 4) | MIN(n - n0, 4)) {`,
  },
  /**
   * Speed of verification. The same kernel reads its 4 rows as 4 interleaved
   * streams, which the hardware prefetcher follows poorly: a batch of 2 to 4
   * tokens takes the output matrix twice as long as one token. Asking for the
   * next group's rows while this one computes halves that, and takes a sixth
   * off a 33-token batch. Prefetching changes no arithmetic.
   */
  {
    file: tinyBlas,
    anchor: `                __m256i avec3 = load(A + lda * (ii + 3) + l);
`,
    replacement: `                __m256i avec3 = load(A + lda * (ii + 3) + l);
                for (int64_t i = 0; i < 4; ++i)
                    _mm_prefetch((const char *)(A + lda * (ii + 4 + i) + l), _MM_HINT_T0);
`,
  },
  /**
   * Speed of verification. With VNNI, each row-column dot product of a block
   * is computed as (a + 128)·b − 128·Σb: one unsigned-by-signed instruction
   * on the row flipped once, where llama.cpp takes two sign instructions per
   * row and column. Every block's sum is the same integer as llama.cpp's, so the
   * results are bit-identical; a 33-token batch costs about a twentieth less.
   */
  {
    file: tinyBlas,
    anchor: `    inline __m256 updot(__m256i u, __m256i s) {
`,
    replacement: `#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
    static inline __m256i dpbusd(__m256i acc, __m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
        return _mm256_dpbusd_epi32(acc, u, s);
#else
        return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
    }
#endif

    inline __m256 updot(__m256i u, __m256i s) {
`,
  },
  {
    file: tinyBlas,
    anchor: `                __m256i avec0 = load(A + lda * (ii + 0) + l);
`,
    replacement: `#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
                const __m256i flip = _mm256_set1_epi8((char)0x80);
                __m256i uvec0 = _mm256_xor_si256(load(A + lda * (ii + 0) + l), flip);
                __m256i uvec1 = _mm256_xor_si256(load(A + lda * (ii + 1) + l), flip);
                __m256i uvec2 = _mm256_xor_si256(load(A + lda * (ii + 2) + l), flip);
                __m256i uvec3 = _mm256_xor_si256(load(A + lda * (ii + 3) + l), flip);
                for (int64_t i = 0; i < 4; ++i)
                    _mm_prefetch((const char *)(A + lda * (ii + 4 + i) + l), _MM_HINT_T0);
                for (int64_t j = 0; j < RN; ++j) {
                    __m128 db = _mm_set1_ps(unhalf(B[ldb * (jj + j) + l].d));
                    __m256 dvec = _mm256_castps128_ps256(_mm_mul_ps(da, db));
                    dvec = _mm256_permute2f128_ps(dvec, dvec, 0);
                    __m256i bvec = load(B + ldb * (jj + j) + l);
                    __m256i offset = _mm256_sub_epi32(_mm256_setzero_si256(), dpbusd(_mm256_setzero_si256(), flip, bvec));
                    Cv[j][0] = madd(_mm256_shuffle_ps(dvec, dvec, 0), _mm256_cvtepi32_ps(dpbusd(offset, uvec0, bvec)), Cv[j][0]);
                    Cv[j][1] = madd(_mm256_shuffle_ps(dvec, dvec, 85), _mm256_cvtepi32_ps(dpbusd(offset, uvec1, bvec)), Cv[j][1]);
                    Cv[j][2] = madd(_mm256_shuffle_ps(dvec, dvec, 170), _mm256_cvtepi32_ps(dpbusd(offset, uvec2, bvec)), Cv[j][2]);
                    Cv[j][3] = madd(_mm256_shuffle_ps(dvec, dvec, 255), _mm256_cvtepi32_ps(dpbusd(offset, uvec3, bvec)), Cv[j][3]);
                }
#else
                __m256i avec0 = load(A + lda * (ii + 0) + l);
`,
  },
  {
    file: tinyBlas,
    anchor: `                                            _mm256_sign_epi8(load(B + ldb * (jj + j) + l), avec3)),
                                    Cv[j][3]);
                }
`,
    replacement: `                                            _mm256_sign_epi8(load(B + ldb * (jj + j) + l), avec3)),
                                    Cv[j][3]);
                }
#endif
`,
  },
  /**
   * Speed of verification. With VNNI, a batch of more than 4 tokens unpacks
   * and flips each group of 4 packed weight rows (Q5_0, Q4_0, IQ4_NL) once,
   * keeps them in L1 while they meet every column, and computes each column
   * block's scale and −128·Σb once per multiplication: before, every tile of
   * 4 columns unpacked the rows again. Q5_0 matrices of a 33-token batch take
   * a quarter less time. Each element's arithmetic is unchanged.
   */
  {
    file: tinyBlas,
    anchor: `#include <array>
`,
    replacement: `#include <array>
#include <vector>
`,
  },
  {
    file: tinyBlas,
    anchor: `        iq4nlt = _mm_loadu_si128((const __m128i *)kvalues_iq4nl);
    }

    void matmul(int64_t m, int64_t n) {
        mnpack(0, m, 0, n);
`,
    replacement: `        iq4nlt = _mm_loadu_si128((const __m128i *)kvalues_iq4nl);
    }

    void matmul(int64_t m, int64_t n) {
#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
        // Q8_0 rows need no unpacking, and streaming them through the tiles overlaps their
        // loads with the arithmetic better.
        if (!std::is_same<TA, block_q8_0>::value && m >= 4 && n > 4) {
            gemm4xAllFlipped(0, m, 0, n);
            mnpack(m / 4 * 4, m, 0, n);
            return;
        }
#endif
        mnpack(0, m, 0, n);
`,
  },
  {
    file: tinyBlas,
    anchor: `    // Templated functions for gemm of dimensions Mx4
`,
    replacement: `#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
    // Each group of 4 rows is unpacked and flipped (a + 128) once and kept in L1 while it meets
    // every column; each column block's scale and −128·Σb are computed once per call.
    NOINLINE void gemm4xAllFlipped(int64_t m0, int64_t m, int64_t n0, int64_t n) {
        constexpr int RN = VECTOR_REGISTERS == 32 ? 4 : 2;
        int64_t ytiles = (m - m0) / 4;
        int64_t duty = (ytiles + nth - 1) / nth;
        int64_t start = duty * ith;
        int64_t end = start + duty;
        if (end > ytiles)
            end = ytiles;
        if (start >= end)
            return;
        const __m256i flip = _mm256_set1_epi8((char)0x80);
        const int64_t cols = n - n0;
        // Kept per thread: allocated once, not on every call.
        static thread_local std::vector<float> db;
        static thread_local std::vector<__m256i> offset;
        static thread_local std::vector<__m256i> ua;
        static thread_local std::vector<__m128> da;
        db.resize(cols * k);
        offset.resize(cols * k);
        ua.resize(4 * k);
        da.resize(k);
        for (int64_t j = 0; j < cols; ++j)
            for (int64_t l = 0; l < k; ++l) {
                db[j * k + l] = unhalf(B[ldb * (n0 + j) + l].d);
                offset[j * k + l] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                                     dpbusd(_mm256_setzero_si256(), flip, load(B + ldb * (n0 + j) + l)));
            }
        for (int64_t job = start; job < end; ++job) {
            int64_t ii = m0 + job * 4;
            for (int64_t l = 0; l < k; ++l) {
                uint64_t a_delta = ((uint64_t)A[lda * (ii + 3) + l].d << 48) | ((uint64_t)A[lda * (ii + 2) + l].d << 32) | ((uint64_t)A[lda * (ii + 1) + l].d << 16) | (A[lda * (ii + 0) + l].d);
                da[l] = _mm_cvtph_ps(_mm_set_epi64x(0, a_delta));
                for (int64_t i = 0; i < 4; ++i) {
                    ua[4 * l + i] = _mm256_xor_si256(load(A + lda * (ii + i) + l), flip);
                    _mm_prefetch((const char *)(A + lda * (ii + 4 + i) + l), _MM_HINT_T0);
                }
            }
            int64_t jj = n0;
            for (; jj + RN <= n; jj += RN)
                tile4xNFlipped<RN>(ua.data(), da.data(), db.data(), offset.data(), ii, jj, n0);
            switch (n - jj) {
            case 3: tile4xNFlipped<3>(ua.data(), da.data(), db.data(), offset.data(), ii, jj, n0); break;
            case 2: tile4xNFlipped<2>(ua.data(), da.data(), db.data(), offset.data(), ii, jj, n0); break;
            case 1: tile4xNFlipped<1>(ua.data(), da.data(), db.data(), offset.data(), ii, jj, n0); break;
            }
        }
    }

    template <int RN>
    inline void tile4xNFlipped(const __m256i *ua, const __m128 *da, const float *db, const __m256i *offset,
                               int64_t ii, int64_t jj, int64_t n0) {
        __m256 Cv[RN][4] = {};
        for (int64_t l = 0; l < k; ++l) {
            for (int64_t j = 0; j < RN; ++j) {
                const int64_t c = (jj - n0 + j) * k + l;
                __m256 dvec = _mm256_castps128_ps256(_mm_mul_ps(da[l], _mm_set1_ps(db[c])));
                dvec = _mm256_permute2f128_ps(dvec, dvec, 0);
                __m256i bvec = load(B + ldb * (jj + j) + l);
                Cv[j][0] = madd(_mm256_shuffle_ps(dvec, dvec, 0), _mm256_cvtepi32_ps(dpbusd(offset[c], ua[4 * l + 0], bvec)), Cv[j][0]);
                Cv[j][1] = madd(_mm256_shuffle_ps(dvec, dvec, 85), _mm256_cvtepi32_ps(dpbusd(offset[c], ua[4 * l + 1], bvec)), Cv[j][1]);
                Cv[j][2] = madd(_mm256_shuffle_ps(dvec, dvec, 170), _mm256_cvtepi32_ps(dpbusd(offset[c], ua[4 * l + 2], bvec)), Cv[j][2]);
                Cv[j][3] = madd(_mm256_shuffle_ps(dvec, dvec, 255), _mm256_cvtepi32_ps(dpbusd(offset[c], ua[4 * l + 3], bvec)), Cv[j][3]);
            }
        }
        for (int64_t j = 0; j < RN; ++j)
            for (int64_t i = 0; i < 4; ++i)
                C[ldc * (jj + j) + (ii + i)] = hsum(Cv[j][i]);
    }
#endif

    // Templated functions for gemm of dimensions Mx4
`,
  },
  /**
   * Speed of verification. node-llama-cpp picks each position's token by
   * copying all 262,144 logits into a candidate list and running the sampler
   * chain over it, for every position of a draft. With greedy decoding and no
   * penalty, bias or grammar, that chain only takes the first highest logit:
   * the same token is found here by a vector scan of the logits themselves.
   */
  {
    file: sampling,
    anchor: `#include "AddonContext.h"
`,
    replacement: `#include "AddonContext.h"
#if defined(__AVX2__)
#include <immintrin.h>
#endif

// What the sampler chain would pick when it holds nothing but the greedy sampler, or -1 when it
// holds more (or the logits were sampled on the backend).
static llama_token greedyToken(llama_context* ctx, AddonSampler* sampler, int32_t batchLogitIndex) {
    const bool plain = sampler->greedySampler != nullptr && sampler->tokenBiasSampler == nullptr &&
        sampler->repeatPenaltySampler == nullptr && sampler->dryRepeatPenaltySampler == nullptr &&
        sampler->xtcSampler == nullptr &&
        (sampler->grammarEvaluationState == nullptr || sampler->grammarEvaluationState->sampler == nullptr);
    if (!plain || llama_get_sampled_probs_ith(ctx, batchLogitIndex) != nullptr ||
        llama_get_sampled_logits_ith(ctx, batchLogitIndex) != nullptr) {
        return -1;
    }
    const float* logits = llama_get_logits_ith(ctx, batchLogitIndex);
    const int32_t n = llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(ctx)));
    if (logits == nullptr || n <= 0) {
        return -1;
    }
    // The greedy sampler keeps the first logit no later one exceeds: NaN is never picked, except
    // first, where nothing exceeds it.
    if (std::isnan(logits[0])) {
        return 0;
    }
    float top = logits[0];
    int32_t i = 1;
#if defined(__AVX2__)
    // maxps(x, m) is x > m ? x : m, the sampler's own comparison; the maximum does not depend on
    // the order it is taken in, and its first occurrence is found below.
    __m256 best = _mm256_set1_ps(top);
    for (; i + 8 <= n; i += 8) {
        best = _mm256_max_ps(_mm256_loadu_ps(logits + i), best);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, best);
    for (float lane : lanes) {
        top = lane > top ? lane : top;
    }
#endif
    for (; i < n; i++) {
        top = logits[i] > top ? logits[i] : top;
    }
    int32_t first = 0;
    while (!(logits[first] == top)) {
        first++;
    }
    return first;
}
`,
  },
  {
    file: sampling,
    anchor: `            sampler->rebuildChainIfNeeded();

            llama_token_data_array cur_p;`,
    replacement: `            if (!returnProbabilities && !returnConfidence) {
                const llama_token greedy = greedyToken(ctx->ctx, sampler, batchLogitIndex);
                if (greedy >= 0) {
                    sampler->acceptToken(greedy);
                    result = greedy;
                    return;
                }
            }

            sampler->rebuildChainIfNeeded();

            llama_token_data_array cur_p;`,
  },
];

/** `source` with `patch` applied; throws when its anchor is not found exactly once. */
export function applyPatch(source: string, patch: SourcePatch): string {
  if (source.includes(patch.replacement)) return source;
  const parts = source.split(patch.anchor);
  if (parts.length !== 2) {
    throw new Error(
      `${patch.file}: expected "${patch.anchor.split("\n")[0]!.trim()}" once, found it ${parts.length - 1} times: this llama.cpp release needs Reprise's patch revised`,
    );
  }
  return parts.join(patch.replacement);
}
