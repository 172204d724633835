package dev.lathe.core.backend;

/**
 * One AdamW update's hyper-parameters; {@code step} is 1-based (bias correction uses it). {@code gradScale}
 * multiplies every gradient element before the update (a clip coefficient, so the clip costs no pass of its own
 * over the gradients): the update is the one {@code grad *= gradScale} in float32 and then AdamW would give.
 */
public record AdamWHyper(float lr, float beta1, float beta2, float eps, float weightDecay, long step, float gradScale) {
    public AdamWHyper {
        if (!(gradScale >= 0) || Float.isInfinite(gradScale)) {
            throw new IllegalArgumentException("gradScale must be finite and >= 0, got " + gradScale);
        }
    }

    /** Gradients as they are (gradScale 1). */
    public AdamWHyper(float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
        this(lr, beta1, beta2, eps, weightDecay, step, 1f);
    }
}
