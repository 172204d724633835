// Softmax over the last axis (dev.lathe.core.cpu.CpuSoftmax). x, out, dout, dx : [rows, C].
//   out = exp(x - max_c x) / sum_c exp(x - max_c x)      (the sum carried in double)
//   dx  = out * (dout - sum_c(dout * out))             (the dot carried in double)
// Launch (both): grid = rows, block = 256 (any multiple of 32 up to 1024), no dynamic shared memory.
#include "common.cuh"

extern "C" __global__ void softmax_forward(const float* x, float* out, int C) {
    const float* xr = x + (long long)blockIdx.x * C;
    float* outr = out + (long long)blockIdx.x * C;
    float mx = lathe::neg_inf();
    for (int c = threadIdx.x; c < C; c += blockDim.x) mx = fmaxf(mx, xr[c]);
    mx = lathe::block_max(mx);
    double sum = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float e = expf(xr[c] - mx);
        outr[c] = e;
        sum += e;
    }
    float inv = (float)(1.0 / lathe::block_sum(sum));
    for (int c = threadIdx.x; c < C; c += blockDim.x) outr[c] *= inv; // each thread rescales its own entries
}

extern "C" __global__ void softmax_backward(const float* out, const float* dout, float* dx, int C) {
    long long row = (long long)blockIdx.x * C;
    double s = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) s += (double)dout[row + c] * out[row + c];
    float dot = (float)lathe::block_sum(s);
    for (int c = threadIdx.x; c < C; c += blockDim.x) dx[row + c] = out[row + c] * (dout[row + c] - dot);
}
