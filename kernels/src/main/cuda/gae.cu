// GAE and masked whitening for PPO rollouts; the Java counterparts are dev.lathe.kernels.Gae and MaskedWhiten.
#include <cuda_runtime.h>

// rewards, values, mask : [B, T];  advantages, returns : [B, T] out
// rewards and values count as 0 where mask == 0; the value after position T-1 is 0.
//   delta[t] = r[t] + gamma v[t+1] - v[t];  adv[t] = delta[t] + gamma lam adv[t+1];  returns = adv + v
// One thread per row (the recurrence runs backwards along T). grid = ceil(B / 128), block = 128
extern "C" __global__ void gae_advantages(const float* __restrict__ rewards, const float* __restrict__ values,
                                          const float* __restrict__ mask, float* __restrict__ advantages,
                                          float* __restrict__ returns, int B, int T, float gamma, float lam) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    double last = 0.0, next_value = 0.0;
    for (int t = T - 1; t >= 0; t--) {
        size_t i = (size_t)b * T + t;
        double value = (double)values[i] * mask[i];
        double delta = (double)rewards[i] * mask[i] + gamma * next_value - value;
        last = delta + (double)gamma * lam * last;
        advantages[i] = (float)last;
        returns[i] = (float)(last + value);
        next_value = value;
    }
}

// Masked moments in one block: moments = {sum mask*x, sum mask*x^2, sum mask} in double.
// x, mask : [n];  moments : [3] out.  grid = 1, block = 1024
extern "C" __global__ void masked_moments(const float* __restrict__ x, const float* __restrict__ mask,
                                          double* __restrict__ moments, int n) {
    __shared__ double partial[3][32];
    double s = 0.0, ss = 0.0, c = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        double m = mask[i], v = x[i];
        s += m * v;
        ss += m * v * v;
        c += m;
    }
    for (int o = 16; o > 0; o >>= 1) {
        s += __shfl_xor_sync(0xffffffffu, s, o);
        ss += __shfl_xor_sync(0xffffffffu, ss, o);
        c += __shfl_xor_sync(0xffffffffu, c, o);
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) {
        partial[0][warp] = s;
        partial[1][warp] = ss;
        partial[2][warp] = c;
    }
    __syncthreads();
    if (warp == 0) {
        for (int k = 0; k < 3; k++) {
            double v = lane < warps ? partial[k][lane] : 0.0;
            for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
            if (lane == 0) moments[k] = v;
        }
    }
}

// TRL's masked_whiten from the moments: mean = s / c, var = (ss / c - mean^2) * c / (c - 1) (unbiased),
// out = (x - mean) / sqrt(var + 1e-8) (+ mean unless shift_mean), and 0 where mask == 0.
// x, mask, out : [n];  moments : [3].  grid = ceil(n / 256), block = 256
extern "C" __global__ void masked_whiten(const float* __restrict__ x, const float* __restrict__ mask,
                                         const double* __restrict__ moments, float* __restrict__ out, int n,
                                         int shift_mean) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    double c = moments[2], mean = moments[0] / c;
    double var = (moments[1] / c - mean * mean) * (c / (c - 1.0));
    double w = ((double)x[i] - mean) * rsqrt(var + 1e-8) + (shift_mean ? 0.0 : mean);
    out[i] = mask[i] != 0.0f ? (float)w : 0.0f;
}
