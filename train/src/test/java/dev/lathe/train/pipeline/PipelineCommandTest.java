package dev.lathe.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.train.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./lathe pipeline --quick} end to end: every stage runs, and the models move the way post-training
 * should — SFT learns the format, preference tuning (DPO and PPO) moves the preferred rate well above SFT's.
 */
class PipelineCommandTest {
    @TempDir
    Path dir;

    @Test
    void quickPipelineTeachesTheFormatThenThePreference() throws Exception {
        Path out = dir.resolve("pipeline");
        var stdout = new ByteArrayOutputStream();
        var stderr = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"pipeline", "--quick", "--out", out.toString()},
                new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true, StandardCharsets.UTF_8));
        assertEquals(0, code, stderr.toString(StandardCharsets.UTF_8));

        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(4, summary.size());
        Map<String, JsonNode> byModel = new HashMap<>();
        summary.forEach(row -> byModel.put(row.get("model").asText(), row));
        JsonNode base = byModel.get("base"), sft = byModel.get("sft"), dpo = byModel.get("dpo"), ppo = byModel.get("ppo");
        for (JsonNode row : summary) {
            for (String f : new String[] {"format_validity", "preferred_rate"}) {
                double v = row.get(f).asDouble();
                assertTrue(v >= 0 && v <= 1, row.get("model") + " " + f + " " + v);
            }
            assertTrue(row.get("kl_to_sft").isNumber() && row.get("reward_mean").isNumber());
        }
        double sftValid = sft.get("format_validity").asDouble(), sftPreferred = sft.get("preferred_rate").asDouble();
        assertTrue(base.get("format_validity").asDouble() < 0.2, "the base model has not seen the format");
        assertTrue(sftValid >= 0.8, "SFT learns the format: " + sftValid);
        assertTrue(sftPreferred > 0.25 * sftValid && sftPreferred < 0.75 * sftValid,
                "SFT follows the data's 50/50 mix: " + sftPreferred + " of " + sftValid);
        assertEquals(0, sft.get("kl_to_sft").asDouble(), 1e-3, "the SFT model against itself");
        for (JsonNode tuned : new JsonNode[] {dpo, ppo}) {
            double preferred = tuned.get("preferred_rate").asDouble();
            assertTrue(preferred >= sftPreferred + 0.2, tuned.get("model") + " preferred " + preferred + " vs SFT " + sftPreferred);
            assertTrue(tuned.get("reward_mean").asDouble() > sft.get("reward_mean").asDouble(), tuned.get("model") + " reward");
            assertTrue(tuned.get("kl_to_sft").asDouble() > 0, tuned.get("model") + " moved away from SFT");
        }

        String table = stdout.toString(StandardCharsets.UTF_8);
        for (String m : new String[] {"base", "sft", "dpo", "ppo"}) assertTrue(table.contains("\n" + m + " "), table);
        String report = Files.readString(out.resolve("report.html"));
        for (String stage : PipelineCommand.STAGES) {
            assertTrue(Files.isRegularFile(out.resolve(stage).resolve("metrics.jsonl")), stage);
            assertTrue(Files.isRegularFile(out.resolve(stage).resolve("final/model.safetensors")), stage);
            assertTrue(report.contains("<h2>" + stage + "</h2>"), stage);
        }
        assertTrue(report.contains("preferred rate") && report.contains("<svg"));
    }
}
