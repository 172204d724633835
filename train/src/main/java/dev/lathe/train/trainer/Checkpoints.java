package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.lora.LoraModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoint folders, written under a temporary name and renamed, so a crash never leaves half a checkpoint
 * under the real name. {@code checkpoint-N/} holds the model as a Hugging Face folder, the optimizer's moments
 * ({@link OptimizerState}), the loop's state ({@link TrainerState}) and, written last, {@link CheckpointManifest}.
 */
public final class Checkpoints {
    public static final String PREFIX = "checkpoint-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)");
    /** The model's weights in a checkpoint folder. */
    public static final String WEIGHTS = "model.safetensors";

    private Checkpoints() {}

    /** Saves the task's model into {@code dir}, replacing an older folder of that name. */
    static void save(TrainingTask task, Path dir) throws IOException {
        save(dir, task::save);
    }

    /** {@code dir} written by {@code contents} into a temporary sibling, which then replaces it. */
    public static void save(Path dir, ModelSaver contents) throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteTree(tmp);
        contents.save(tmp);
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The checkpoint to resume from: {@code path} itself when it is a checkpoint folder (refused unless its
     * manifest verifies), or the newest verified {@code checkpoint-N} of a run folder (broken or unfinished ones
     * are skipped with a note on {@code err}). Throws IllegalArgumentException with the reason otherwise.
     */
    public static Path resumable(Path path, PrintStream err) throws IOException {
        if (!Files.isDirectory(path)) throw new IllegalArgumentException(path + ": not a directory");
        if (Files.exists(path.resolve(CheckpointManifest.FILE)) || NAME.matcher(path.getFileName().toString()).matches()) {
            String problem = CheckpointManifest.problem(path);
            if (problem != null) throw new IllegalArgumentException("cannot resume from " + path + ": " + problem);
            return path;
        }
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> s = Files.list(path)) {
            s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches()).forEach(candidates::add);
        }
        candidates.sort(Comparator.comparingLong(Checkpoints::stepOf).reversed());
        for (Path c : candidates) {
            String problem = CheckpointManifest.problem(c);
            if (problem == null) return c;
            err.println("resume: skipping " + c + ": " + problem);
        }
        throw new IllegalArgumentException("cannot resume from " + path + ": no complete " + PREFIX + "N folder in it");
    }

    /**
     * Overwrites every parameter with the weights saved in {@code dir}; each must be there with the parameter's
     * shape. A folder of LoRA adapters (no model.safetensors) holds them under PEFT's keys in adapter_model.safetensors.
     */
    public static void loadWeights(Path dir, Map<String, Tensor> named) throws IOException {
        boolean adapters = !Files.exists(dir.resolve(WEIGHTS)) && Files.exists(dir.resolve(LoraModel.WEIGHTS));
        String prefix = adapters ? LoraModel.KEY_PREFIX : "";
        try (SafetensorsReader weights = SafetensorsReader.open(dir.resolve(adapters ? LoraModel.WEIGHTS : WEIGHTS))) {
            for (Map.Entry<String, Tensor> e : named.entrySet()) {
                String key = prefix + e.getKey();
                if (!weights.contains(key)) throw new IOException(weights.file() + ": no \"" + key + "\"");
                int[] shape = weights.info(key).shape();
                if (!Arrays.equals(shape, e.getValue().shape())) {
                    throw new IOException(weights.file() + ": \"" + key + "\" has shape " + Arrays.toString(shape)
                            + ", the model's is " + Arrays.toString(e.getValue().shape()));
                }
                weights.readInto(key, e.getValue());
            }
        }
    }

    private static long stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
