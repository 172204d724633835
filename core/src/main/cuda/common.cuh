// Device helpers shared by the core kernels: warp and block reductions, 16-bit float bit conversions, the
// dropout mask hash, and grid-stride loops. Header-only; each .cu includes it and compiles on its own.
#pragma once
#include <cuda_runtime.h>

#define LATHE_FULL_MASK 0xffffffffu

namespace lathe {

__device__ __forceinline__ float neg_inf() {
    return -__int_as_float(0x7f800000);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(LATHE_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(LATHE_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(LATHE_FULL_MASK, v, o));
    return v;
}

// Block-wide sum for blockDim.x a multiple of 32 (at most 1024); every thread gets the result. Safe to call
// repeatedly in one kernel: the leading barrier keeps a previous call's readers off the scratch.
template <typename T>
__device__ __forceinline__ T block_sum(T v) {
    __shared__ T partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    T total = lane < warps ? partial[lane] : T(0);
    return warp_sum(total);
}

// Block-wide max, same contract as block_sum.
__device__ __forceinline__ float block_max(float v) {
    __shared__ float partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float m = lane < warps ? partial[lane] : neg_inf();
    return warp_max(m);
}

// First index and stride of a 1-D grid-stride loop over 64-bit element counts.
__device__ __forceinline__ long long grid_start() {
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long grid_stride() {
    return (long long)gridDim.x * blockDim.x;
}

// float32 -> bfloat16 bits, round to nearest even; a NaN keeps its sign and top payload and gets the quiet bit
// (dev.lathe.core.cpu.CpuConvert, bit for bit).
__device__ __forceinline__ unsigned short f32_to_bf16_bits(float f) {
    unsigned int bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x0040u);
    return (unsigned short)((bits + ((bits >> 16) & 1u) + 0x7fffu) >> 16);
}

__device__ __forceinline__ float bf16_bits_to_f32(unsigned short h) {
    return __uint_as_float((unsigned int)h << 16);
}

// float32 -> IEEE binary16 bits, round to nearest even, overflow to infinity; a NaN becomes a quiet NaN with its
// sign and top 9 payload bits (x86's F16C conversion, which Java's Float.floatToFloat16 compiles to).
__device__ __forceinline__ unsigned short f32_to_f16_bits(float f) {
    unsigned int x = __float_as_uint(f);
    unsigned int sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) {
        return (unsigned short)(sign | 0x7e00u | ((ax & 0x7fffffu) >> 13));
    }
    if (ax >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u); // >= 65520 rounds to infinity
    if (ax <= 0x33000000u) return (unsigned short)sign;             // <= 2^-25 rounds to zero (tie to even)
    int e = (int)(ax >> 23);
    if (e < 113) { // below 2^-14: a binary16 subnormal, units of 2^-24
        unsigned int m = (ax & 0x7fffffu) | 0x800000u;
        int shift = 126 - e; // 14 .. 24
        unsigned int h = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u))) h++;
        return (unsigned short)(sign | h);
    }
    unsigned int h = ((unsigned int)(e - 112) << 10) | ((ax >> 13) & 0x3ffu);
    unsigned int rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; // a carry into the exponent is still exact
    return (unsigned short)(sign | h);
}

// IEEE binary16 bits -> float32, exact; a NaN comes out quiet with its payload (Java's Float.float16ToFloat as
// compiled to x86's F16C conversion).
__device__ __forceinline__ float f16_bits_to_f32(unsigned short h) {
    unsigned int sign = ((unsigned int)h & 0x8000u) << 16, e = ((unsigned int)h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1fu) return __uint_as_float(sign | (m ? 0x7fc00000u : 0x7f800000u) | (m << 13));
    if (e == 0) {
        float v = (float)m * 5.9604644775390625e-8f; // m * 2^-24, exact
        return sign ? -v : v;
    }
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// SplitMix64's finaliser; keep(seed, i, threshold) is dev.lathe.core.backend.DropoutMask.keep bit for bit
// (Java's long arithmetic wraps exactly like unsigned 64-bit arithmetic).
__device__ __forceinline__ unsigned long long splitmix_mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__device__ __forceinline__ bool dropout_keep(unsigned long long seed, unsigned long long index,
                                             unsigned long long threshold) {
    return (splitmix_mix(seed + (index + 1ull) * 0x9E3779B97F4A7C15ull) >> 32) >= threshold;
}

} // namespace lathe
