package dev.lathe.train.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The pipeline's generated datasets, in the JSONL shapes the trainers read (TRL's), written to {@code DIR/}:
 * <ul>
 *   <li>{@code pretrain.jsonl}: {@code {"text"}} digit lists — random order, ascending or descending — without
 *       the "sort …:" format, so the base model knows the alphabet but not the task;</li>
 *   <li>{@code sft.jsonl}: {@code {"prompt","completion"}}, ascending and descending answers in equal parts;</li>
 *   <li>{@code preferences.jsonl}: {@code {"prompt","chosen","rejected"}}, chosen ascending;</li>
 *   <li>{@code prompts.jsonl}: {@code {"prompt"}} for PPO.</li>
 * </ul>
 * Evaluation prompts are drawn apart and never occur in any training file.
 */
public final class PipelineData {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    public final Path pretrain, sft, preferences, prompts;
    /** Held-out digit lists the models are evaluated on. */
    public final List<int[]> evaluation;

    private PipelineData(Path dir, List<int[]> evaluation) {
        this.pretrain = dir.resolve("pretrain.jsonl");
        this.sft = dir.resolve("sft.jsonl");
        this.preferences = dir.resolve("preferences.jsonl");
        this.prompts = dir.resolve("prompts.jsonl");
        this.evaluation = evaluation;
    }

    /** Generates every file under {@code dir} from {@code seed}, with {@code rows} rows per training file. */
    public static PipelineData write(Path dir, int rows, int evalPrompts, long seed) throws IOException {
        Files.createDirectories(dir);
        Random rng = new Random(seed);
        Set<String> held = new HashSet<>();
        List<int[]> evaluation = new ArrayList<>();
        while (evaluation.size() < evalPrompts) {
            int[] d = SortingTask.randomDigits(rng);
            if (held.add(SortingTask.join(d))) evaluation.add(d);
        }
        var data = new PipelineData(dir, evaluation);
        List<Map<String, Object>> pretrain = new ArrayList<>(), sft = new ArrayList<>(), prefs = new ArrayList<>(),
                prompts = new ArrayList<>();
        for (int i = 0; i < 2 * rows; i++) {
            int[] d = SortingTask.randomDigits(rng);
            String text = switch (i % 3) {
                case 0 -> SortingTask.join(d);
                case 1 -> SortingTask.ascending(d).substring(1);
                default -> SortingTask.descending(d).substring(1);
            };
            pretrain.add(Map.of("text", text));
        }
        while (sft.size() < rows) {
            int[] d = SortingTask.randomDigits(rng);
            if (held.contains(SortingTask.join(d))) continue;
            String prompt = SortingTask.prompt(d);
            String asc = SortingTask.ascending(d), desc = SortingTask.descending(d);
            sft.add(row("prompt", prompt, "completion", sft.size() % 2 == 0 ? asc : desc));
            prefs.add(row("prompt", prompt, "chosen", asc, "rejected", desc));
            prompts.add(row("prompt", prompt));
        }
        writeJsonl(data.pretrain, pretrain);
        writeJsonl(data.sft, sft);
        writeJsonl(data.preferences, prefs);
        writeJsonl(data.prompts, prompts);
        return data;
    }

    /** Every text the tokenizer is trained on: the pretraining texts and the task's prompts and answers. */
    public List<String> tokenizerCorpus() throws IOException {
        List<String> texts = new ArrayList<>();
        for (Path f : List.of(pretrain, sft)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                JSON.readTree(line).fields().forEachRemaining(e -> texts.add(e.getValue().asText()));
            }
        }
        return texts;
    }

    private static Map<String, Object> row(String... keysAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) row.put(keysAndValues[i], keysAndValues[i + 1]);
        return row;
    }

    private static void writeJsonl(Path file, List<Map<String, Object>> rows) throws IOException {
        var sb = new StringBuilder();
        rows.forEach(r -> {
            try {
                sb.append(JSON.writeValueAsString(r)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }
}
