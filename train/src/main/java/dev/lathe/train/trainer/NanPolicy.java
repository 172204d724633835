package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.util.Map;

/**
 * What the loop does with an optimizer step whose loss or gradient holds a NaN or an infinity: {@link #STOP} the
 * run with a {@link NonFiniteException} naming the step and the tensor, or {@link #SKIP} the step (gradients
 * zeroed, no parameter update, {@code skipped: 1} in its metrics line).
 */
public enum NanPolicy {
    STOP, SKIP;

    /**
     * What is not finite, named for a message: "loss" when the loss is, else the first parameter (in
     * {@code named}'s order) whose gradient holds a NaN or an infinity.
     */
    static String culprit(double loss, Map<String, Tensor> named) {
        if (!Double.isFinite(loss)) return "loss";
        for (var e : named.entrySet()) {
            Tensor g = e.getValue().grad();
            // float32 squares summed in float64 cannot overflow, so a non-finite sum means a non-finite element
            if (g != null && !Double.isFinite(Backends.of(g).sumSquares(g))) return "gradient of '" + e.getKey() + "'";
        }
        return "gradient norm";
    }
}
