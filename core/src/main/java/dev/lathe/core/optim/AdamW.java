package dev.lathe.core.optim;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AdamWHyper;
import dev.lathe.core.backend.Backends;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay and bias correction, exactly {@code torch.optim.AdamW}. Parameters may be
 * split into a decayed and a non-decayed group (Hugging Face's Trainer exempts biases and norm weights).
 * Moment buffers are allocated on a parameter's first update, on its device, and freed by {@link #close()}.
 */
public final class AdamW implements AutoCloseable {
    /** A parameter's moment buffers, torch's {@code exp_avg} and {@code exp_avg_sq}, shaped like it. */
    public record Moments(Tensor expAvg, Tensor expAvgSq) {}

    private final List<Tensor> decayed;
    private final List<Tensor> notDecayed;
    private final AdamWConfig config;
    private final Map<Tensor, Moments> state = new IdentityHashMap<>();
    private float lr;
    private long step;

    public AdamW(List<Tensor> params, AdamWConfig config) {
        this(params, List.of(), config);
    }

    public AdamW(List<Tensor> decayed, List<Tensor> notDecayed, AdamWConfig config) {
        this.decayed = new ArrayList<>(decayed);
        this.notDecayed = new ArrayList<>(notDecayed);
        this.config = config;
        this.lr = config.lr();
    }

    /** Sets the learning rate for the next steps (schedules call this). */
    public void setLr(float value) {
        this.lr = value;
    }

    public float lr() {
        return lr;
    }

    /** Number of steps taken. */
    public long stepCount() {
        return step;
    }

    public AdamWConfig config() {
        return config;
    }

    /** Updates every parameter that has a gradient; parameters without one are skipped, as in PyTorch. */
    public void step() {
        step(1f);
    }

    /**
     * {@link #step()} from every gradient times {@code gradScale} (e.g. {@link GradClip.Clip#coefficient()}): the
     * same update as scaling the gradients in place first, without a pass of its own over them. The gradients'
     * contents are unspecified afterwards (a GPU scales them in place; the CPU leaves them as they were).
     */
    public void step(float gradScale) {
        step++;
        update(decayed, config.weightDecay(), gradScale);
        update(notDecayed, 0f, gradScale);
    }

    private void update(List<Tensor> params, float weightDecay, float gradScale) {
        var hyper = new AdamWHyper(lr, config.beta1(), config.beta2(), config.eps(), weightDecay, step, gradScale);
        // One call per device with every parameter that has a gradient (a single multi-tensor launch on a GPU).
        Map<Device, List<Tensor[]>> byDevice = new EnumMap<>(Device.class);
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            Moments s = state.computeIfAbsent(p, k -> Scope.escape(
                    () -> new Moments(Tensor.zeros(k.device(), k.dtype(), k.shape()),
                            Tensor.zeros(k.device(), k.dtype(), k.shape()))));
            byDevice.computeIfAbsent(p.device(), d -> new ArrayList<>()).add(new Tensor[] {p, g, s.expAvg(), s.expAvgSq()});
        }
        byDevice.forEach((device, rows) -> Backends.of(device).adamwSteps(column(rows, 0), column(rows, 1),
                column(rows, 2), column(rows, 3), hyper));
    }

    private static List<Tensor> column(List<Tensor[]> rows, int i) {
        List<Tensor> out = new ArrayList<>(rows.size());
        for (Tensor[] r : rows) out.add(r[i]);
        return out;
    }

    /** The moments of {@code param} (owned by this optimizer), or null before its first update. */
    public Moments moments(Tensor param) {
        return state.get(param);
    }

    /**
     * Continues from saved state (a resumed run): the step count, which drives bias correction, and the
     * moments of each parameter in {@code moments}, copied into buffers this optimizer owns.
     */
    public void restore(long stepCount, Map<Tensor, float[][]> moments) {
        if (stepCount < 0) throw new IllegalArgumentException("step count must be >= 0, got " + stepCount);
        close();
        step = stepCount;
        moments.forEach((p, mv) -> {
            // saved moments are host arrays: built on the host, then moved to the parameter's device
            Moments s = Scope.escape(() -> new Moments(Tensor.of(mv[0], p.shape()).moveTo(p.device()),
                    Tensor.of(mv[1], p.shape()).moveTo(p.device())));
            state.put(p, s);
        });
    }

    /** Frees the moment buffers. */
    @Override
    public void close() {
        state.values().forEach(s -> {
            s.expAvg().close();
            s.expAvgSq().close();
        });
        state.clear();
    }
}
