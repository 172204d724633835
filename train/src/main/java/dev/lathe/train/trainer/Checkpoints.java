package dev.lathe.train.trainer;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/** Checkpoint folders written under a temporary name and renamed, so a crash never leaves half a checkpoint. */
final class Checkpoints {
    private Checkpoints() {}

    /** Saves the task's model into {@code dir}, replacing an older folder of that name. */
    static void save(TrainingTask task, Path dir) throws IOException {
        save((ModelSaver) task::save, dir);
    }

    /** Saves through {@code saver} into {@code dir}, replacing an older folder of that name. */
    static void save(ModelSaver saver, Path dir) throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteTree(tmp);
        saver.save(tmp);
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteTree(Path dir) throws IOException {
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
