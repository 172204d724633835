// Causal multi-head attention, FlashAttention-style (dev.lathe.core.cpu.CpuAttention / CpuDecodeAttention):
// keys and values stream through shared memory in tiles of 32 with an online (max-shifted) softmax, so no
// [T, T] matrix exists; backward recomputes probabilities from the saved row log-sum-exp.
//
// Layouts (dev.lathe.core.backend.AttentionSpec): q, k, v are [B, T, width] row-major (possibly one packed
// tensor); head h of q is columns q_col + h*D .. q_col + (h+1)*D of a row of q_stride floats, and likewise for
// k and v with Hkv heads (query head h reads kv head h / (H / Hkv)). dq, dk, dv use q's, k's and v's layout
// (they may be one packed tensor). out and dout are [B, T, H*D] contiguous; lse and delta are [B, H, T].
// D <= 128. key_mask: null or int32 [B, T], 0 = padding key. doc_start: null or int32 [B, T] from
// attention_doc_starts (query t of row b sees keys s >= doc_start[b, t] only).
// Dropout of probabilities (b, h, t, s): kept when DropoutMask.keep(seed, ((b*H + h)*T + t)*T + s, threshold),
// then scaled by kept = 1 / (1 - p); the softmax itself is undropped. threshold = 0 disables it.
// A query with no visible key gets out = 0 and lse = -inf.
#include "common.cuh"

namespace {
constexpr int kTile = 32;          // keys (or queries) a shared-memory tile holds: one per lane
constexpr int kMaxD = 128;         // largest head dim: 4 values a lane
constexpr int kPad = kMaxD + 1;    // padded tile row: lane j reading row j, column d hits bank (j + d) % 32
constexpr int kRows = 4;           // warps a block, one query (or key) row each

struct Dropout {
    unsigned long long seed, threshold;
    float kept;

    __device__ bool active() const { return threshold != 0ull; }

    // z of probability (b, h, t, s): kept or 0.
    __device__ float factor(int b, int h, int t, int s, int H, int T) const {
        unsigned long long index = (((unsigned long long)b * H + h) * T + t) * T + s;
        return lathe::dropout_keep(seed, index, threshold) ? kept : 0.0f;
    }
};

// a · b over D floats (a in shared memory read as a broadcast, b a padded tile row).
__device__ __forceinline__ float dot_row(const float* a, const float* b, int D) {
    float s = 0.0f;
    for (int d = 0; d < D; d++) s = fmaf(a[d], b[d], s);
    return s;
}

// Copies n rows of D floats (row j at src + j*stride) into a padded tile, with all threads of the block.
__device__ __forceinline__ void load_tile(float (*tile)[kPad], const float* src, long long stride, int n, int D,
                                          float factor) {
    for (int e = threadIdx.x; e < n * D; e += blockDim.x) {
        int j = e / D, d = e % D;
        tile[j][d] = factor * src[j * stride + d];
    }
}

// One warp's online-softmax step over a tile of n keys: lane j holds key j's score (-inf where masked) and z_j
// (its dropout factor). Rescales l and acc to the new running max m, adds the undropped p to l and
// p*z*v to acc (lane's columns d = lane + 32i).
__device__ __forceinline__ void online_softmax_tile(float score, float z, int n, const float (*vs)[kPad], int D,
                                                    int lane, float& m, float& l, float (&acc)[4]) {
    float tile_max = lathe::warp_max(score);
    if (tile_max > m) { // a row with no visible key yet keeps m = -inf and p = 0
        float c = expf(m - tile_max);
        l *= c;
        for (int i = 0; i < 4; i++) acc[i] *= c;
        m = tile_max;
    }
    float p = score == lathe::neg_inf() ? 0.0f : expf(score - m);
    l += lathe::warp_sum(p);
    p *= z;
    for (int j = 0; j < n; j++) {
        float pj = __shfl_sync(LATHE_FULL_MASK, p, j);
        for (int i = 0; i < 4; i++) {
            int d = lane + 32 * i;
            if (d < D) acc[i] = fmaf(pj, vs[j][d], acc[i]);
        }
    }
}
} // namespace

// doc_start[b, t] = the first position of the run of equal documents[b, :] ids that holds t (non-decreasing
// along t). documents, doc_start : int32 [B, T]. Launch: grid = ceil(B / 128), block = 128.
extern "C" __global__ void attention_doc_starts(const int* documents, int* doc_start, int B, int T) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    const int* doc = documents + (long long)b * T;
    int* start = doc_start + (long long)b * T;
    int current = 0;
    for (int t = 0; t < T; t++) {
        if (t > 0 && doc[t] != doc[t - 1]) current = t;
        start[t] = current;
    }
}

