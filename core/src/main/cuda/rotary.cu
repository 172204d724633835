// Rotary position embedding, Hugging Face's rotate-half convention (dev.lathe.core.cpu.CpuRotary).
#include "common.cuh"

// x, out : [rows, heads * 2 * half]   cos_table, sin_table : [rows, half] (each row's angles)
// For each head, with its columns split into halves (x1 | x2):
//   out1 = x1 cos - x2 s,   out2 = x2 cos + x1 s,   s = sign * sin
// sign = 1 forward, -1 for the inverse rotation (the backward). out may alias x.
// Launch: grid = rows, block = 128 (any multiple of 32); each thread strides over the row's heads * half pairs.
extern "C" __global__ void rotary_f32(const float* x, const float* cos_table, const float* sin_table, float* out,
                                      int heads, int half, float sign) {
    long long row = blockIdx.x;
    long long width = 2LL * heads * half;
    const float* xr = x + row * width;
    float* outr = out + row * width;
    const float* cr = cos_table + row * half;
    const float* sr = sin_table + row * half;
    for (int p = threadIdx.x; p < heads * half; p += blockDim.x) {
        int h = p / half, i = p % half;
        long long i1 = (long long)h * 2 * half + i, i2 = i1 + half;
        float c = cr[i], s = sign * sr[i];
        float x1 = xr[i1], x2 = xr[i2];
        outr[i1] = x1 * c - x2 * s;
        outr[i2] = x2 * c + x1 * s;
    }
}
