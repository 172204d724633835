// Fused linear log-probs: the row pieces between the two GEMMs (cuBLAS) of each logits chunk.
// The Java counterparts are dev.lathe.kernels.CpuFusedClassifier / LogitRows (host) and DeviceFusedClassifier (which
// launches these). Per chunk of `rows` rows:
//   logits[rows, V] = h_rows[rows, D] @ w[V, D]^T                       (cuBLAS, outside this file)
//   fused_classifier_row_stats: lse, logp, expected = sum p * logit     (this file)
//   fused_classifier_dlogits:   logits -> dlogits, in place             (this file)
//   dh_rows = dlogits @ w, dw += dlogits^T @ h_rows                     (cuBLAS)
// One block per row; the block strides over V, so any V (50257, 151936) works with any block size that is a
// multiple of 32 (up to 1024). Sums are accumulated in double, as on the CPU.
#include <cuda_runtime.h>

namespace {

// Infinity and a quiet NaN from their bits: math_constants.h is a toolkit header that NVRTC does not ship, so
// including it breaks the run-time compile on a machine with the driver and libnvrtc but no toolkit.
__device__ __forceinline__ float inf_f() { return __int_as_float(0x7f800000); }
__device__ __forceinline__ float nan_f() { return __int_as_float(0x7fffffff); }

__device__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Block-wide reductions through shared memory (32 warps at most); every thread gets the result.
__device__ float block_max(float v) {
    __shared__ float partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < warps ? partial[lane] : -inf_f();
    return warp_max(v);
}

__device__ double block_sum(double v) {
    __shared__ double partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < warps ? partial[lane] : 0.0;
    return warp_sum(v);
}

}  // namespace

// logits   : [rows, V]   one chunk of logits, row-major
// targets  : int32 [rows] the chunk's target ids; a row whose target is ignore_index gets logp = lse = expected = 0
//                         (the device path does not read targets back to leave such rows out of a chunk), one
//                         whose target is outside [0, V) gets logp = NaN
// logp     : [rows]      out: logits[r, targets[r]] - lse[r]
// lse      : [rows]      out: log sum_v exp(logits[r, v])
// expected : [rows]      out: sum_v p[r, v] * logits[r, v] (entropy = lse - expected); may be null
// grid = rows, block = 256 (a multiple of 32)
extern "C" __global__ void fused_classifier_row_stats(const float* __restrict__ logits, const int* __restrict__ targets,
                                                      float* __restrict__ logp, float* __restrict__ lse,
                                                      float* __restrict__ expected, int rows, int V, int ignore_index) {
    int r = blockIdx.x;
    if (r >= rows) return;
    int t = targets[r];
    if (t == ignore_index) {  // the whole block leaves together: no reduction is left waiting
        if (threadIdx.x == 0) {
            logp[r] = 0.0f;
            lse[r] = 0.0f;
            if (expected != nullptr) expected[r] = 0.0f;
        }
        return;
    }
    const float* x = logits + (size_t)r * V;
    float mx = -inf_f();
    for (int v = threadIdx.x; v < V; v += blockDim.x) mx = fmaxf(mx, x[v]);
    mx = block_max(mx);
    double sum = 0.0;
    for (int v = threadIdx.x; v < V; v += blockDim.x) sum += (double)expf(x[v] - mx);
    sum = block_sum(sum);
    double l = (double)mx + log(sum);
    if (expected != nullptr) {
        double e = 0.0;
        for (int v = threadIdx.x; v < V; v += blockDim.x) e += exp((double)x[v] - l) * (double)x[v];
        e = block_sum(e);
        if (threadIdx.x == 0) expected[r] = (float)e;
    }
    if (threadIdx.x == 0) {
        lse[r] = (float)l;
        logp[r] = t >= 0 && t < V ? (float)((double)x[t] - l) : nan_f();
    }
}

// Rewrites logits into d(objective)/dlogits for the upstream gradients of each row's logp and entropy:
//   dlogits[r, v] = dlogp[r] * ([v == targets[r]] - p) + dent[r] * p * (expected[r] - logits[r, v]),
//   p = exp(logits[r, v] - lse[r]);  a row whose target is ignore_index gets dlogits = 0.
// logits   : [rows, V]   in: logits, out: dlogits
// targets  : int32 [rows]
// lse, dlogp : [rows]
// expected, dent : [rows] or both null (no entropy gradient)
// grid = (ceil(V / blockDim.x), rows), block = 256
extern "C" __global__ void fused_classifier_dlogits(float* __restrict__ logits, const int* __restrict__ targets,
                                                    const float* __restrict__ lse, const float* __restrict__ expected,
                                                    const float* __restrict__ dlogp, const float* __restrict__ dent,
                                                    int rows, int V, int ignore_index) {
    int r = blockIdx.y;
    int v = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows || v >= V) return;
    float* x = logits + (size_t)r * V;
    if (targets[r] == ignore_index) {
        x[v] = 0.0f;
        return;
    }
    float xv = x[v];
    float p = expf(xv - lse[r]);
    float g = dlogp[r] * ((v == targets[r] ? 1.0f : 0.0f) - p);
    if (dent != nullptr) g += dent[r] * p * (expected[r] - xv);
    x[v] = g;
}
