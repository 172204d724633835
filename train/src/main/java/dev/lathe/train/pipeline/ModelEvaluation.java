package dev.lathe.train.pipeline;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.generate.Generation;
import dev.lathe.models.generate.GenerationConfig;
import dev.lathe.models.generate.Generator;
import dev.lathe.models.generate.SamplingConfig;
import dev.lathe.models.RewardModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.dpo.SequenceLogProbs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures one model of the pipeline on the held-out prompts: one completion per prompt sampled at temperature
 * 1 (the model's own distribution, seeded), judged by {@link SortingTask}; scored by the trained reward model;
 * and its KL to the SFT model estimated on those samples, Σ_t log π(y_t) − log π_sft(y_t) over each completion
 * (eos included), averaged over prompts — the sequence-level KL(π ‖ π_sft) that PPO's penalty and DPO's β bound.
 */
public final class ModelEvaluation {
    /** Prompts per generation batch. */
    private static final int BATCH = 64;

    private final ByteLevelBpeTokenizer tokenizer;
    private final CausalLm sft;
    private final RewardModel rewardModel;
    private final List<int[]> digits;
    private final int maxNewTokens;
    private final long seed;

    public ModelEvaluation(ByteLevelBpeTokenizer tokenizer, CausalLm sft, RewardModel rewardModel,
                           List<int[]> digits, int maxNewTokens, long seed) {
        this.tokenizer = tokenizer;
        this.sft = sft;
        this.rewardModel = rewardModel;
        this.digits = digits;
        this.maxNewTokens = maxNewTokens;
        this.seed = seed;
    }

    /** Evaluates {@code model} under the name {@code name}. */
    public ModelSummary evaluate(String name, CausalLm model) {
        int valid = 0, preferred = 0;
        double reward = 0, kl = 0;
        List<String> samples = new ArrayList<>();
        try (var noGrad = GradMode.off()) {
            for (int from = 0; from < digits.size(); from += BATCH) {
                List<int[]> lists = digits.subList(from, Math.min(digits.size(), from + BATCH));
                int[][] prompts = lists.stream().map(d -> tokenizer.encode(SortingTask.prompt(d))).toArray(int[][]::new);
                var config = GenerationConfig.forModel(model.config(), SamplingConfig.sampling(1f, seed + from),
                        maxNewTokens);
                try (var s = Scope.open()) {
                    Generation g = Generator.generate(model, prompts, config);
                    List<int[]> sequences = new ArrayList<>();
                    int[] promptLengths = new int[prompts.length];
                    for (int b = 0; b < prompts.length; b++) {
                        boolean eos = g.lengths()[b] > 0 && g.completions()[b][g.lengths()[b] - 1] == tokenizer.eosTokenId();
                        int[] text = Arrays.copyOf(g.completions()[b], g.lengths()[b] - (eos ? 1 : 0));
                        String completion = tokenizer.decode(text);
                        SortingTask.Verdict v = SortingTask.judge(lists.get(b), completion, eos);
                        if (v.valid()) valid++;
                        if (v == SortingTask.Verdict.ASCENDING) preferred++;
                        if (samples.size() < 2) samples.add(SortingTask.prompt(lists.get(b)) + completion + (eos ? "" : " …"));
                        sequences.add(g.sequence(b));
                        promptLengths[b] = prompts[b].length;
                        for (int t = 0; t < g.lengths()[b]; t++) kl += g.logProbs()[b][t];
                    }
                    float[] sftLogps = SequenceLogProbs.compute(sft, sequences, promptLengths).sums().toFloatArray();
                    for (float l : sftLogps) kl -= l;
                    for (float r : rewards(sequences)) reward += r;
                }
            }
        }
        int n = digits.size();
        return new ModelSummary(name, (double) valid / n, (double) preferred / n, reward / n, kl / n, samples);
    }

    /** The reward model's score of each whole sequence at its last real token (right padding; pad value unused). */
    private float[] rewards(List<int[]> sequences) {
        int n = sequences.size(), t = 0;
        for (int[] s : sequences) t = Math.max(t, s.length);
        int[] ids = new int[n * t], lengths = new int[n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(sequences.get(r), 0, ids, r * t, sequences.get(r).length);
            lengths[r] = sequences.get(r).length;
        }
        Device device = rewardModel.device(); // the batch is built on the host and moved there
        Tensor scores = rewardModel.scores(Tensor.ofInts(ids, n, t).moveTo(device),
                Padding.positions(lengths, t, Padding.Side.RIGHT).moveTo(device),
                Padding.mask(lengths, t, Padding.Side.RIGHT).moveTo(device),
                Padding.lastTokenIndex(lengths, t, Padding.Side.RIGHT));
        return scores.toFloatArray();
    }
}
