package dev.lathe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lathe tokenize} with GPT-2's vocab.json + merges.txt against Hugging Face's ids. */
class TokenizeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void copyTheTokenizerFiles() throws IOException {
        model = Cli.copyResources("gpt2", dir.resolve("gpt2"), "vocab.json", "merges.txt");
    }

    private static Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void printsTheReferenceIdsOfEveryLine() throws IOException {
        JsonNode expected;
        try (InputStream in = TokenizeCliTest.class.getResourceAsStream("/gpt2/tokenize_expected.json")) {
            expected = JSON.readTree(in);
        }
        StringBuilder jsonl = new StringBuilder();
        for (JsonNode row : expected) {
            jsonl.append(JSON.writeValueAsString(JSON.createObjectNode().set("text", row.get("text")))).append('\n');
        }
        Path data = write("fixture.jsonl", jsonl.toString());

        Cli.Result r = Cli.run("tokenize", "--model", model.toString(), "--data", data.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(expected.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode got = JSON.readTree(lines.get(i));
            assertEquals(1, got.size(), lines.get(i));
            assertEquals(expected.get(i).get("ids"), got.get("ids"), expected.get(i).get("text").asText());
        }
        assertTrue(r.err().contains(expected.size() + " lines"), r.err());
    }

    @Test
    void endOfTextInTheTextIsItsTokenAndNothingIsAdded() throws IOException {
        Path data = write("eos.jsonl", "{\"text\": \"\"}\n\n{\"text\": \"hi<|endoftext|>\", \"other\": 1}\n");
        Cli.Result r = Cli.run("tokenize", "--model", model.toString(), "--data", data.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("{\"ids\":[]}", "{\"ids\":[5303,50256]}"), r.out().lines().toList());
    }

    @Test
    void badInputNamesTheFileAndLine() throws IOException {
        // {file, what the message names, lines printed before the bad one (output streams line by line)}
        List<String[]> cases = new ArrayList<>();
        Path malformed = write("malformed.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated\n");
        cases.add(new String[] {malformed.toString(), "malformed.jsonl line 2", "1"});
        Path missing = write("missing.jsonl", "{\"text\": \"ok\"}\n\n{\"txt\": \"typo\"}\n");
        cases.add(new String[] {missing.toString(), "missing.jsonl line 3", "1"});
        Path mistyped = write("mistyped.jsonl", "{\"text\": 42}\n");
        cases.add(new String[] {mistyped.toString(), "mistyped.jsonl line 1", "0"});
        Path trailing = write("trailing.jsonl", "{\"text\": \"a\"} {\"text\": \"b\"}\n");
        cases.add(new String[] {trailing.toString(), "trailing.jsonl line 1", "0"});
        Path notUtf8 = Files.write(dir.resolve("latin1.jsonl"),
                "{\"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        cases.add(new String[] {notUtf8.toString(), "latin1.jsonl line 1", "0"});
        cases.add(new String[] {dir.resolve("absent.jsonl").toString(), "absent.jsonl", "0"});
        for (String[] c : cases) {
            Cli.Result r = Cli.run("tokenize", "--model", model.toString(), "--data", c[0]);
            assertEquals(2, r.code(), c[0]);
            assertEquals(Integer.parseInt(c[2]), r.out().lines().count(), c[0] + ": " + r.out());
            assertTrue(r.err().contains(c[1]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void badModelOrFlagsAreUsageErrors() throws IOException {
        Path data = write("one.jsonl", "{\"text\": \"x\"}\n");
        Cli.Result noModel = Cli.run("tokenize", "--model", dir.resolve("nowhere").toString(), "--data", data.toString());
        assertEquals(2, noModel.code());
        assertTrue(noModel.err().contains("nowhere"), noModel.err());
        Path empty = Files.createDirectories(dir.resolve("empty-model"));
        Cli.Result noFiles = Cli.run("tokenize", "--model", empty.toString(), "--data", data.toString());
        assertEquals(2, noFiles.code());
        assertTrue(noFiles.err().contains("vocab.json"), noFiles.err());
        assertEquals(2, Cli.run("tokenize", "--data", data.toString()).code());
        assertEquals(2, Cli.run("tokenize", "--model", model.toString(), "--data", data.toString(), "--bos", "1").code());
    }
}
