package dev.lathe.core.optim;

/**
 * AdamW hyper-parameters. {@link #pytorchDefaults()} equals {@code torch.optim.AdamW()}; {@link #trlDefaults()}
 * equals Hugging Face {@code TrainingArguments} (lr 5e-5, no weight decay), which TRL's trainers inherit.
 */
public record AdamWConfig(float lr, float beta1, float beta2, float eps, float weightDecay) {
    public AdamWConfig {
        if (!(lr >= 0)) throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0) || !(weightDecay >= 0)) throw new IllegalArgumentException("eps and weight decay must be >= 0");
    }

    public static AdamWConfig pytorchDefaults() {
        return new AdamWConfig(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    public static AdamWConfig trlDefaults() {
        return new AdamWConfig(5e-5f, 0.9f, 0.999f, 1e-8f, 0f);
    }

    public AdamWConfig withLr(float value) {
        return new AdamWConfig(value, beta1, beta2, eps, weightDecay);
    }

    public AdamWConfig withWeightDecay(float value) {
        return new AdamWConfig(lr, beta1, beta2, eps, value);
    }
}
