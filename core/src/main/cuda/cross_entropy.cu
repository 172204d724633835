// Softmax cross-entropy against integer targets with an ignore index (dev.lathe.core.cpu.CpuCrossEntropy).
// logits, dlogits : [N, V]   targets : int32 [N] (in [0, V) or ignore_index, checked by the host)
// losses, lse, dlosses : [N]
//   lse[i]    = log sum_v exp(logits[i, v])      (max-shifted, summed in double; every row)
//   losses[i] = lse[i] - logits[i, targets[i]]   (0 where targets[i] == ignore_index)
//   dlogits[i, v] = dlosses[i] * (exp(logits[i, v] - lse[i]) - [v == targets[i]])   (0 rows where ignored)
// Launch (both): grid = N, block = 256 (any multiple of 32 up to 1024), no dynamic shared memory.
#include "common.cuh"

extern "C" __global__ void cross_entropy_forward(const float* logits, const int* targets, int ignore_index,
                                                 float* losses, float* lse, int V) {
    long long i = blockIdx.x;
    const float* row = logits + i * V;
    float mx = lathe::neg_inf();
    for (int v = threadIdx.x; v < V; v += blockDim.x) mx = fmaxf(mx, row[v]);
    mx = lathe::block_max(mx);
    double sum = 0.0;
    for (int v = threadIdx.x; v < V; v += blockDim.x) sum += exp((double)(row[v] - mx));
    sum = lathe::block_sum(sum);
    if (threadIdx.x == 0) {
        double l = mx + log(sum);
        int t = targets[i];
        lse[i] = (float)l;
        losses[i] = t == ignore_index ? 0.0f : (float)(l - row[t]);
    }
}

extern "C" __global__ void cross_entropy_backward(const float* logits, const int* targets, int ignore_index,
                                                  const float* lse, const float* dlosses, float* dlogits, int V) {
    long long i = blockIdx.x;
    const float* row = logits + i * V;
    float* drow = dlogits + i * V;
    int t = targets[i];
    if (t == ignore_index) {
        for (int v = threadIdx.x; v < V; v += blockDim.x) drow[v] = 0.0f;
        return;
    }
    float l = lse[i], dl = dlosses[i];
    for (int v = threadIdx.x; v < V; v += blockDim.x) {
        float p = expf(row[v] - l);
        drow[v] = dl * (v == t ? p - 1.0f : p);
    }
}
