package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;

/** Cross-entropy over logits with PyTorch's ignore_index semantics. */
public final class LossOps {
    /** PyTorch's default ignore_index. */
    public static final int IGNORE_INDEX = -100;

    private LossOps() {}

    /** Per-row loss: logits [N, V], targets I32 [N] → [N], −log softmax(logits)[target], 0 where ignored. */
    public static Tensor crossEntropyPerRow(Tensor logits, Tensor targets, int ignoreIndex) {
        Device device = Devices.common("crossEntropy", logits, targets);
        Tensor lc = logits.contiguous();
        int n = NormOps.rowCount(lc);
        Tensor losses = Tensor.empty(device, DType.F32, n), lse = Tensor.empty(device, DType.F32, n);
        be(logits).crossEntropyForward(lc, targets, ignoreIndex, losses, lse);
        return Node.record(losses, "crossEntropy", (g, needs) -> {
            Tensor dlogits = Tensor.empty(device, logits.dtype(), logits.shape());
            be(g).crossEntropyBackward(lc, targets, ignoreIndex, lse, g.contiguous(), dlogits);
            return new Tensor[] {dlogits, null};
        }, logits, targets);
    }

    /** PyTorch's F.cross_entropy(reduction='mean'): mean over rows whose target is not ignored. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        // The count of counted rows is a host number (it sets the scale); a device tensor's targets are copied over.
        long counted = 0;
        for (int id : targets.toIntArray()) if (id != ignoreIndex) counted++;
        Tensor total = ReduceOps.sum(crossEntropyPerRow(logits, targets, ignoreIndex));
        // All rows ignored: PyTorch returns NaN (0/0); so do we.
        return ElementwiseOps.scale(total, counted == 0 ? Float.NaN : 1f / counted);
    }
}
