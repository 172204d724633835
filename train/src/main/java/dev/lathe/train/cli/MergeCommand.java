package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.core.nn.Module;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.gpt2.Gpt2RewardModel;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraMerge;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * {@code ./lathe merge}: folds a LoRA adapter into its base model (PEFT's merge_and_unload) and writes a complete
 * Hugging Face folder: config.json, F32 model.safetensors with W += scaling · (B A)ᵀ in Conv1D layout, tokenizer files.
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
                Adds each adapted layer's scaling · (lora_B lora_A)ᵀ to its Conv1D weight [in, out] (and takes a
                reward adapter's trained score head), then writes MERGED: config.json, model.safetensors (F32) and
                the tokenizer files of BASE. Prints {"out","task_type","r","lora_alpha","target_modules"}.""";
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
        if (ModelFamilies.isLlamaFamily(base)) {
            throw new UsageException(base + ": merge folds adapters into GPT-2's Conv1D layers; Llama-family models"
                    + " are not supported yet");
        }
        LoraConfig config;
        try {
            config = LoraConfig.read(adapter);
        } catch (IllegalArgumentException e) {
            throw new UsageException("cannot read the adapter: " + e.getMessage(), e);
        }
        if (config.taskType().equals("SEQ_CLS")) {
            try (Gpt2RewardModel model = rewardModel(base)) {
                merge(model, adapter);
                model.save(target, DType.F32, base);
            }
        } else {
            try (Gpt2Model model = ModelDirs.gpt2(base)) {
                merge(model, adapter);
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

    /** The base as a one-label reward model; a language model gets a score head the adapter then overwrites. */
    private static Gpt2RewardModel rewardModel(Path base) {
        try {
            boolean hasHead;
            try (var weights = SafetensorsReader.open(base.resolve("model.safetensors"))) {
                hasHead = weights.contains("score.weight");
            }
            return hasHead ? Gpt2RewardModel.load(base) : Gpt2RewardModel.fromCausalLm(base, 1, new Random(0));
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the model from " + base + ": " + e.getMessage(), e);
        }
    }
}
