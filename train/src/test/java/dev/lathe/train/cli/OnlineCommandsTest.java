package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lathe ppo} and {@code ./lathe grpo} end to end on the gpt2-tiny fixture, two steps each. */
class OnlineCommandsTest {
    private static Path prompts(Path dir) throws Exception {
        Path data = dir.resolve("prompts.jsonl");
        Files.writeString(data, """
                {"prompt": "The capital of France is", "answer": "Paris"}
                {"prompt": [{"role": "user", "content": "Say hi"}], "answer": "hi"}
                {"prompt": "One two three", "answer": "four"}
                """);
        return data;
    }

    @Test
    void ppoWritesMetricsReportAndBothModels(@TempDir Path dir) throws Exception {
        Path policy = TrainFixture.modelDir(dir, "policy"), rm = TrainFixture.modelDir(dir, "rm"), out = dir.resolve("run");
        var r = TrainFixture.run("ppo", "--model", policy.toString(), "--reward-model", rm.toString(), "--data",
                prompts(dir).toString(), "--out", out.toString(), "--steps", "2", "--batch-size", "2",
                "--num-mini-batches", "2", "--num-ppo-epochs", "2", "--response-length", "6", "--missing-eos-penalty", "1",
                "--lr", "1e-4");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> metrics = TrainFixture.metrics(out);
        assertEquals(2, metrics.size());
        for (String key : List.of("step", "loss", "grad_norm", "learning_rate", "tokens_per_second", "episode",
                "objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
                "objective/scores", "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg",
                "val/clipfrac_avg", "val/num_eos_tokens", "val/ratio")) {
            assertTrue(metrics.get(1).has(key), "metrics lack " + key + ": " + metrics.get(1));
        }
        assertEquals(4, metrics.get(1).get("episode").asInt());
        assertEquals(2, r.out().strip().split("\n").length, "one JSON line per step on stdout");
        assertTrue(Files.exists(out.resolve("report.html")));
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt",
                "value_model/config.json", "value_model/model.safetensors")) {
            assertTrue(Files.exists(out.resolve("final").resolve(f)), "final/ lacks " + f);
        }
    }

    @Test
    void grpoWithARegexRewardWritesMetricsReportAndModel(@TempDir Path dir) throws Exception {
        Path policy = TrainFixture.modelDir(dir, "policy"), out = dir.resolve("run");
        var r = TrainFixture.run("grpo", "--model", policy.toString(), "--reward-fn", "regex:[aeiou]", "--data",
                prompts(dir).toString(), "--out", out.toString(), "--steps", "2", "--batch-size", "2",
                "--num-generations", "3", "--max-completion-length", "6");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> metrics = TrainFixture.metrics(out);
        assertEquals(2, metrics.size());
        for (String key : List.of("loss", "grad_norm", "learning_rate", "tokens_per_second", "episode", "reward",
                "reward_std", "kl", "completion_length", "clip_ratio", "frac_reward_zero_std")) {
            assertTrue(metrics.get(1).has(key), "metrics lack " + key + ": " + metrics.get(1));
        }
        assertEquals(1e-6, metrics.get(0).get("learning_rate").asDouble(), 1e-12, "TRL's GRPO learning rate");
        assertTrue(Files.exists(out.resolve("report.html")));
        assertTrue(Files.exists(out.resolve("final/model.safetensors")));
        assertTrue(Files.exists(out.resolve("final/vocab.json")));
    }

    @Test
    void badInputIsAUsageError(@TempDir Path dir) throws Exception {
        Path policy = TrainFixture.modelDir(dir, "policy"), rm = TrainFixture.modelDir(dir, "rm"), data = prompts(dir);
        var both = TrainFixture.run("grpo", "--model", policy.toString(), "--reward-model", rm.toString(),
                "--reward-fn", "regex:a", "--data", data.toString(), "--out", dir.resolve("a").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("exactly one of --reward-model"), both.err());
        var split = TrainFixture.run("ppo", "--model", policy.toString(), "--reward-model", rm.toString(), "--data",
                data.toString(), "--out", dir.resolve("b").toString(), "--batch-size", "4", "--num-mini-batches", "3");
        assertEquals(2, split.code());
        assertTrue(split.err().contains("must divide --batch-size"), split.err());
        var policyAsRm = TrainFixture.run("ppo", "--model", policy.toString(), "--reward-model", policy.toString(),
                "--data", data.toString(), "--out", dir.resolve("c").toString());
        assertEquals(2, policyAsRm.code(), policyAsRm.err());
        var tooLong = TrainFixture.run("grpo", "--model", policy.toString(), "--reward-fn", "regex:a", "--data",
                data.toString(), "--out", dir.resolve("d").toString());
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().contains("--max-completion-length 256"), tooLong.err());
    }
}
