package dev.lathe.train.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Padding;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.tokenizer.BpeTrainer;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.TrainFixture;
import dev.lathe.train.data.SftExample;
import dev.lathe.train.report.RunReport;
import dev.lathe.train.sft.SftTask;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short SFT run of a tiny random GPT-2 with its own BPE tokenizer: it learns, logs and saves what it trained. */
class TrainerTest {
    private static final int STEPS = 40;
    private static final int WARMUP = 4;
    private static final double LR = 3e-3;

    @TempDir
    Path dir;

    @Test
    void shortRunLowersTheLossAndSavesReloadableCheckpoints() throws IOException {
        List<String> prompts = new ArrayList<>(), completions = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            prompts.add("count from " + i + ":");
            completions.add(" " + (i + 1) + " " + (i + 2) + " " + (i + 3));
        }
        List<String> corpus = new ArrayList<>(prompts);
        corpus.addAll(completions);
        ByteLevelBpeTokenizer tok = new BpeTrainer(300).train(corpus);
        List<SftExample> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] p = tok.encode(prompts.get(i)), c = tok.encode(completions.get(i));
            int[] ids = new int[p.length + c.length + 1];
            System.arraycopy(p, 0, ids, 0, p.length);
            System.arraycopy(c, 0, ids, p.length, c.length);
            ids[ids.length - 1] = tok.eosTokenId();
            rows.add(new SftExample(ids, p.length));
        }
        Path out = dir.resolve("run");
        var err = new ByteArrayOutputStream();
        try (Gpt2Model model = Gpt2Model.random(Gpt2Config.of(tok.vocabSize(), 64, 32, 2, 4), new Random(1))) {
            var task = new SftTask(model, rows, tok.eosTokenId(), target -> {
                model.save(target, DType.F32);
                tok.save(target);
            });
            var config = new TrainingConfig(out, LR, 0.01, 0.9, 0.999, 1e-8, "linear", WARMUP, 0, 4, 1, STEPS, 0,
                    1.0, 3, STEPS / 2);
            new Trainer("sft", config, null, new PrintStream(err, true, StandardCharsets.UTF_8), false).run(task);

            List<JsonNode> metrics = TrainFixture.metrics(out);
            assertEquals(STEPS, metrics.size());
            for (int s = 1; s <= STEPS; s++) {
                JsonNode m = metrics.get(s - 1);
                assertEquals(s, m.get("step").asInt());
                // get_linear_schedule_with_warmup at the step being taken (0-based s − 1).
                double factor = s - 1 < WARMUP ? (s - 1.0) / WARMUP : (STEPS - (s - 1.0)) / (STEPS - WARMUP);
                assertEquals(LR * factor, m.get("learning_rate").asDouble(), 1e-12, "step " + s);
                assertTrue(m.get("grad_norm").asDouble() > 0 && m.get("tokens_per_second").asDouble() > 0);
            }
            assertEquals(STEPS * 4 / 8.0, metrics.get(STEPS - 1).get("epoch").asDouble(), 1e-12);
            long tokensPerEpoch = rows.stream().mapToLong(r -> r.ids().length).sum();
            assertEquals(STEPS / 2 * tokensPerEpoch, metrics.get(STEPS - 1).get("num_tokens").asLong());
            double first = mean(metrics.subList(0, 4)), last = mean(metrics.subList(STEPS - 4, STEPS));
            assertTrue(last < 0.5 * first, "loss went from " + first + " to " + last);
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("step " + STEPS + "/" + STEPS), err.toString());

            int[] ids = rows.get(3).ids();
            float[] trained = logits(model, ids);
            for (String saved : new String[] {"final", "checkpoint-" + STEPS}) {
                try (Gpt2Model reloaded = Gpt2Model.load(out.resolve(saved))) {
                    var loaded = reloaded.namedParameters();
                    model.namedParameters().forEach((name, p) ->
                            assertArrayEquals(p.toFloatArray(), loaded.get(name).toFloatArray(), saved + " " + name));
                    // Same weights; the kernels may round the last bit differently once the JIT has warmed up.
                    assertArrayEquals(trained, logits(reloaded, ids), 1e-5f, saved);
                }
                assertArrayEquals(ids, reencoded(ByteLevelBpeTokenizer.fromDirectory(out.resolve(saved)), rows.get(3), tok));
            }
            try (Gpt2Model halfway = Gpt2Model.load(out.resolve("checkpoint-" + STEPS / 2))) {
                assertFalse(Arrays.equals(trained, logits(halfway, ids)), "checkpoint-20 holds step 20's weights");
            }
            assertFalse(Files.exists(out.resolve("final.tmp")));
            String report = Files.readString(out.resolve(RunReport.FILE));
            assertTrue(report.contains("<title>lathe sft · run</title>"), report);
            assertEquals(6, report.split("<svg ", -1).length - 1, "a chart per metric: loss, grad_norm, ...");
            assertTrue(report.contains("<th>last step</th><td colspan=\"3\">" + STEPS + "</td>"), report);
            assertFalse(Files.exists(out.resolve(RunReport.FILE + ".tmp")));
        }
    }

    private static double mean(List<JsonNode> lines) {
        return lines.stream().mapToDouble(m -> m.get("loss").asDouble()).average().orElseThrow();
    }

    /** The example re-encoded with a reloaded tokenizer: decode the ids, encode them again. */
    private static int[] reencoded(ByteLevelBpeTokenizer reloaded, SftExample row, ByteLevelBpeTokenizer original) {
        int[] ids = row.ids();
        int[] body = reloaded.encode(original.decode(Arrays.copyOf(ids, ids.length - 1)));
        int[] out = Arrays.copyOf(body, body.length + 1);
        out[body.length] = reloaded.eosTokenId();
        return out;
    }

    private static float[] logits(Gpt2Model model, int[] ids) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            int[] len = {ids.length};
            Tensor hidden = model.forward(Tensor.ofInts(ids, 1, ids.length),
                    Padding.positions(len, ids.length, Padding.Side.RIGHT), null);
            return model.logits(hidden).toFloatArray();
        }
    }
}
