package dev.lathe.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.train.data.EpochSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a run stands after an optimizer step, everything besides the weights and the optimizer's moments that a
 * resumed run needs to continue exactly: {@code CHECKPOINT/trainer_state.json}.
 *
 * <p>The loop's only random generator is the sampler's, seeded once; its state is the seed and the number of
 * micro-batches served (the permutations are drawn again on resume). The schedule's position is the global
 * step: step s + 1 uses lr = peak · schedule(s).
 *
 * @param globalStep optimizer steps taken
 * @param maxSteps the run's total steps when the state was written
 * @param numTokens real tokens seen so far (the metrics' num_tokens)
 * @param optimizerSteps AdamW's step count (its bias correction)
 * @param seed the sampler's seed
 * @param numExamples training examples the sampler permutes
 * @param batchSize examples per micro-batch
 * @param gradAccum micro-batches per optimizer step
 * @param batchesServed micro-batches the sampler has served
 * @param episodes completions an online run has generated so far (its metrics' episode; 0 for supervised runs)
 */
public record TrainerState(long globalStep, long maxSteps, long numTokens, long optimizerSteps, long seed,
                           int numExamples, int batchSize, int gradAccum, long batchesServed, long episodes) {
    public static final String FILE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The state after {@code globalStep} steps of a loop drawing from {@code sampler}. */
    public static TrainerState of(long globalStep, long maxSteps, long numTokens, long optimizerSteps, int gradAccum,
                                  EpochSampler sampler) {
        return new TrainerState(globalStep, maxSteps, numTokens, optimizerSteps, sampler.seed(), sampler.size(),
                sampler.batchSize(), gradAccum, sampler.batchesServed(), 0);
    }

    /** This state with an online run's episode count. */
    public TrainerState withEpisodes(long episodes) {
        return new TrainerState(globalStep, maxSteps, numTokens, optimizerSteps, seed, numExamples, batchSize,
                gradAccum, batchesServed, episodes);
    }

    /** A sampler at this state's position: its next batches are those the saved run would have drawn next. */
    public EpochSampler sampler() {
        return EpochSampler.resumed(numExamples, batchSize, seed, batchesServed);
    }

    /** Epochs consumed, fractional, as the metrics log it. */
    public double epoch() {
        return (double) batchesServed / EpochSampler.batchesPerEpoch(numExamples, batchSize);
    }

    /**
     * Why this state cannot continue a run of these settings (the data or batch layout differ, so the next
     * batches would not be the saved run's), or null when it can.
     */
    public String mismatch(int examples, TrainingConfig config) {
        if (examples != numExamples) return "the data has " + examples + " training rows, the checkpoint's run " + numExamples;
        if (config.batchSize() != batchSize) return "--batch-size is " + config.batchSize() + ", the checkpoint's run used " + batchSize;
        if (config.gradAccum() != gradAccum) return "--grad-accum is " + config.gradAccum() + ", the checkpoint's run used " + gradAccum;
        if (config.seed() != seed) return "--seed is " + config.seed() + ", the checkpoint's run used " + seed;
        return null;
    }

    /** Writes {@code dir/trainer_state.json}. */
    public void write(Path dir, TrainingConfig config, double nextLr) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("global_step", globalStep).put("max_steps", maxSteps).put("epoch", epoch()).put("num_tokens", numTokens);
        if (episodes > 0) root.put("episode", episodes);
        root.putObject("optimizer").put("step_count", optimizerSteps).put("file", OptimizerState.FILE);
        root.putObject("lr_schedule").put("type", config.scheduler()).put("peak_lr", config.lr())
                .put("warmup_steps", config.warmup(maxSteps)).put("total_steps", maxSteps).put("next_lr", nextLr);
        root.putObject("sampler").put("seed", seed).put("num_examples", numExamples).put("batch_size", batchSize)
                .put("grad_accum", gradAccum).put("batches_served", batchesServed)
                .put("epoch_index", batchesServed / EpochSampler.batchesPerEpoch(numExamples, batchSize));
        Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(root) + "\n");
    }

    /** Reads {@code dir/trainer_state.json}; a missing or malformed field is an IOException naming it. */
    public static TrainerState read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        JsonNode root = JSON.readTree(file.toFile());
        JsonNode sampler = root.path("sampler");
        return new TrainerState(number(file, root, "global_step"), number(file, root, "max_steps"),
                number(file, root, "num_tokens"), number(file, root.path("optimizer"), "step_count"),
                number(file, sampler, "seed"), (int) number(file, sampler, "num_examples"),
                (int) number(file, sampler, "batch_size"), (int) number(file, sampler, "grad_accum"),
                number(file, sampler, "batches_served"), root.has("episode") ? number(file, root, "episode") : 0);
    }

    private static long number(Path file, JsonNode node, String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToLong()) throw new IOException(file + ": no integer \"" + field + "\"");
        return v.asLong();
    }
}
