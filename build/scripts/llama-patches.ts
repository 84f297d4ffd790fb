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
   * tokens took the output matrix twice as long as one token. Asking for the
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
