// Element-wise kernels over flat float32 buffers (dev.lathe.core.cpu.CpuElementwise / CpuDropout semantics):
// binary ops with trailing broadcast, unary ops, scale, add-scalar, axpy, fill, dropout and strided copy.
// Unless a kernel says otherwise: n is the element count (64-bit), launch a 1-D grid-stride grid:
//   block = 256, grid = min(ceil(n / 256), 65535 * 8) (any grid size is correct). Outputs may alias inputs.
#include "common.cuh"

using lathe::grid_start;
using lathe::grid_stride;

// out[i] = a[i] op b[i % bn]: b repeats over a's trailing bn elements (same shape, bias row or scalar).
// op is dev.lathe.core.backend.BinaryOp's ordinal: 0 ADD, 1 SUB, 2 MUL, 3 DIV.
// a, out : [n]   b : [bn], bn >= 1 and n % bn == 0.
extern "C" __global__ void binary_f32(int op, const float* a, const float* b, float* out, long long n,
                                      long long bn) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float x = a[i], y = b[bn == n ? i : i % bn];
        float r;
        switch (op) {
            case 0: r = x + y; break;
            case 1: r = x - y; break;
            case 2: r = x * y; break;
            default: r = x / y; break;
        }
        out[i] = r;
    }
}

// out[i] = op(x[i]); op is dev.lathe.core.backend.UnaryOp's ordinal:
// 0 NEG, 1 EXP, 2 LOG, 3 TANH, 4 SQRT, 5 RSQRT (1/sqrt), 6 SQUARE, 7 RELU, 8 SIGMOID, 9 ABS.
extern "C" __global__ void unary_f32(int op, const float* x, float* out, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float v = x[i], r;
        switch (op) {
            case 0: r = -v; break;
            case 1: r = expf(v); break;
            case 2: r = logf(v); break;
            case 3: r = tanhf(v); break;
            case 4: r = sqrtf(v); break;
            case 5: r = 1.0f / sqrtf(v); break;
            case 6: r = v * v; break;
            case 7: r = v > 0.0f || v != v ? v : 0.0f; break; // Java's Math.max(v, 0): NaN stays NaN
            case 8: r = 1.0f / (1.0f + expf(-v)); break;
            default: r = fabsf(v); break;
        }
        out[i] = r;
    }
}

// out[i] = alpha * x[i].
extern "C" __global__ void scale_f32(const float* x, float alpha, float* out, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) out[i] = alpha * x[i];
}

// out[i] = x[i] + s.
extern "C" __global__ void add_scalar_f32(const float* x, float s, float* out, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) out[i] = x[i] + s;
}

// y[i] += alpha * x[i] (accumulates into y).
extern "C" __global__ void axpy_f32(float alpha, const float* x, float* y, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) y[i] += alpha * x[i];
}

// dst[i] = value.
extern "C" __global__ void fill_f32(float* dst, float value, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dst[i] = value;
}

// dst[i] = bits, for 16-bit tensors (BF16 or F16): the caller converts the value to its bits.
extern "C" __global__ void fill_u16(unsigned short* dst, unsigned short bits, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dst[i] = bits;
}

// Inverted dropout with dev.lathe.core.backend.DropoutMask: out[i] = keep(seed, i) ? x[i] * kept : 0.
// threshold = DropoutMask.threshold(p) (round(p * 2^32)), kept = DropoutMask.keptScale(p); seed is the Java
// long's bits.
extern "C" __global__ void dropout_f32(const float* x, float* out, long long n, unsigned long long seed,
                                       unsigned long long threshold, float kept) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        out[i] = lathe::dropout_keep(seed, (unsigned long long)i, threshold) ? x[i] * kept : 0.0f;
    }
}

// Contiguous dst = a strided (e.g. transposed) float32 view, logical shape [d0, d1, d2, d3] (pad the front of a
// lower-rank shape with 1s), element (i0, i1, i2, i3) of src at i0*s0 + i1*s1 + i2*s2 + i3*s3 (strides in
// elements); n = d0*d1*d2*d3.
extern "C" __global__ void copy_strided_f32(const float* src, float* dst, long long n, int d1, int d2, int d3,
                                            long long s0, long long s1, long long s2, long long s3) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        long long r = i;
        long long i3 = r % d3; r /= d3;
        long long i2 = r % d2; r /= d2;
        long long i1 = r % d1; r /= d1;
        dst[i] = src[r * s0 + i1 * s1 + i2 * s2 + i3 * s3];
    }
}
