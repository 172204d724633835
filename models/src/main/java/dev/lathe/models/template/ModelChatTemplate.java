package dev.lathe.models.template;

import dev.lathe.models.tokenizer.TokenizerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory's own chat template (tokenizer_config.json's {@code chat_template}) with the variables
 * {@code transformers}' {@code apply_chat_template} passes: {@code messages}, {@code add_generation_prompt},
 * {@code tools} and {@code documents} (None), the special tokens ({@code bos_token}, {@code eos_token},
 * {@code pad_token} where set), and any extra ones (e.g. {@code enable_thinking}). Immutable.
 */
public final class ModelChatTemplate {
    private final JinjaTemplate template;
    private final Map<String, Object> specialTokens = new HashMap<>();

    public ModelChatTemplate(String source, TokenizerConfig config) {
        template = JinjaTemplate.parse(source);
        if (config.bosToken() != null) specialTokens.put("bos_token", config.bosToken());
        if (config.eosToken() != null) specialTokens.put("eos_token", config.eosToken());
        if (config.padToken() != null) specialTokens.put("pad_token", config.padToken());
    }

    /** The template of {@code config}, or null when it has none. */
    public static ModelChatTemplate of(TokenizerConfig config) {
        return config.chatTemplate() == null ? null : new ModelChatTemplate(config.chatTemplate(), config);
    }

    /**
     * {@code messages} (each a map with "role" and "content") as text; with {@code addGenerationPrompt} the
     * assistant's header follows. {@code extra} variables are added last and win.
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.putAll(extra);
        return template.render(vars);
    }
}
