package dev.lathe.core.ops;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backends;

/** Layout ops that copy. The free views ({@link Tensor#view}, {@link Tensor#slice}, {@link Tensor#t}) record themselves. */
public final class ShapeOps {
    private ShapeOps() {}

    /** A row-major copy of x (x is usually a {@link Tensor#t()} view). */
    public static Tensor contiguous(Tensor x) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        Backends.of(x).copy(x, out);
        return Node.record(out, "contiguous", (g, needs) -> new Tensor[] {g}, x);
    }
}
