package dev.lathe.train.pipeline;

import java.util.List;

/**
 * Sizes of each pipeline stage: {@link #standard()} is the default run, {@link #quick()} the short one the test
 * suite runs. Learning rates are far above TRL's defaults because the model starts from scratch and is tiny
 * (d_model 64): TRL's are tuned for pretrained models with hundreds of millions of parameters.
 *
 * @param rows       rows per generated training file
 * @param evalPrompts held-out prompts each model is judged on
 */
public record PipelineSettings(int rows, int evalPrompts, Stage pretrain, Stage sft, Stage reward, Stage dpo,
                               Stage ppo) {
    /** The model every stage trains: GPT-2 of this shape with a byte-level BPE of this many tokens. */
    public static final int VOCAB = 300, POSITIONS = 32, EMBD = 64, LAYERS = 2, HEADS = 4;
    /** Generation limit when evaluating and in PPO's rollouts (the longest answer is 5 digits + eos). */
    public static final int MAX_NEW_TOKENS = 12;

    /** One trainer run: optimizer steps, micro-batch, peak learning rate, and that trainer's own flags. */
    public record Stage(int steps, int batchSize, double lr, List<String> extraFlags) {}

    public static PipelineSettings standard() {
        return new PipelineSettings(8000, 400,
                new Stage(500, 32, 2e-3, List.of()),
                new Stage(3000, 32, 3e-3, List.of()),
                new Stage(300, 16, 5e-4, List.of()),
                new Stage(80, 32, 2e-4, List.of("--beta", "2.0")),
                new Stage(60, 32, 1e-4, List.of()));
    }

    public static PipelineSettings quick() {
        return new PipelineSettings(3000, 150,
                new Stage(300, 32, 2e-3, List.of()),
                new Stage(1000, 32, 3e-3, List.of()),
                new Stage(80, 16, 5e-4, List.of()),
                new Stage(80, 32, 2e-4, List.of("--beta", "2.0")),
                new Stage(25, 32, 1e-4, List.of()));
    }
}