// out [B, T, H*D] and lse [B, H, T]. One warp per query row, 4 consecutive rows of one (b, h) a block.
// Launch: grid = (ceil(T / 4), H, B), block = 128; static shared memory about 35 KB, none dynamic.
extern "C" __global__ void attention_forward(const float* q, const float* k, const float* v, const int* key_mask,
                                             const int* doc_start, float* out, float* lse, int B, int T, int H,
                                             int Hkv, int D, float scale, int q_stride, int q_col, int k_stride,
                                             int k_col, int v_stride, int v_col, unsigned long long dropout_seed,
                                             unsigned long long dropout_threshold, float dropout_kept) {
    __shared__ float ks[kTile][kPad];
    __shared__ float vs[kTile][kPad];
    __shared__ float qs[kRows][kMaxD];
    __shared__ int key_ok[kTile];
    Dropout drop{dropout_seed, dropout_threshold, dropout_kept};
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int b = blockIdx.z, h = blockIdx.y, t0 = blockIdx.x * kRows, t = t0 + warp;
    int kvh = h / (H / Hkv);
    long long base = (long long)b * T;
    bool row = t < T;
    for (int d = lane; d < D; d += 32) {
        qs[warp][d] = row ? scale * q[(base + t) * q_stride + q_col + h * D + d] : 0.0f; // score = qs · k
    }
    int start = row && doc_start ? doc_start[base + t] : 0;
    int last = min(t0 + kRows, T) - 1;
    float m = lathe::neg_inf(), l = 0.0f, acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int s0 = doc_start ? doc_start[base + t0] : 0; s0 <= last; s0 += kTile) {
        int n = min(kTile, last + 1 - s0);
        __syncthreads(); // the previous tile is consumed (and qs written, on the first pass)
        load_tile(ks, k + (base + s0) * k_stride + k_col + kvh * D, k_stride, n, D, 1.0f);
        load_tile(vs, v + (base + s0) * v_stride + v_col + kvh * D, v_stride, n, D, 1.0f);
        if (threadIdx.x < n) key_ok[threadIdx.x] = key_mask == nullptr || key_mask[base + s0 + threadIdx.x] != 0;
        __syncthreads();
        int key = s0 + lane;
        bool ok = row && lane < n && key <= t && key >= start && key_ok[lane];
        float score = ok ? dot_row(qs[warp], ks[lane], D) : lathe::neg_inf();
        float z = ok && drop.active() ? drop.factor(b, h, t, key, H, T) : 1.0f;
        online_softmax_tile(score, z, n, vs, D, lane, m, l, acc);
    }
    if (!row) return;
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    float* o = out + (base + t) * H * D + h * D;
    for (int i = 0; i < 4; i++) {
        int d = lane + 32 * i;
        if (d < D) o[d] = acc[i] * inv;
    }
    if (lane == 0) lse[((long long)b * H + h) * T + t] = l > 0.0f ? m + logf(l) : lathe::neg_inf();
}

// delta[b, h, t] = dout[b, t, h, :] · out[b, t, h, :] (backward's softmax term), one warp a (b, t, h).
// Launch: grid = ceil(B*T*H / 8), block = 256.
extern "C" __global__ void attention_backward_delta(const float* out, const float* dout, float* delta, int B, int T,
                                                    int H, int D) {
    long long w = (long long)blockIdx.x * 8 + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (w >= (long long)B * T * H) return; // whole warps leave together
    long long bt = w / H;
    int h = (int)(w % H);
    const float* o = out + bt * H * D + h * D;
    const float* g = dout + bt * H * D + h * D;
    float s = 0.0f;
    for (int d = lane; d < D; d += 32) s = fmaf(g[d], o[d], s);
    s = lathe::warp_sum(s);
    long long b = bt / T, t = bt % T;
    if (lane == 0) delta[(b * H + h) * T + t] = s;
}

