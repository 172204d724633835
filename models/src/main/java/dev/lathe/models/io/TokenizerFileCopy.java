package dev.lathe.models.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Copies the tokenizer files of a Hugging Face model folder into a saved one, so the saved folder loads on its
 * own: GPT-2's vocab.json and merges.txt, tokenizer.json, tokenizer_config.json (chat template, EOS) and
 * generation_config.json (the EOS ids generation stops at), whichever the source has.
 */
public final class TokenizerFileCopy {
    public static final List<String> FILES = List.of("vocab.json", "merges.txt", "added_tokens.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");

    private TokenizerFileCopy() {}

    /** Copies each of {@link #FILES} present in {@code from} to {@code to} (nothing when they are the same folder). */
    public static void copy(Path from, Path to) throws IOException {
        for (String name : FILES) {
            Path src = from.resolve(name), dst = to.resolve(name);
            if (Files.isRegularFile(src) && !src.toAbsolutePath().normalize().equals(dst.toAbsolutePath().normalize())) {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
