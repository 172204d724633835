// Storage conversions between float32 and the 16-bit formats (dev.lathe.core.cpu.CpuConvert, bit for bit):
// bfloat16 and IEEE float16, round to nearest even. src, dst : [n] (64-bit count), 16-bit data as raw bits.
// Launch: block = 256, grid = min(ceil(n / 256), 65535 * 8) (grid-stride loops: any grid size is correct).
#include "common.cuh"

using lathe::grid_start;
using lathe::grid_stride;

extern "C" __global__ void f32_to_bf16(const float* src, unsigned short* dst, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dst[i] = lathe::f32_to_bf16_bits(src[i]);
}

extern "C" __global__ void bf16_to_f32(const unsigned short* src, float* dst, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dst[i] = lathe::bf16_bits_to_f32(src[i]);
}

extern "C" __global__ void f32_to_f16(const float* src, unsigned short* dst, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dst[i] = lathe::f32_to_f16_bits(src[i]);
}

extern "C" __global__ void f16_to_f32(const unsigned short* src, float* dst, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dst[i] = lathe::f16_bits_to_f32(src[i]);
}
