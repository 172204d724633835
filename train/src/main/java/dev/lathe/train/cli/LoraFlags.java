package dev.lathe.train.cli;

import dev.lathe.core.nn.Module;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The LoRA flags of the training commands (PEFT's LoraConfig defaults: r 8, alpha 8, dropout 0, and the loaded
 * model's default targets: c_attn for GPT-2, q_proj and v_proj for the Llama family) and {@code --adapter DIR} of
 * the inference commands.
 */
final class LoraFlags {
    static final String USAGE = """
              --lora-rank N             train LoRA adapters of rank N instead of every weight; OUT/final and
                                        checkpoints then hold adapter_config.json + adapter_model.safetensors
              --lora-alpha 8            update scaled by alpha / rank
              --lora-dropout 0          dropout on the adapters' input while training
              --lora-targets LIST       comma list of module-name suffixes; default the model's: c_attn for GPT-2
                                        (also c_proj, c_fc, mlp.c_proj, …), q_proj,v_proj for Llama, Qwen2 and
                                        Qwen3 (also k_proj, o_proj, gate_proj, up_proj, down_proj)
              --base-dtype f32|bf16     keep the frozen adapted weights as BF16 (widened per GEMM)""";

    /** LoRA settings of a run; targets null for the model's defaults. */
    record Settings(int r, double alpha, double dropout, List<String> targets, String baseModel, boolean bf16Base) {
        /** The causal-LM adapter for {@code model}: the given targets, else {@link LoraConfig#defaultTargets}. */
        LoraConfig config(Module model) {
            return LoraConfig.causalLm(r, alpha, dropout, targets != null ? targets : LoraConfig.defaultTargets(model),
                    baseModel);
        }
    }

    private LoraFlags() {}

    /** The run's LoRA settings, or null without --lora-rank (the other LoRA flags then are a usage error). */
    static Settings read(Args args, Path baseModel) {
        boolean any = args.has("lora-alpha") || args.has("lora-dropout") || args.has("lora-targets") || args.has("base-dtype");
        if (!args.has("lora-rank")) {
            if (any) throw new UsageException("--lora-alpha, --lora-dropout, --lora-targets and --base-dtype need --lora-rank");
            return null;
        }
        String dtype = args.string("base-dtype", "f32");
        if (!dtype.matches("f32|bf16")) throw new UsageException("--base-dtype must be f32 or bf16, got '" + dtype + "'");
        List<String> targets = !args.has("lora-targets") ? null : Arrays.stream(args.string("lora-targets", "").split(","))
                .map(String::trim).filter(t -> !t.isEmpty()).toList();
        var settings = new Settings(args.integer("lora-rank", LoraConfig.DEFAULT_R),
                args.number("lora-alpha", LoraConfig.DEFAULT_ALPHA), args.number("lora-dropout", 0), targets,
                baseModel.toString(), dtype.equals("bf16"));
        try {
            // checked now, with any family's default targets when none are given, so a bad value fails before loading
            LoraConfig.causalLm(settings.r(), settings.alpha(), settings.dropout(),
                    targets != null ? targets : LoraConfig.GPT2_TARGETS, settings.baseModel());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return settings;
    }

    /** Freezes {@code model} and attaches fresh adapters (A drawn from {@code seed}); logs the trainable count. */
    static LoraModel attach(Settings settings, LoraConfig config, Module model, long seed, PrintStream err) {
        LoraModel lora;
        try {
            lora = LoraModel.attach(model, config, new Random(seed));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (settings.bf16Base()) lora.storeFrozenWeightsAsBf16();
        long trainable = 0;
        for (var p : lora.trainableParameters().values()) trainable += p.numel();
        err.printf("lora: rank %d, alpha %s, dropout %s on %d layers (%s); %,d trainable parameters%s%n", config.r(),
                config.alpha(), config.dropout(), lora.layers().size(), String.join(",", config.targetModules()),
                trainable, settings.bf16Base() ? ", frozen adapted weights in BF16" : "");
        return lora;
    }

    /** {@code --adapter DIR} of score and generate: the saved adapter attached to {@code model}, or null. */
    static LoraModel adapter(String dir, Module model) {
        if (dir == null) return null;
        try {
            LoraModel lora = LoraModel.load(model, Path.of(dir));
            model.train(false);
            return lora;
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the adapter from " + dir + ": " + e.getMessage(), e);
        }
    }
}
