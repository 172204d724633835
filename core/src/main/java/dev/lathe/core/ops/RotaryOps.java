package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;

/** Rotary position embedding (Llama/Qwen, Hugging Face's rotate-half convention) as a differentiable op. */
public final class RotaryOps {
    private RotaryOps() {}

    /**
     * x [.., heads·D] → x rotated per head: (x1 | x2) ↦ (x1·cos − x2·sin | x2·cos + x1·sin) with cos and sin
     * [rows of x, D/2], the angles of each row's position. The backward rotates the gradient back.
     */
    public static Tensor rotary(Tensor x, Tensor cos, Tensor sin) {
        Device device = Devices.common("rotary", x, cos, sin);
        Tensor xc = x.contiguous();
        Tensor out = Tensor.empty(device, x.dtype(), x.shape());
        be(x).rotary(xc, cos, sin, false, out);
        return Node.record(out, "rotary", (g, needs) -> {
            Tensor dx = Tensor.empty(device, x.dtype(), x.shape());
            be(g).rotary(g.contiguous(), cos, sin, true, dx);
            return new Tensor[] {dx, null, null};
        }, x, cos, sin);
    }
}
