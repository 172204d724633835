// Embedding lookup (row gather) and its scatter-add gradient (dev.lathe.core.cpu.CpuEmbedding).
// ids : int32 [N] (each in [0, V), checked by the host)   table, dtable : [V, C]   out, dout : [N, C]
#include "common.cuh"

// out[n, :] = table[ids[n], :].  Launch: grid = N, block = 128 (any size), strided over C.
extern "C" __global__ void embedding_forward(const int* ids, const float* table, float* out, int C) {
    long long n = blockIdx.x;
    const float* src = table + (long long)ids[n] * C;
    float* dst = out + n * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) dst[c] = src[c];
}

// dtable[ids[n], :] += dout[n, :] with float atomics (accumulation order is unspecified).
// dtable must be zeroed first (fill_f32 with 0) for the Backend's overwrite semantics.
// Launch: grid = N, block = 128 (any size), strided over C.
extern "C" __global__ void embedding_backward(const int* ids, const float* dout, float* dtable, int C) {
    long long n = blockIdx.x;
    const float* src = dout + n * C;
    float* dst = dtable + (long long)ids[n] * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) atomicAdd(dst + c, src[c]);
}
