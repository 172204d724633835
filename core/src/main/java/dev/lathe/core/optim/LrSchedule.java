package dev.lathe.core.optim;

import java.util.Locale;

/**
 * Learning-rate multipliers of Hugging Face's schedulers, as a function of the optimizer step about to be taken
 * (0-based): {@code lr = baseLr * factor(step)}. Warmup rises linearly from 0.
 */
@FunctionalInterface
public interface LrSchedule {
    double factor(long step);

    /** get_constant_schedule_with_warmup. */
    static LrSchedule constant(long warmup) {
        return step -> step < warmup ? (double) step / Math.max(1, warmup) : 1.0;
    }

    /** get_linear_schedule_with_warmup: linear decay to 0 at {@code total}. */
    static LrSchedule linear(long warmup, long total) {
        return step -> {
            if (step < warmup) return (double) step / Math.max(1, warmup);
            return Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
        };
    }

    /** get_cosine_schedule_with_warmup with half a cycle: cosine decay to 0 at {@code total}. */
    static LrSchedule cosine(long warmup, long total) {
        return step -> {
            if (step < warmup) return (double) step / Math.max(1, warmup);
            double progress = (double) (step - warmup) / Math.max(1, total - warmup);
            return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        };
    }

    /** By name, as the CLI's {@code --lr-scheduler-type} takes it: constant, linear or cosine. */
    static LrSchedule named(String name, long warmup, long total) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "constant", "constant_with_warmup" -> constant(warmup);
            case "linear" -> linear(warmup, total);
            case "cosine" -> cosine(warmup, total);
            default -> throw new IllegalArgumentException("unknown lr scheduler '" + name + "' (constant, linear, cosine)");
        };
    }
}
