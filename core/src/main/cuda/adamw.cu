// AdamW with PyTorch's arithmetic (dev.lathe.core.cpu.CpuAdamW), in place on param, m and v.
// The step constants come from the host, computed in double as the CPU does (step t is 1-based):
//   decay = (float)(1 - lr * wd),  step_size = (float)(lr / (1 - b1^t)),  bc2_sqrt = (float)sqrt(1 - b2^t)
// Per element:
//   p *= decay;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= m / (sqrt(v) / bc2_sqrt + eps) * step_size
#include "common.cuh"

namespace {
__device__ __forceinline__ void adamw_element(float* param, const float* grad, float* m, float* v, long long i,
                                              float beta1, float beta2, float eps, float decay, float step_size,
                                              float bc2_sqrt) {
    float g = grad[i];
    float mi = m[i] * beta1 + g * (1.0f - beta1);
    float vi = v[i] * beta2 + g * g * (1.0f - beta2);
    float denom = sqrtf(vi) / bc2_sqrt + eps;
    float p = param[i] * decay;
    param[i] = p - mi / denom * step_size;
    m[i] = mi;
    v[i] = vi;
}
} // namespace

// One parameter: param, grad, m, v : [n] (64-bit count).
// Launch: block = 256, grid = min(ceil(n / 256), 65535 * 8) (grid-stride loop: any grid size is correct).
extern "C" __global__ void adamw_step(float* param, const float* grad, float* m, float* v, long long n, float beta1,
                                      float beta2, float eps, float decay, float step_size, float bc2_sqrt) {
    for (long long i = lathe::grid_start(); i < n; i += lathe::grid_stride()) {
        adamw_element(param, grad, m, v, i, beta1, beta2, eps, decay, step_size, bc2_sqrt);
    }
}

// Many parameters sharing one set of hyper-parameters in one launch. params, grads, ms, vs : device arrays of
// `tensors` device pointers; sizes : device array of `tensors` element counts.
// Launch: grid = (blocks_per_tensor, tensors), block = 256; blocks_per_tensor e.g. min(ceil(max size / 256),
// 1024) (grid-stride within each tensor: any value is correct). gridDim.y is at most 65535 tensors a launch.
extern "C" __global__ void adamw_multi(float* const* params, const float* const* grads, float* const* ms,
                                       float* const* vs, const long long* sizes, int tensors, float beta1,
                                       float beta2, float eps, float decay, float step_size, float bc2_sqrt) {
    int t = blockIdx.y;
    if (t >= tensors) return;
    long long n = sizes[t];
    float* param = params[t];
    const float* grad = grads[t];
    float* m = ms[t];
    float* v = vs[t];
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        adamw_element(param, grad, m, v, i, beta1, beta2, eps, decay, step_size, bc2_sqrt);
    }
}
