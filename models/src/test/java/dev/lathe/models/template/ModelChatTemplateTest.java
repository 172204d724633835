package dev.lathe.models.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.models.tokenizer.Qwen3Files;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Qwen3's own chat template against the texts and ids transformers gives for the qwen3-tiny chat rows. */
class ModelChatTemplateTest {
    private static final ModelChatTemplate QWEN3 = ModelChatTemplate.of(Qwen3Files.QWEN3.config());

    @SuppressWarnings("unchecked")
    static List<List<Map<String, Object>>> conversations() throws IOException {
        return Files.readAllLines(Qwen3Files.resource("qwen3-tiny/chat.jsonl")).stream()
                .filter(l -> !l.isBlank())
                .map(l -> {
                    try {
                        return (List<Map<String, Object>>) Qwen3Files.JSON.readValue(l, Map.class).get("messages");
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
    }

    @Test
    void rendersTheThreeTextsOfEveryRowExactly() throws IOException {
        JsonNode expected = Qwen3Files.json("qwen3-tiny/expected-chat.json").get("chat");
        List<List<Map<String, Object>>> rows = conversations();
        assertEquals(expected.size(), rows.size());
        for (int r = 0; r < rows.size(); r++) {
            List<Map<String, Object>> messages = rows.get(r), prompt = messages.subList(0, messages.size() - 1);
            JsonNode e = expected.get(r);
            assertEquals(e.get("text").asText(), QWEN3.render(messages, false, Map.of()), "row " + r);
            assertEquals(e.get("text_with_generation_prompt").asText(), QWEN3.render(prompt, true, Map.of()), "row " + r);
            assertEquals(e.get("text_no_thinking_prompt").asText(),
                    QWEN3.render(prompt, true, Map.of("enable_thinking", false)), "row " + r);
            assertArrayEquals(Qwen3Files.ints(e.get("ids")), Qwen3Files.QWEN3.encode(e.get("text").asText()), "row " + r);
        }
    }
}
