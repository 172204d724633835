package dev.lathe.train.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Padding;
import dev.lathe.models.llama.LlamaConfig;
import dev.lathe.models.llama.LlamaModel;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The DPO/score path on a Llama-family model (Qwen3 layout: GQA, explicit head_dim, q/k norms): batched,
 * right-padded completion log-probs equal each row's float64 log-softmax computed alone.
 */
class LlamaSequenceLogProbsTest {
    private static final String CONFIG = """
            {"model_type": "qwen3", "vocab_size": 37, "hidden_size": 24, "intermediate_size": 40,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
             "rope_theta": 1000000.0, "tie_word_embeddings": true, "eos_token_id": 36}""";

    @Test
    void batchedCompletionLogProbsMatchEachRowAlone() throws IOException {
        LlamaConfig config = LlamaConfig.parse((ObjectNode) new ObjectMapper().readTree(CONFIG));
        List<int[]> sequences = List.of(new int[] {3, 8, 1, 30, 22, 36}, new int[] {5, 2, 36}, new int[] {9, 9, 14, 7, 36});
        int[] prompts = {3, 1, 2};
        try (LlamaModel model = LlamaModel.random(config, new Random(4)); var s = Scope.open(); var noGrad = GradMode.off()) {
            float[] sums = SequenceLogProbs.compute(model, sequences, prompts).sums().toFloatArray();
            for (int i = 0; i < sequences.size(); i++) {
                double want = alone(model, sequences.get(i), prompts[i]);
                assertEquals(want, sums[i], 1e-4 * Math.max(1, Math.abs(want)), "row " + i);
            }
        }
    }

    private static double alone(LlamaModel model, int[] seq, int prompt) {
        int t = seq.length, v = model.config().vocabSize();
        float[] logits = model.logits(model.forward(Tensor.ofInts(seq, 1, t),
                Padding.positions(new int[] {t}, t, Padding.Side.RIGHT), null)).toFloatArray();
        double total = 0;
        for (int p = prompt - 1; p < t - 1; p++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[p * v + j]);
            for (int j = 0; j < v; j++) sum += Math.exp(logits[p * v + j] - max);
            total += logits[p * v + seq[p + 1]] - max - Math.log(sum);
        }
        return total;
    }
}
