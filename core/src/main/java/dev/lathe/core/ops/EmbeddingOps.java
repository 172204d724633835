package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;

/** Table lookup with a scatter-add backward. */
public final class EmbeddingOps {
    private EmbeddingOps() {}

    /** ids I32 [..] into table [V, C] → [.., C]. */
    public static Tensor embedding(Tensor ids, Tensor table) {
        int[] idShape = ids.shape();
        int[] shape = java.util.Arrays.copyOf(idShape, idShape.length + 1);
        shape[idShape.length] = table.dim(1);
        Device device = Devices.common("embedding", ids, table);
        Tensor out = Tensor.empty(device, table.dtype(), shape);
        be(table).embeddingForward(ids, table, out);
        return Node.record(out, "embedding", (g, needs) -> {
            if (!needs[1]) return new Tensor[] {null, null};
            Tensor grad = table.gradFn() == null ? table.grad() : null;
            if (grad != null && !grad.isTransposed() && grad.dtype() == table.dtype()) {
                // A leaf table that already has a gradient (GPT-2's tied wte gets the LM head's first): add the rows
                // into it in place, rather than through a second [V, C] buffer, 154 MB for GPT-2, then an axpy.
                be(g).embeddingBackward(ids, g.contiguous(), grad, true);
                return new Tensor[] {null, null};
            }
            Tensor dtable = Tensor.empty(device, table.dtype(), table.shape());
            be(g).embeddingBackward(ids, g.contiguous(), dtable, false);
            return new Tensor[] {null, dtable};
        }, ids, table);
    }
}
