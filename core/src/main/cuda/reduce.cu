// Reductions (dev.lathe.core.cpu.CpuReduce): whole-tensor sums in double, column sums (bias gradients) and
// row sums in float.
#include "common.cuh"

// Stage 1 of sum / sum of squares over x [n] (64-bit count): partials[blockIdx.x] = the block's share, in double
// (squares = 1 sums x^2). Launch: grid = G (1 <= G <= 1024, e.g. min(ceil(n / 256), 1024)), block = 256.
extern "C" __global__ void reduce_sum_partials(const float* x, long long n, int squares, double* partials) {
    double s = 0.0;
    for (long long i = lathe::grid_start(); i < n; i += lathe::grid_stride()) {
        double v = x[i];
        s += squares ? v * v : v;
    }
    s = lathe::block_sum(s);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// Stage 2: out[0] = sum of partials [count] in a fixed order (deterministic). Launch: grid = 1, block = 1024.
extern "C" __global__ void reduce_sum_final(const double* partials, int count, double* out) {
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    s = lathe::block_sum(s);
    if (threadIdx.x == 0) out[0] = s;
}

// Column sums: out[c] = sum over r of x[r, c]; x [rows, C], out [C] (overwritten).
// Launch: grid = ceil(C / 32), block = (32, 8); no dynamic shared memory.
extern "C" __global__ void sum_rows_f32(const float* x, float* out, int rows, int C) {
    __shared__ float partial[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (c < C) {
        for (int r = threadIdx.y; r < rows; r += 8) s += x[(long long)r * C + c];
    }
    partial[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        float total = 0.0f;
        for (int k = 0; k < 8; k++) total += partial[k][threadIdx.x];
        out[c] = total;
    }
}

// Row sums: out[r] = sum over c of x[r, c]; x [rows, C], out [rows]. One warp a row.
// Launch: grid = ceil(rows / 8), block = 256 (8 warps); no dynamic shared memory.
extern "C" __global__ void row_sum_f32(const float* x, float* out, int rows, int C) {
    int r = blockIdx.x * 8 + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (r >= rows) return; // whole warps leave together, so the shuffles below stay full-warp
    const float* xr = x + (long long)r * C;
    float s = 0.0f;
    for (int c = lane; c < C; c += 32) s += xr[c];
    s = lathe::warp_sum(s);
    if (lane == 0) out[r] = s;
}
