package dev.lathe.models.lora;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.models.CausalLm;
import dev.lathe.models.LmConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A LoRA-adapted model seen as its base, the frozen reference of DPO, PPO and GRPO (PEFT's
 * {@code disable_adapter()}): every pass runs the wrapped model with its adapters switched off and in evaluation
 * mode (no dropout), restoring both afterwards. It shares the wrapped model's weights — no second copy — and
 * closing it leaves the wrapped model open.
 */
public final class AdaptersOffModel implements CausalLm {
    private final CausalLm model;
    private final LoraModel adapters;

    /** {@code adapters} must be the ones attached to {@code model}. */
    public AdaptersOffModel(CausalLm model, LoraModel adapters) {
        this.model = model;
        this.adapters = adapters;
    }

    @Override
    public LmConfig config() {
        return model.config();
    }

    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return asBase(() -> model.forward(ids, positions, keyMask));
    }

    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents) {
        return asBase(() -> model.forward(ids, positions, keyMask, documents));
    }

    @Override
    public KvCache newKvCache(int batch, int maxLen) {
        return model.newKvCache(batch, maxLen);
    }

    @Override
    public Tensor forwardCached(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        return asBase(() -> model.forwardCached(ids, positions, keyMask, cache));
    }

    @Override
    public Tensor logits(Tensor hidden) {
        return asBase(() -> model.logits(hidden));
    }

    @Override
    public Tensor lmHeadWeight() {
        return model.lmHeadWeight();
    }

    /** The base's parameters: the wrapped model's without the adapters' lora_A / lora_B weights. */
    @Override
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> base = new LinkedHashMap<>(model.namedParameters());
        base.keySet().removeIf(name -> name.contains(".lora_A.") || name.contains(".lora_B."));
        return base;
    }

    @Override
    public List<Tensor> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /** Moves the wrapped model, adapters included (they share its device). */
    @Override
    public void to(Device device) {
        model.to(device);
    }

    @Override
    public void zeroGrad() {
        namedParameters().values().forEach(Tensor::zeroGrad);
    }

    /** Ignored: the base always runs in evaluation mode. */
    @Override
    public void train(boolean on) {}

    @Override
    public boolean isTraining() {
        return false;
    }

    /** The base is the checkpoint the adapters were attached to; save that folder instead. */
    @Override
    public void save(Path dir, DType dtype) {
        throw new UnsupportedOperationException("the base of a LoRA model is its original checkpoint; it is not saved again");
    }

    /** Leaves the wrapped model open: it belongs to whoever loaded it. */
    @Override
    public void close() {}

    private Tensor asBase(Supplier<Tensor> pass) {
        boolean training = model.isTraining();
        model.train(false);
        try (var off = adapters.disabled()) {
            return pass.get();
        } finally {
            model.train(training);
        }
    }
}
