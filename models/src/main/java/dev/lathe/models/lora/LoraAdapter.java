package dev.lathe.models.lora;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.Linear;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.MatmulOps;
import java.util.Random;

/**
 * One layer's low-rank update, PEFT's {@code lora.Linear}: delta(x) = dropout(x) Aᵀ Bᵀ · alpha / r with
 * lora_A [r, in] initialised U(−1/√in, 1/√in) (PEFT's kaiming_uniform_(a=√5)) and lora_B [out, r] zero, so a
 * fresh adapter changes nothing. Dropout (inverted, seeded) acts on the adapter's input only, in training mode
 * and with autograd on.
 */
public final class LoraAdapter {
    private final Linear a;
    private final Linear b;
    private final float scaling;
    private final double dropout;
    private final Random dropoutRng;
    private final LoraSwitch lora;

    LoraAdapter(int in, int out, LoraConfig config, Random rng, LoraSwitch lora) {
        this.a = new Linear(in, config.r(), false, rng);
        this.b = new Linear(config.r(), out, false, rng);
        b.weight().copyFrom(new float[out * config.r()]);
        this.scaling = (float) config.scaling();
        this.dropout = config.dropout();
        this.dropoutRng = new Random(rng.nextLong());
        this.lora = lora;
    }

    /** lora_A, a bias-free Linear whose weight is [r, in]. */
    public Linear a() {
        return a;
    }

    /** lora_B, a bias-free Linear whose weight is [out, r]. */
    public Linear b() {
        return b;
    }

    public float scaling() {
        return scaling;
    }

    /** x [N, in] → the update [N, out], or null while the model's adapters are switched off. */
    public Tensor delta(Tensor x) {
        if (!lora.enabled()) return null;
        Tensor in = dropout > 0 && a.isTraining() && GradMode.isEnabled() ? ElementwiseOps.mul(x, dropoutMask(x)) : x;
        return ElementwiseOps.scale(b.forward(a.forward(in)), scaling);
    }

    /** 0 with probability p, else 1 / (1 − p), one per element of x: drawn on the host, moved to x's device. */
    private Tensor dropoutMask(Tensor x) {
        float keep = (float) (1 / (1 - dropout));
        float[] mask = new float[Math.toIntExact(x.numel())];
        for (int i = 0; i < mask.length; i++) mask[i] = dropoutRng.nextDouble() < dropout ? 0f : keep;
        return Tensor.of(mask, x.shape()).moveTo(x.device());
    }
}
