package dev.lathe.models.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.models.tokenizer.Qwen3Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Templates exercising each implemented feature, against the texts Python's Jinja2 3.1 renders for them in
 * transformers' setup (template/jinja-cases.json: sandboxed, trim_blocks, lstrip_blocks, loop controls, its
 * tojson).
 */
class JinjaTemplateTest {
    private static final JsonNode CASES = Qwen3Files.json("template/jinja-cases.json");

    @Test
    @SuppressWarnings("unchecked")
    void rendersEveryCaseAsJinja2Does() {
        Map<String, Object> vars = Qwen3Files.JSON.convertValue(CASES.get("variables"), Map.class);
        assertTrue(CASES.get("cases").size() >= 15);
        for (JsonNode c : CASES.get("cases")) {
            String template = c.get("template").asText();
            assertEquals(c.get("expected").asText(), JinjaTemplate.parse(template).render(vars), template);
        }
    }

    @Test
    void raiseExceptionFailsWithItsMessage() {
        JinjaTemplate t = JinjaTemplate.parse(CASES.get("raises").asText());
        TemplateException e = assertThrows(TemplateException.class, () -> t.render(Map.of()));
        assertEquals("Only user and assistant roles are supported!", e.getMessage());
    }

    @Test
    void unsupportedOrBrokenTemplatesFailClearly() {
        assertThrows(TemplateException.class, () -> JinjaTemplate.parse("{% macro f() %}{% endmacro %}"));
        assertThrows(TemplateException.class, () -> JinjaTemplate.parse("{% if x %}open"));
        assertThrows(TemplateException.class, () -> JinjaTemplate.parse("{{ x | nosuchfilter }}").render(Map.of("x", 1)));
        assertThrows(TemplateException.class, () -> JinjaTemplate.parse("{{ missing.attr }}").render(Map.of()));
    }
}
