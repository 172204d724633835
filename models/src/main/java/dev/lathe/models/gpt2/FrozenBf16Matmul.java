package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.Devices;

/**
 * x [N, K] @ W [K, N'] for a frozen weight kept in BF16: W is widened to a temporary F32 copy for the forward GEMM
 * and again for the input gradient's, each freed right after, so only one layer's F32 copy is alive at a time.
 * W never receives a gradient (it is frozen), so only x's is computed.
 */
final class FrozenBf16Matmul {
    private FrozenBf16Matmul() {}

    static Tensor matmul(Tensor x, Tensor w) {
        if (w.dtype() != DType.BF16 || w.requiresGrad()) {
            throw new IllegalArgumentException("FrozenBf16Matmul needs a frozen BF16 weight, got " + w);
        }
        Backend be = Backends.of(Devices.common("frozenBf16Matmul", x, w));
        Tensor out = Tensor.empty(x.device(), DType.F32, x.dim(0), w.dim(1));
        try (Tensor wide = widen(be, w)) {
            be.matmul(x, wide, out, 1f, 0f);
        }
        return Node.record(out, "frozenBf16Matmul", (g, needs) -> {
            Tensor dx = Tensor.empty(x.device(), DType.F32, x.dim(0), w.dim(0));
            try (Tensor wide = widen(be, w)) {
                be.matmul(g.contiguous(), wide.t(), dx, 1f, 0f);
            }
            return new Tensor[] {dx, null};
        }, x, w);
    }

    private static Tensor widen(Backend be, Tensor w) {
        Tensor wide = Tensor.empty(w.device(), DType.F32, w.shape());
        be.copy(w, wide);
        return wide;
    }
}
