package dev.lathe.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code CHECKPOINT/checksums.json}: the SHA-256 of every other file of a checkpoint folder and its subfolders
 * (by relative path, '/'-separated), written last, so a folder whose manifest verifies is complete and intact:
 * {@code {"files": {"model.safetensors": "ab12…", "value_model/model.safetensors": "cd34…", …}}}.
 */
public final class CheckpointManifest {
    public static final String FILE = "checksums.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private CheckpointManifest() {}

    /** Hashes every regular file under {@code dir} and writes the manifest. */
    public static void write(Path dir) throws IOException {
        ObjectNode files = JSON.createObjectNode();
        List<Path> entries;
        try (Stream<Path> s = Files.walk(dir)) {
            entries = s.filter(Files::isRegularFile).filter(p -> !p.equals(dir.resolve(FILE))).sorted().toList();
        }
        for (Path f : entries) files.put(dir.relativize(f).toString().replace(File.separatorChar, '/'), sha256(f));
        ObjectNode root = JSON.createObjectNode();
        root.set("files", files);
        Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(root) + "\n");
    }

    /**
     * Why {@code dir} is not a complete, intact checkpoint — naming the file at fault — or null when every
     * listed file is there with its checksum and the state files are among them.
     */
    public static String problem(Path dir) throws IOException {
        Path manifest = dir.resolve(FILE);
        JsonNode files;
        try {
            files = JSON.readTree(Files.readString(manifest)).get("files");
        } catch (NoSuchFileException e) {
            return manifest + " is missing: the checkpoint was not completely written";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return manifest + " is not valid JSON";
        }
        if (files == null || !files.isObject()) return manifest + " has no \"files\" object";
        for (String required : new String[] {TrainerState.FILE, OptimizerState.FILE}) {
            if (!files.has(required)) return manifest + " does not list " + required;
        }
        for (Map.Entry<String, JsonNode> e : files.properties()) {
            Path f = dir.resolve(e.getKey());
            if (!f.normalize().startsWith(dir.normalize()) || f.normalize().equals(dir.normalize())) {
                return manifest + " lists a file outside the folder: " + e.getKey();
            }
            if (!Files.isRegularFile(f)) return f + " is missing";
            if (!sha256(f).equals(e.getValue().asText())) return f + " does not match its SHA-256 in " + FILE + " (corrupt or partly written)";
        }
        return null;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
