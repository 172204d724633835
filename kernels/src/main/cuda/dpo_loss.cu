// DPO's loss per preference pair and its derivative; the Java counterpart is dev.lathe.kernels.DpoLoss.
//   h = (pc - pr) - (rc - rr)          (reference_free: h = pc - pr)
//   sigmoid: -logsig(beta h)(1-eps) - logsig(-beta h) eps     robust: (-logsig(beta h)(1-eps) + logsig(-beta h) eps)/(1-2eps)
//   hinge:   relu(1 - beta h)                                 ipo:    (h - 1/(2 beta))^2
// The batch loss is sum(loss_rows) / normaliser; d loss / d pc = dh_rows / normaliser, d loss / d pr = -that.
#include <cuda_runtime.h>

enum DpoLossType { DPO_SIGMOID = 0, DPO_IPO = 1, DPO_HINGE = 2, DPO_ROBUST = 3 };

namespace {

__device__ double log_sigmoid(double x) { return fmin(x, 0.0) - log1p(exp(-fabs(x))); }

__device__ double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

}  // namespace

// pc, pr     : [B] policy log-probs of chosen / rejected (sums; IPO: means)
// rc, rr     : [B] reference log-probs (ignored when reference_free)
// loss_rows  : [B] out: per-pair loss
// dh_rows    : [B] out: d loss_row / d h
// rewards    : [2, B] out: beta (pc - rc) then beta (pr - rr) (metrics; rc, rr read even when reference_free)
// grid = ceil(B / 256), block = 256
extern "C" __global__ void dpo_loss_forward_backward(const float* __restrict__ pc, const float* __restrict__ pr,
                                                     const float* __restrict__ rc, const float* __restrict__ rr,
                                                     float* __restrict__ loss_rows, float* __restrict__ dh_rows,
                                                     float* __restrict__ rewards, int B, int type, float beta,
                                                     float eps, int reference_free) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B) return;
    double h = ((double)pc[i] - pr[i]) - (reference_free ? 0.0 : (double)rc[i] - rr[i]);
    double z = beta * h, loss = 0.0, dh = 0.0;
    switch (type) {
        case DPO_SIGMOID:
            loss = -log_sigmoid(z) * (1 - eps) - log_sigmoid(-z) * eps;
            dh = beta * (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z));
            break;
        case DPO_ROBUST:
            loss = (-log_sigmoid(z) * (1 - eps) + log_sigmoid(-z) * eps) / (1 - 2 * eps);
            dh = beta * (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z)) / (1 - 2 * eps);
            break;
        case DPO_HINGE:
            loss = fmax(0.0, 1 - z);
            dh = 1 - z > 0 ? -beta : 0.0;
            break;
        case DPO_IPO: {
            double d = h - 1.0 / (2.0 * beta);
            loss = d * d;
            dh = 2 * d;
            break;
        }
    }
    loss_rows[i] = (float)loss;
    dh_rows[i] = (float)dh;
    rewards[i] = (float)(beta * ((double)pc[i] - rc[i]));
    rewards[B + i] = (float)(beta * ((double)pr[i] - rr[i]));
}

// d loss / d pc and d loss / d pr from dh_rows and the upstream scalar gradient.
// dh_rows : [B];  dpc, dpr : [B] out;  scale = upstream / normaliser
extern "C" __global__ void dpo_loss_backward(const float* __restrict__ dh_rows, float* __restrict__ dpc,
                                             float* __restrict__ dpr, int B, float scale) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B) return;
    float g = scale * dh_rows[i];
    dpc[i] = g;
    dpr[i] = -g;
}
