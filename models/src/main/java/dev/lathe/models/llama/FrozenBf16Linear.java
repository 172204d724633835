package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.Devices;
import dev.lathe.core.backend.BinaryOp;

/**
 * x [.., in] @ W[out, in]ᵀ + b for a frozen weight kept in BF16 (the CPU GEMM reads F32 only): W is widened into a
 * temporary F32 copy for the forward GEMM and again for the input gradient's, each freed right after, so only one
 * layer's F32 copy is alive at a time. Neither W nor b receives a gradient (both frozen).
 */
final class FrozenBf16Linear {
    private FrozenBf16Linear() {}

    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        if (w.dtype() != DType.BF16 || w.requiresGrad() || (bias != null && bias.requiresGrad())) {
            throw new IllegalArgumentException("FrozenBf16Linear needs a frozen BF16 weight and bias, got " + w);
        }
        int in = w.dim(1), outF = w.dim(0);
        int[] outShape = x.shape(), xShape = x.shape();
        outShape[outShape.length - 1] = outF;
        Backend be = Backends.of(Devices.common("frozenBf16Linear", x, w, bias));
        Tensor x2;
        try (var noGrad = GradMode.off()) {
            x2 = x.contiguous().view(-1, in);
        }
        Tensor out = Tensor.empty(x.device(), DType.F32, outShape);
        try (Tensor wide = widen(be, w); var noGrad = GradMode.off()) {
            Tensor out2 = out.view(-1, outF);
            be.matmul(x2, wide.t(), out2, 1f, 0f);
            if (bias != null) be.binary(BinaryOp.ADD, out2, bias, out2);
        }
        return Node.record(out, "frozenBf16Linear", (g, needs) -> {
            Tensor dx = Tensor.empty(x.device(), DType.F32, xShape);
            try (Tensor wide = widen(be, w)) {
                be.matmul(g.contiguous().view(-1, outF), wide, dx.view(-1, in), 1f, 0f);
            }
            return new Tensor[] {dx, null, null};
        }, x, w, bias);
    }

    private static Tensor widen(Backend be, Tensor w) {
        Tensor wide = Tensor.empty(w.device(), DType.F32, w.shape());
        be.copy(w, wide);
        return wide;
    }
}
