// GELU (tanh approximation, GPT-2's gelu_new) and SiLU, forward and backward, over flat float32 buffers
// (dev.lathe.core.cpu.CpuActivations). x, out, dout, dx : [n] (64-bit count); outputs may alias inputs.
// Launch: block = 256, grid = min(ceil(n / 256), 65535 * 8) (grid-stride loops: any grid size is correct).
#include "common.cuh"

using lathe::grid_start;
using lathe::grid_stride;

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f; // sqrt(2 / pi)
constexpr float kCubic = 0.044715f;
// gelu' is 0 below and 1 above this to float precision; clamping keeps x^2 and x*sech^2 finite for any input.
constexpr float kGeluGradClamp = 10.0f;

__device__ __forceinline__ float sigmoid(float v) {
    return 1.0f / (1.0f + expf(-v));
}
} // namespace

// out = 0.5 x (1 + tanh(K (x + 0.044715 x^3))).
extern "C" __global__ void gelu_forward(const float* x, float* out, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float v = x[i];
        float t = tanhf(kSqrt2OverPi * fmaf(kCubic, v * v * v, v));
        out[i] = 0.5f * v * (1.0f + t);
    }
}

// dx = dout * (0.5 (1 + t) + 0.5 x (1 - t^2) K (1 + 3 C x^2)), t = tanh(K x (1 + C x^2)), x clamped to +-10.
extern "C" __global__ void gelu_backward(const float* x, const float* dout, float* dx, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        // comparisons rather than fminf/fmaxf, which drop a NaN: a NaN input gives a NaN gradient, as on the CPU
        float v = x[i];
        v = v < -kGeluGradClamp ? -kGeluGradClamp : (v > kGeluGradClamp ? kGeluGradClamp : v);
        float x2 = v * v;
        float t = tanhf(kSqrt2OverPi * v * fmaf(kCubic, x2, 1.0f));
        float du = kSqrt2OverPi * fmaf(3.0f * kCubic, x2, 1.0f);
        float grad = fmaf(0.5f * v * (1.0f - t * t), du, 0.5f * (1.0f + t));
        dx[i] = grad * dout[i];
    }
}

// out = x * sigmoid(x).
extern "C" __global__ void silu_forward(const float* x, float* out, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float v = x[i];
        out[i] = v * sigmoid(v);
    }
}

// dx = dout * s (1 + x (1 - s)), s = sigmoid(x).
extern "C" __global__ void silu_backward(const float* x, const float* dout, float* dx, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float v = x[i], s = sigmoid(v);
        dx[i] = s * (1.0f + v * (1.0f - s)) * dout[i];
    }
}
