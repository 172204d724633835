package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.core.nn.Module;
import dev.lathe.models.CausalLm;
import dev.lathe.models.RewardModel;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraMerge;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ./lathe merge}: folds a LoRA adapter into its base model (PEFT's merge_and_unload) and writes a complete
 * Hugging Face folder of the base's family (GPT-2, Llama, Qwen2, Qwen3): config.json, F32 model.safetensors with
 * W += scaling · B A in each adapted layer's own layout, tokenizer files.
 */
public final class MergeCommand implements Command {
    @Override
    public String name() {
        return "merge";
    }

    @Override
    public String summary() {
        return "merge a LoRA adapter into its base model, writing a full Hugging Face model folder";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe merge --model BASE --adapter DIR --out MERGED
                Adds each adapted layer's scaling · lora_B lora_A to its weight (transposed into a GPT-2 Conv1D
                weight [in, out], as is into a Llama-family Linear weight [out, in]) and takes a reward adapter's
                trained score head, then writes MERGED: config.json, model.safetensors (F32) and the tokenizer files
                of BASE. Prints {"out","task_type","r","lora_alpha","target_modules"}.""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        Path base = ModelDirs.requireDir(args.string("model", null));
        String adapterFlag = args.string("adapter", null);
        String outFlag = args.string("out", null);
        args.rejectUnknown();
        if (adapterFlag == null) throw new UsageException("--adapter DIR is required");
        if (outFlag == null) throw new UsageException("--out MERGED is required");
        Path adapter = Path.of(adapterFlag), target = Path.of(outFlag);
        if (!Files.isDirectory(adapter)) throw new UsageException(adapter + ": not a directory");
        LoraConfig config;
        try {
            config = LoraConfig.read(adapter);
        } catch (IllegalArgumentException e) {
            throw new UsageException("cannot read the adapter: " + e.getMessage(), e);
        }
        if (config.taskType().equals("SEQ_CLS")) {
            // a language model gets a score head the adapter then overwrites
            try (RewardModel model = ModelDirs.rewardModelOrNewHead(base, 0, name(), err)) {
                merge(ModelDirs.module(model), adapter);
                model.save(target, DType.F32, base);
            }
        } else {
            try (CausalLm model = ModelDirs.causalLm(base)) {
                merge(ModelDirs.module(model), adapter);
                model.save(target, DType.F32, base);
            }
        }
        err.println("merge: " + adapter + " into " + base + ", written to " + target);
        out.printf("{\"out\":\"%s\",\"task_type\":\"%s\",\"r\":%d,\"lora_alpha\":%s,\"target_modules\":\"%s\"}%n",
                target.toString().replace("\\", "\\\\").replace("\"", "\\\""), config.taskType(), config.r(),
                config.alpha(), String.join(",", config.targetModules()));
        return 0;
    }

    private static void merge(Module model, Path adapter) throws IOException {
        try {
            LoraMerge.mergeInto(model, adapter);
        } catch (IllegalArgumentException e) {
            throw new UsageException("cannot merge " + adapter + ": " + e.getMessage(), e);
        }
    }
}