// dq (overwritten, q's layout) from lse and delta: per visible key s of query t,
//   p = exp(qs·k_s - lse), dp = dout_t · v_s, ds = p (z dp - delta_t), dq_t += scale ds k_s.
// One warp per query row as in attention_forward. Launch: grid = (ceil(T / 4), H, B), block = 128; static
// shared memory about 36 KB.
extern "C" __global__ void attention_backward_dq(const float* q, const float* k, const float* v, const int* key_mask,
                                                 const int* doc_start, const float* lse, const float* delta,
                                                 const float* dout, float* dq, int B, int T, int H, int Hkv, int D,
                                                 float scale, int q_stride, int q_col, int k_stride, int k_col,
                                                 int v_stride, int v_col, unsigned long long dropout_seed,
                                                 unsigned long long dropout_threshold, float dropout_kept) {
    __shared__ float ks[kTile][kPad];
    __shared__ float vs[kTile][kPad];
    __shared__ float qs[kRows][kMaxD];
    __shared__ float gs[kRows][kMaxD];
    __shared__ int key_ok[kTile];
    Dropout drop{dropout_seed, dropout_threshold, dropout_kept};
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int b = blockIdx.z, h = blockIdx.y, t0 = blockIdx.x * kRows, t = t0 + warp;
    int kvh = h / (H / Hkv);
    long long base = (long long)b * T, stat = ((long long)b * H + h) * T + t;
    float row_lse = t < T ? lse[stat] : lathe::neg_inf();
    bool row = row_lse != lathe::neg_inf(); // past T, or no visible key: dq = 0
    float row_delta = row ? delta[stat] : 0.0f;
    for (int d = lane; d < D; d += 32) {
        qs[warp][d] = row ? scale * q[(base + t) * q_stride + q_col + h * D + d] : 0.0f;
        gs[warp][d] = row ? dout[(base + t) * H * D + h * D + d] : 0.0f;
    }
    int start = row && doc_start ? doc_start[base + t] : 0;
    int last = min(t0 + kRows, T) - 1;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int s0 = doc_start ? doc_start[base + t0] : 0; s0 <= last; s0 += kTile) {
        int n = min(kTile, last + 1 - s0);
        __syncthreads();
        load_tile(ks, k + (base + s0) * k_stride + k_col + kvh * D, k_stride, n, D, 1.0f);
        load_tile(vs, v + (base + s0) * v_stride + v_col + kvh * D, v_stride, n, D, 1.0f);
        if (threadIdx.x < n) key_ok[threadIdx.x] = key_mask == nullptr || key_mask[base + s0 + threadIdx.x] != 0;
        __syncthreads();
        int key = s0 + lane;
        bool ok = row && lane < n && key <= t && key >= start && key_ok[lane];
        float ds = 0.0f;
        if (ok) {
            float p = expf(dot_row(qs[warp], ks[lane], D) - row_lse);
            float dp = dot_row(gs[warp], vs[lane], D);
            float z = drop.active() ? drop.factor(b, h, t, key, H, T) : 1.0f;
            ds = p * (z * dp - row_delta);
        }
        ds *= scale;
        for (int j = 0; j < n; j++) {
            float dsj = __shfl_sync(LATHE_FULL_MASK, ds, j);
            for (int i = 0; i < 4; i++) {
                int d = lane + 32 * i;
                if (d < D) acc[i] = fmaf(dsj, ks[j][d], acc[i]);
            }
        }
    }
    if (t >= T) return;
    float* g = dq + (base + t) * q_stride + q_col + h * D;
    for (int i = 0; i < 4; i++) {
        int d = lane + 32 * i;
        if (d < D) g[d] = acc[i];
    }
}

