package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The optimizer every training loop builds: AdamW with Hugging Face's parameter groups. */
public final class Optimizers {
    private Optimizers() {}

    /** AdamW over {@code named} from the run's settings; no weight decay on biases and LayerNorm weights. */
    public static AdamW adamW(Map<String, Tensor> named, TrainingConfig config) {
        List<Tensor> decayed = new ArrayList<>(), notDecayed = new ArrayList<>();
        named.forEach((name, p) -> (isBiasOrNorm(name) ? notDecayed : decayed).add(p));
        var adam = new AdamWConfig((float) config.lr(), (float) config.beta1(), (float) config.beta2(),
                (float) config.eps(), (float) config.weightDecay());
        return new AdamW(decayed, notDecayed, adam);
    }

    /** GPT-2's naming: biases end in "bias", LayerNorms are ln_1, ln_2, ln_f. */
    static boolean isBiasOrNorm(String name) {
        if (name.endsWith("bias")) return true;
        for (String part : name.split("\\.")) {
            if (part.startsWith("ln_") || part.contains("norm")) return true;
        }
        return false;
    }
}
