package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainers with --lora-rank on the gpt2-tiny fixture, then merge, score and generate with --adapter. */
class LoraCommandsTest {
    @TempDir
    static Path dir;
    static Path policy;
    static Path sft;
    static Path prefs;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        sft = TrainFixture.dataFile(dir, "sft.jsonl");
        prefs = TrainFixture.dataFile(dir, "prefs.jsonl");
    }

    @Test
    void sftWritesAnAdapterWhoseMergeScoresLikeTheAdaptedModel() throws IOException {
        Path run = dir.resolve("sft-lora");
        TrainFixture.Result r = TrainFixture.run("sft", "--model", policy.toString(), "--data", sft.toString(),
                "--out", run.toString(), "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "c_attn,c_proj,c_fc",
                "--lr", "1e-2", "--steps", "3", "--batch-size", "4", "--save-steps", "2");
        assertEquals(0, r.code(), r.err());
        for (Path out : List.of(run.resolve("final"), run.resolve("checkpoint-2"))) {
            for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "vocab.json", "merges.txt")) {
                assertTrue(Files.isRegularFile(out.resolve(f)), out + " lacks " + f);
            }
            assertTrue(!Files.exists(out.resolve("model.safetensors")), out + " holds a full model");
        }
        try (SafetensorsReader reader = SafetensorsReader.open(run.resolve("final/adapter_model.safetensors"))) {
            assertEquals(2 * 4 * 2, reader.names().size(), reader.names().toString()); // A and B × 4 layers × 2 blocks
            assertTrue(reader.contains("base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight"), reader.names().toString());
        }
        Path merged = dir.resolve("merged");
        TrainFixture.Result m = TrainFixture.run("merge", "--model", policy.toString(), "--adapter",
                run.resolve("final").toString(), "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt")) {
            assertTrue(Files.isRegularFile(merged.resolve(f)), "merged model lacks " + f);
        }
        List<JsonNode> adapted = scores("--model", policy.toString(), "--adapter", run.resolve("final").toString());
        List<JsonNode> mergedScores = scores("--model", merged.toString());
        List<JsonNode> base = scores("--model", policy.toString());
        double moved = 0;
        for (int i = 0; i < adapted.size(); i++) {
            double a = adapted.get(i).get("logps").asDouble(), b = mergedScores.get(i).get("logps").asDouble();
            assertTrue(TrainFixture.close(a, b, 1e-4), "row " + i + ": adapter " + a + ", merged " + b);
            moved = Math.max(moved, Math.abs(a - base.get(i).get("logps").asDouble()));
        }
        assertTrue(moved > 1e-2, "training the adapter did not change the scores");

        TrainFixture.Result g = TrainFixture.run("generate", "--model", policy.toString(), "--adapter",
                run.resolve("final").toString(), "--prompt", "Hello", "--max-new-tokens", "4");
        TrainFixture.Result gm = TrainFixture.run("generate", "--model", merged.toString(), "--prompt", "Hello",
                "--max-new-tokens", "4");
        assertEquals(0, g.code(), g.err());
        assertEquals(TrainFixture.JSON.readTree(gm.out()).get("completion_ids"), TrainFixture.JSON.readTree(g.out()).get("completion_ids"));
    }

    /** Step 1: B = 0, so the policy is its base, the reference, and the sigmoid loss is ln 2 with zero rewards. */
    @Test
    void dpoUsesTheBaseWithAdaptersOffAsTheReference() throws IOException {
        Path run = dir.resolve("dpo-lora");
        double beta = 0.1;
        TrainFixture.Result r = TrainFixture.run("dpo", "--model", policy.toString(), "--data", prefs.toString(),
                "--out", run.toString(), "--lora-rank", "4", "--lora-targets", "c_attn,c_fc", "--lr", "5e-2",
                "--steps", "3", "--batch-size", "6", "--beta", Double.toString(beta));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("adapters switched off"), r.err());
        List<JsonNode> lines = TrainFixture.metrics(run);
        JsonNode first = lines.get(0), last = lines.get(2);
        assertEquals(Math.log(2), first.get("loss").asDouble(), 1e-6);
        assertEquals(0, first.get("rewards/margins").asDouble(), 1e-6);
        assertTrue(Math.abs(last.get("rewards/margins").asDouble()) > 1e-3, "the adapters did not move: " + last);
        // rewards/chosen = β (π − ref) as a row mean, so the reference's mean log-prob is still the base's of step 1.
        double refNow = last.get("logps/chosen").asDouble() - last.get("rewards/chosen").asDouble() / beta;
        assertTrue(TrainFixture.close(first.get("logps/chosen").asDouble(), refNow, 1e-4),
                "reference moved: " + first.get("logps/chosen") + " vs " + refNow);
        assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")));
    }

    @Test
    void rewardTrainsTheScoreHeadInFullAlongsideTheAdapters() throws IOException {
        Path run = dir.resolve("rm-lora");
        TrainFixture.Result r = TrainFixture.run("reward", "--model", policy.toString(), "--data", prefs.toString(),
                "--out", run.toString(), "--lora-rank", "2", "--steps", "1", "--batch-size", "6");
        assertEquals(0, r.code(), r.err());
        JsonNode config = TrainFixture.JSON.readTree(run.resolve("final/adapter_config.json").toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertEquals("score", config.get("modules_to_save").get(0).asText());
        try (SafetensorsReader reader = SafetensorsReader.open(run.resolve("final/adapter_model.safetensors"))) {
            assertTrue(reader.contains("base_model.model.score.weight"), reader.names().toString());
            assertTrue(reader.contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"), reader.names().toString());
        }
        TrainFixture.Result m = TrainFixture.run("merge", "--model", policy.toString(), "--adapter",
                run.resolve("final").toString(), "--out", dir.resolve("rm-merged").toString());
        assertEquals(0, m.code(), m.err());
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("rm-merged/model.safetensors"))) {
            assertTrue(reader.contains("score.weight"), reader.names().toString());
        }
    }

    @Test
    void loraFlagsWithoutARankAreAUsageError() {
        TrainFixture.Result r = TrainFixture.run("sft", "--model", policy.toString(), "--data", sft.toString(),
                "--out", dir.resolve("bad").toString(), "--lora-alpha", "16");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--lora-rank"), r.err());
    }

    private static List<JsonNode> scores(String... model) throws IOException {
        String[] argv = new String[model.length + 3];
        argv[0] = "score";
        System.arraycopy(model, 0, argv, 1, model.length);
        argv[model.length + 1] = "--data";
        argv[model.length + 2] = sft.toString();
        TrainFixture.Result r = TrainFixture.run(argv);
        assertEquals(0, r.code(), r.err());
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : r.out().split("\n")) if (!line.isBlank()) out.add(TrainFixture.JSON.readTree(line));
        return out;
    }
}
