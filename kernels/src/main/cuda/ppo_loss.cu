// PPO's clipped objective per response token and its masked means; the Java counterpart is
// dev.lathe.kernels.PpoLoss.
//   ratio = exp(logp - old_logp)
//   pg    = max(-A ratio, -A clip(ratio, 1-c, 1+c))
//   vf    = max((vpred - R)^2, (clip(vpred, v - cv, v + cv) - R)^2)
//   loss  = masked_mean(pg) + vf_coef * 0.5 * masked_mean(vf)
// Where the clipped term wins strictly its gradient is 0; otherwise the unclipped term's.
#include <cuda_runtime.h>

// Per-token terms. All arrays [n] = [B*T], row-major.
// terms : [6, n] out: pg, vf, pg clipped?, vf clipped?, (logp - old)^2, ratio — each times mask
// dlogp_unit, dvpred_unit : [n] out: d pg / d logp and d vf / d vpred, times mask (before 1/count and weights)
// grid = ceil(n / 256), block = 256
extern "C" __global__ void ppo_loss_tokens(const float* __restrict__ logp, const float* __restrict__ old_logp,
                                           const float* __restrict__ adv, const float* __restrict__ vpred,
                                           const float* __restrict__ values, const float* __restrict__ returns,
                                           const float* __restrict__ mask, float* __restrict__ terms,
                                           float* __restrict__ dlogp_unit, float* __restrict__ dvpred_unit, int n,
                                           float cliprange, float cliprange_value) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float m = mask[i];
    float diff = logp[i] - old_logp[i], ratio = expf(diff);
    float clipped = fminf(fmaxf(ratio, 1.0f - cliprange), 1.0f + cliprange);
    float pg1 = -adv[i] * ratio, pg2 = -adv[i] * clipped;
    bool pg_clip = pg2 > pg1;
    float vc = fminf(fmaxf(vpred[i], values[i] - cliprange_value), values[i] + cliprange_value);
    float d1 = vpred[i] - returns[i], d2 = vc - returns[i];
    float vf1 = d1 * d1, vf2 = d2 * d2;
    bool vf_clip = vf2 > vf1;
    terms[i] = m * (pg_clip ? pg2 : pg1);
    terms[n + i] = m * (vf_clip ? vf2 : vf1);
    terms[2 * n + i] = m * (pg_clip ? 1.0f : 0.0f);
    terms[3 * n + i] = m * (vf_clip ? 1.0f : 0.0f);
    terms[4 * n + i] = m * diff * diff;
    terms[5 * n + i] = m * ratio;
    dlogp_unit[i] = m * (pg_clip ? 0.0f : pg1);
    dvpred_unit[i] = m * (vf_clip ? 0.0f : 2.0f * d1);
}

// Row sums of a [rows, n] array in double: sums[r] = sum_i x[r, i] (the masked means' numerators; the mask's own
// sum is one more row). grid = rows, block = 256 (a multiple of 32).
extern "C" __global__ void ppo_row_sums(const float* __restrict__ x, double* __restrict__ sums, int n) {
    __shared__ double partial[32];
    const float* row = x + (size_t)blockIdx.x * n;
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += row[i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) partial[warp] = s;
    __syncthreads();
    if (warp == 0) {
        s = lane < warps ? partial[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        if (lane == 0) sums[blockIdx.x] = s;
    }
}

// Gradients of loss = pg_loss + vf_coef * vf_loss given the upstream scalar gradient:
// dlogp = upstream / count * dlogp_unit,  dvpred = upstream / count * vf_coef * 0.5 * dvpred_unit.   [n] each
extern "C" __global__ void ppo_loss_backward(const float* __restrict__ dlogp_unit, const float* __restrict__ dvpred_unit,
                                             float* __restrict__ dlogp, float* __restrict__ dvpred, int n,
                                             float upstream_over_count, float vf_coef) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    dlogp[i] = upstream_over_count * dlogp_unit[i];
    dvpred[i] = upstream_over_count * vf_coef * 0.5f * dvpred_unit[i];
}
