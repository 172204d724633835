package dev.lathe.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code normalizer} and {@code pre_tokenizer} objects of a tokenizer.json, as the byte-level BPE tokenizers
 * use them: normalizers NFC, NFD, NFKC, NFKD, Lowercase and Sequence; pre-tokenizers Split (regex or string
 * pattern, any behavior, invert), ByteLevel (GPT-2's regex when {@code use_regex}; the byte mapping itself is
 * BPE's) and Sequence. Anything else is an IllegalArgumentException naming it.
 */
final class TokenizerJsonSteps {
    private TokenizerJsonSteps() {}

    /** The normalizer, or null when there is none. */
    static TextNormalizer normalizer(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) return null;
        String type = node.path("type").asText();
        return switch (type) {
            case "NFC" -> TextNormalizer.form(Normalizer.Form.NFC);
            case "NFD" -> TextNormalizer.form(Normalizer.Form.NFD);
            case "NFKC" -> TextNormalizer.form(Normalizer.Form.NFKC);
            case "NFKD" -> TextNormalizer.form(Normalizer.Form.NFKD);
            case "Lowercase" -> TextNormalizer.lowercase();
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                for (JsonNode step : node.path("normalizers")) steps.add(normalizer(step));
                yield TextNormalizer.sequence(steps);
            }
            default -> throw new IllegalArgumentException("normalizer type \"" + type + "\" is not supported");
        };
    }

    /** The pre-tokenizer; a missing one keeps each text between added tokens whole. */
    static PreTokenizer preTokenizer(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) return PreTokenizer.whole();
        String type = node.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> {
                if (node.path("add_prefix_space").asBoolean(false)) {
                    throw new IllegalArgumentException("ByteLevel \"add_prefix_space\": true is not supported");
                }
                yield node.path("use_regex").asBoolean(true) ? PreTokenizer.gpt2() : PreTokenizer.whole();
            }
            case "Split" -> split(node);
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode step : node.path("pretokenizers")) steps.add(preTokenizer(step));
                yield PreTokenizer.sequence(steps);
            }
            default -> throw new IllegalArgumentException("pre-tokenizer type \"" + type + "\" is not supported");
        };
    }

    private static PreTokenizer split(JsonNode node) {
        String behaviorName = node.path("behavior").asText();
        RegexSplit.Behavior behavior = switch (behaviorName) {
            case "Removed" -> RegexSplit.Behavior.REMOVED;
            case "Isolated" -> RegexSplit.Behavior.ISOLATED;
            case "MergedWithPrevious" -> RegexSplit.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> RegexSplit.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> RegexSplit.Behavior.CONTIGUOUS;
            default -> throw new IllegalArgumentException("Split behavior \"" + behaviorName + "\" is not supported");
        };
        boolean invert = node.path("invert").asBoolean(false);
        JsonNode pattern = node.path("pattern");
        if (pattern.path("Regex").isTextual()) return RegexSplit.regex(pattern.get("Regex").asText(), behavior, invert);
        if (pattern.path("String").isTextual()) {
            return RegexSplit.literal(pattern.get("String").asText(), behavior, invert);
        }
        throw new IllegalArgumentException("Split pattern " + pattern + " is neither {\"Regex\"} nor {\"String\"}");
    }
}
