// RMS normalisation over the last axis, Llama/Qwen semantics: no mean subtraction, no bias
// (dev.lathe.core.cpu.CpuRmsNorm). x, out, dout, dx : [rows, C]   weight, dweight : [C]   rstd : [rows]
//   out = x * rstd * weight,   rstd = 1 / sqrt(mean_c(x^2) + eps)   (the sum of squares in double)
#include "common.cuh"

// Writes out and rstd. Launch: grid = rows, block = 256 (any multiple of 32 up to 1024).
extern "C" __global__ void rmsnorm_forward(const float* x, const float* weight, float eps, float* out, float* rstd,
                                           int C) {
    long long r = blockIdx.x;
    const float* xr = x + r * C;
    double ss = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) ss += (double)xr[c] * xr[c];
    ss = lathe::block_sum(ss);
    float rs = (float)(1.0 / sqrt(ss / C + eps));
    if (threadIdx.x == 0) rstd[r] = rs;
    for (int c = threadIdx.x; c < C; c += blockDim.x) out[r * C + c] = xr[c] * rs * weight[c];
}

// dx from the saved rstd: g = dout * weight, xhat = x * rstd, dx = rstd * (g - xhat * mean_c(g * xhat)).
// Launch: grid = rows, block = 256 (any multiple of 32 up to 1024).
extern "C" __global__ void rmsnorm_backward_input(const float* dout, const float* x, const float* weight,
                                                  const float* rstd, float* dx, int C) {
    long long r = blockIdx.x;
    const float* dr = dout + r * C;
    const float* xr = x + r * C;
    float rs = rstd[r];
    double sumGX = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) sumGX += (double)(dr[c] * weight[c]) * (xr[c] * rs);
    float meanGX = (float)(lathe::block_sum(sumGX) / C);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float xh = xr[c] * rs;
        dx[r * C + c] = (dr[c] * weight[c] - xh * meanGX) * rs;
    }
}

// dweight[c] = sum_r dout[r, c] * x[r, c] * rstd[r], overwritten; float accumulation in a fixed order.
// Launch: grid = ceil(C / 32), block = (32, 8); no dynamic shared memory.
extern "C" __global__ void rmsnorm_backward_weight(const float* dout, const float* x, const float* rstd,
                                                   float* dweight, int rows, int C) {
    __shared__ float partial[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (c < C) {
        for (int r = threadIdx.y; r < rows; r += 8) {
            long long i = (long long)r * C + c;
            s += dout[i] * (x[i] * rstd[r]);
        }
    }
    partial[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        float total = 0.0f;
        for (int k = 0; k < 8; k++) total += partial[k][threadIdx.x];
        dweight[c] = total;
    }
}
