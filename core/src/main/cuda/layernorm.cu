// Layer normalisation over the last axis, PyTorch semantics with biased variance (dev.lathe.core.cpu.CpuLayerNorm).
// x, out, dout, dx : [rows, C]   gamma, beta, dgamma, dbeta : [C]   mean, rstd : [rows]
//   out = (x - mean) * rstd * gamma + beta,   rstd = 1 / sqrt(var + eps)
#include "common.cuh"

// Writes out, mean and rstd; beta may be null. The moments are one sweep of d = x - x[row, 0] summed in double
// (no catastrophic cancellation when |mean| >> std), as on the CPU.
// Launch: grid = rows, block = 256 (any multiple of 32 up to 1024), no dynamic shared memory.
extern "C" __global__ void layernorm_forward(const float* x, const float* gamma, const float* beta, float eps,
                                             float* out, float* mean, float* rstd, int C) {
    long long r = blockIdx.x;
    const float* xr = x + r * C;
    float* outr = out + r * C;
    float k = xr[0];
    double s1 = 0.0, s2 = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        double d = (double)(xr[c] - k);
        s1 += d;
        s2 += d * d;
    }
    s1 = lathe::block_sum(s1);
    s2 = lathe::block_sum(s2);
    double dm = s1 / C;
    double var = fmax(0.0, s2 / C - dm * dm);
    float m = (float)(k + dm);
    float rs = (float)(1.0 / sqrt(var + eps));
    if (threadIdx.x == 0) { // block_sum's barriers order every read of xr[0] before these writes (out may alias x)
        mean[r] = m;
        rstd[r] = rs;
    }
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float y = (xr[c] - m) * rs * gamma[c];
        outr[c] = beta ? y + beta[c] : y;
    }
}

// dx from the saved mean and rstd:
//   g = dout * gamma,  xhat = (x - mean) * rstd,  dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat))
// (the two means summed in double). Launch: grid = rows, block = 256 (multiple of 32 up to 1024).
extern "C" __global__ void layernorm_backward_input(const float* dout, const float* x, const float* gamma,
                                                    const float* mean, const float* rstd, float* dx, int C) {
    long long r = blockIdx.x;
    const float* dr = dout + r * C;
    const float* xr = x + r * C;
    float m = mean[r], rs = rstd[r];
    double sumG = 0.0, sumGX = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float g = dr[c] * gamma[c];
        float xh = (xr[c] - m) * rs;
        sumG += g;
        sumGX += (double)g * xh;
    }
    float meanG = (float)(lathe::block_sum(sumG) / C);
    float meanGX = (float)(lathe::block_sum(sumGX) / C);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float xh = (xr[c] - m) * rs;
        float g = dr[c] * gamma[c];
        dx[r * C + c] = (g - meanG - xh * meanGX) * rs;
    }
}

// Parameter gradients, overwritten: dgamma[c] = sum_r dout[r, c] * xhat[r, c], dbeta[c] = sum_r dout[r, c]
// (dbeta may be null). Float accumulation, a fixed order (deterministic).
// Launch: grid = ceil(C / 32), block = (32, 8); no dynamic shared memory.
extern "C" __global__ void layernorm_backward_params(const float* dout, const float* x, const float* mean,
                                                     const float* rstd, float* dgamma, float* dbeta, int rows,
                                                     int C) {
    __shared__ float pg[8][33];
    __shared__ float pb[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float sg = 0.0f, sb = 0.0f;
    if (c < C) {
        for (int r = threadIdx.y; r < rows; r += 8) {
            long long i = (long long)r * C + c;
            float d = dout[i];
            sg += d * ((x[i] - mean[r]) * rstd[r]);
            sb += d;
        }
    }
    pg[threadIdx.y][threadIdx.x] = sg;
    pb[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        float tg = 0.0f, tb = 0.0f;
        for (int k = 0; k < 8; k++) {
            tg += pg[k][threadIdx.x];
            tb += pb[k][threadIdx.x];
        }
        dgamma[c] = tg;
        if (dbeta) dbeta[c] = tb;
    }
}
