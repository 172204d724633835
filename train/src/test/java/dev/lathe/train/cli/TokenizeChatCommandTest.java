package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.ChatTokenizer;
import dev.lathe.train.data.SftData;
import dev.lathe.train.data.SftExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen3's tokenizer and own chat template (the models module's test resources, laid out as a model directory)
 * on the qwen3-tiny chat rows: {@code ./lathe tokenize} and the SFT loader give transformers' ids and the
 * assistant-token masks exactly.
 */
class TokenizeChatCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path model;
    private static JsonNode expected;

    @BeforeAll
    static void modelDir() throws IOException {
        Qwen3TrainFixture.tokenizerFiles(model);
        expected = Qwen3TrainFixture.json("expected-chat.json");
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void tokenizePrintsTheTextIdsAndAssistantMaskOfEveryChatRow() throws IOException {
        TrainFixture.Result r = TrainFixture.run("tokenize", "--model", model.toString(), "--data",
                Qwen3TrainFixture.dataFile("chat.jsonl").toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        JsonNode chat = expected.get("chat");
        assertEquals(chat.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode got = JSON.readTree(lines.get(i)), want = chat.get(i);
            assertEquals(want.get("text").asText(), got.get("text").asText(), "row " + i);
            assertArrayEquals(ints(want.get("ids")), ints(got.get("ids")), "row " + i);
            assertArrayEquals(ints(want.get("assistant_mask")), ints(got.get("assistant_mask")), "row " + i);
        }
    }

    @Test
    void sftTrainsOnTheAssistantTokensOfTheModelsTemplateWithItsEos() throws IOException {
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromDirectory(model);
        assertEquals(expected.get("eos_token_id").asInt(), tok.eosTokenId());
        List<SftExample> rows = SftData.load(Qwen3TrainFixture.dataFile("chat.jsonl"), tok, 512).rows();
        JsonNode chat = expected.get("chat");
        assertEquals(chat.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(ints(chat.get(i).get("ids")), rows.get(i).ids(), "row " + i);
            int[] mask = ints(chat.get(i).get("assistant_mask"));
            for (int t = 0; t < mask.length; t++) assertEquals(mask[t] == 1, rows.get(i).lossMask()[t], "row " + i + " token " + t);
        }
    }

    @Test
    void aPreferenceAnswerIsWhatFollowsTheGenerationPrompt() {
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromDirectory(model);
        ChatTokenizer chat = ChatTokenizer.forTokenizer(tok);
        var prompt = List.of(dev.lathe.train.data.ChatMessage.user("sort: 3 1 2"));
        var answer = List.of(dev.lathe.train.data.ChatMessage.assistant("1 2 3"));
        JsonNode row0 = expected.get("chat").get(0);
        int[] whole = ints(row0.get("ids"));
        int[] p = chat.prompt(prompt), c = chat.continuation(prompt, answer);
        assertEquals(row0.get("text_with_generation_prompt").asText(), tok.decode(p));
        int[] joined = new int[p.length + c.length];
        System.arraycopy(p, 0, joined, 0, p.length);
        System.arraycopy(c, 0, joined, p.length, c.length);
        assertArrayEquals(java.util.Arrays.copyOf(whole, whole.length - 1), joined); // all but the final "\n"
    }
}