// dk, dv (overwritten, k's and v's layouts): one warp per key row s of kv head kvh, summing over the H / Hkv
// query heads of the group and the queries t >= s that see s:
//   dv_s += p z dout_t,   dk_s += ds (scale q_t),   p, z, ds as in attention_backward_dq.
// No atomics: each (b, kvh, s) row is written by one warp. Launch: grid = (ceil(T / 4), Hkv, B), block = 128;
// static shared memory about 38 KB.
extern "C" __global__ void attention_backward_dkdv(const float* q, const float* k, const float* v,
                                                   const int* key_mask, const int* doc_start, const float* lse,
                                                   const float* delta, const float* dout, float* dk, float* dv,
                                                   int B, int T, int H, int Hkv, int D, float scale, int q_stride,
                                                   int q_col, int k_stride, int k_col, int v_stride, int v_col,
                                                   unsigned long long dropout_seed,
                                                   unsigned long long dropout_threshold, float dropout_kept) {
    __shared__ float qt[kTile][kPad]; // scale * q of a tile of queries
    __shared__ float gt[kTile][kPad]; // their dout
    __shared__ float kr[kRows][kMaxD];
    __shared__ float vr[kRows][kMaxD];
    __shared__ float lse_t[kTile];
    __shared__ float delta_t[kTile];
    __shared__ int start_t[kTile];
    Dropout drop{dropout_seed, dropout_threshold, dropout_kept};
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int b = blockIdx.z, kvh = blockIdx.y, s_first = blockIdx.x * kRows, s = s_first + warp;
    int group = H / Hkv;
    long long base = (long long)b * T;
    bool key = s < T && (key_mask == nullptr || key_mask[base + s] != 0);
    for (int d = lane; d < D; d += 32) {
        kr[warp][d] = key ? k[(base + s) * k_stride + k_col + kvh * D + d] : 0.0f;
        vr[warp][d] = key ? v[(base + s) * v_stride + v_col + kvh * D + d] : 0.0f;
    }
    int s_last = min(s_first + kRows, T) - 1;
    float dk_acc[4] = {0.0f, 0.0f, 0.0f, 0.0f}, dv_acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        long long stat = ((long long)b * H + h) * T;
        for (int t0 = s_first; t0 < T; t0 += kTile) {
            // doc_start is non-decreasing: once a tile's first query starts past the block's keys, all later do
            if (doc_start && doc_start[base + t0] > s_last) break;
            int n = min(kTile, T - t0);
            __syncthreads(); // the previous tile is consumed (and kr, vr written, on the first pass)
            load_tile(qt, q + (base + t0) * q_stride + q_col + h * D, q_stride, n, D, scale);
            load_tile(gt, dout + (base + t0) * H * D + h * D, (long long)H * D, n, D, 1.0f);
            if (threadIdx.x < n) {
                lse_t[threadIdx.x] = lse[stat + t0 + threadIdx.x];
                delta_t[threadIdx.x] = delta[stat + t0 + threadIdx.x];
                start_t[threadIdx.x] = doc_start ? doc_start[base + t0 + threadIdx.x] : 0;
            }
            __syncthreads();
            int t = t0 + lane;
            bool ok = key && lane < n && t >= s && start_t[lane] <= s && lse_t[lane] != lathe::neg_inf();
            float pz = 0.0f, ds = 0.0f;
            if (ok) {
                float p = expf(dot_row(kr[warp], qt[lane], D) - lse_t[lane]);
                float dp = dot_row(vr[warp], gt[lane], D);
                float z = drop.active() ? drop.factor(b, h, t, s, H, T) : 1.0f;
                pz = p * z;
                ds = p * (z * dp - delta_t[lane]);
            }
            for (int j = 0; j < n; j++) {
                float pzj = __shfl_sync(LATHE_FULL_MASK, pz, j), dsj = __shfl_sync(LATHE_FULL_MASK, ds, j);
                for (int i = 0; i < 4; i++) {
                    int d = lane + 32 * i;
                    if (d < D) {
                        dv_acc[i] = fmaf(pzj, gt[j][d], dv_acc[i]);
                        dk_acc[i] = fmaf(dsj, qt[j][d], dk_acc[i]);
                    }
                }
            }
        }
    }
    if (s >= T) return;
    float* gk = dk + (base + s) * k_stride + k_col + kvh * D;
    float* gv = dv + (base + s) * v_stride + v_col + kvh * D;
    for (int i = 0; i < 4; i++) {
        int d = lane + 32 * i;
        if (d < D) {
            gk[d] = dk_acc[i];
            gv[d] = dv_acc[i];
        }
    }
}

// Decode attention of the newest Tq positions against a KV cache (no lse, no backward). q [B, Tq, q_stride]
// (rows b*Tq + i), k_cache / v_cache [B, max_len, stride] (rows b*max_len + s) with positions 0..len-1 filled;
// query i sits at position len - Tq + i and sees keys s <= it with key_mask[b*max_len + s] != 0 (key_mask null
// or int32 [B, max_len]). out [B, Tq, H*D]; a query with no visible key gets 0.
// One warp per (b, i, h). Launch: grid = (H, Tq, B), block = 32; static shared memory about 33 KB.
extern "C" __global__ void attention_decode(const float* q, const float* k_cache, const float* v_cache,
                                            const int* key_mask, float* out, int Tq, int len, int max_len, int H,
                                            int Hkv, int D, float scale, int q_stride, int q_col, int k_stride,
                                            int k_col, int v_stride, int v_col) {
    __shared__ float ks[kTile][kPad];
    __shared__ float vs[kTile][kPad];
    __shared__ float qs[kMaxD];
    int lane = threadIdx.x;
    int h = blockIdx.x, i = blockIdx.y, b = blockIdx.z;
    int kvh = h / (H / Hkv), pos = len - Tq + i;
    long long qrow = (long long)b * Tq + i, cache = (long long)b * max_len;
    for (int d = lane; d < D; d += 32) qs[d] = scale * q[qrow * q_stride + q_col + h * D + d];
    float m = lathe::neg_inf(), l = 0.0f, acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int s0 = 0; s0 <= pos; s0 += kTile) {
        int n = min(kTile, pos + 1 - s0);
        __syncwarp();
        load_tile(ks, k_cache + (cache + s0) * k_stride + k_col + kvh * D, k_stride, n, D, 1.0f);
        load_tile(vs, v_cache + (cache + s0) * v_stride + v_col + kvh * D, v_stride, n, D, 1.0f);
        __syncwarp();
        int key = s0 + lane;
        bool ok = lane < n && (key_mask == nullptr || key_mask[cache + key] != 0);
        float score = ok ? dot_row(qs, ks[lane], D) : lathe::neg_inf();
        online_softmax_tile(score, 1.0f, n, vs, D, lane, m, l, acc);
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    float* o = out + qrow * H * D + h * D;
    for (int j = 0; j < 4; j++) {
        int d = lane + 32 * j;
        if (d < D) o[d] = acc[j] * inv;
    }
}
