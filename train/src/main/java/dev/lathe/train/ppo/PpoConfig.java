package dev.lathe.train.ppo;

import dev.lathe.kernels.KlEstimator;
import dev.lathe.kernels.PpoLoss;

/**
 * PPO's settings, defaults TRL's PPOConfig's ({@link #defaults()}).
 *
 * @param klCoef            weight of the per-token KL penalty in the rewards (0.05)
 * @param klEstimator       k1 (logp − ref_logp) or k3 (k1)
 * @param cliprange         policy ratio clip ε (0.2)
 * @param cliprangeValue    value clip around the rollout's values (0.2)
 * @param vfCoef            weight of the value loss (0.1)
 * @param gamma             discount (1.0)
 * @param lam               GAE λ (0.95)
 * @param numPpoEpochs      passes over the rollout batch per step (4)
 * @param numMiniBatches    mini-batches per pass, one optimizer update each (1)
 * @param whitenRewards     whiten the per-token rewards before GAE, mean kept (false)
 * @param temperature       sampling temperature; log-probs use logits / (temperature + 1e-7) (0.7)
 * @param responseLength    response tokens generated at most (53)
 * @param missingEosPenalty subtracted from the score of a response without EOS; NaN: none (none)
 */
public record PpoConfig(double klCoef, KlEstimator klEstimator, double cliprange, double cliprangeValue, double vfCoef,
                        double gamma, double lam, int numPpoEpochs, int numMiniBatches, boolean whitenRewards,
                        double temperature, int responseLength, double missingEosPenalty) {
    /** TRL's epsilon added to the temperature before dividing the logits. */
    public static final double TEMPERATURE_EPS = 1e-7;

    public PpoConfig {
        if (!(klCoef >= 0)) throw new IllegalArgumentException("kl coefficient must be >= 0, got " + klCoef);
        if (!(cliprange > 0) || !(cliprangeValue > 0)) throw new IllegalArgumentException("clip ranges must be > 0");
        if (!(vfCoef >= 0)) throw new IllegalArgumentException("vf coefficient must be >= 0, got " + vfCoef);
        if (!(gamma >= 0 && gamma <= 1) || !(lam >= 0 && lam <= 1)) {
            throw new IllegalArgumentException("gamma and lam must be in [0, 1]");
        }
        if (numPpoEpochs < 1 || numMiniBatches < 1) {
            throw new IllegalArgumentException("PPO epochs and mini-batches must be >= 1");
        }
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        if (responseLength < 1) throw new IllegalArgumentException("response length must be >= 1, got " + responseLength);
        if (!Double.isNaN(missingEosPenalty) && !(missingEosPenalty >= 0)) {
            throw new IllegalArgumentException("missing-EOS penalty must be >= 0, got " + missingEosPenalty);
        }
    }

    public static PpoConfig defaults() {
        return new PpoConfig(0.05, KlEstimator.K1, 0.2, 0.2, 0.1, 1.0, 0.95, 4, 1, false, 0.7, 53, Double.NaN);
    }

    public PpoLoss.Config loss() {
        return new PpoLoss.Config(cliprange, cliprangeValue, vfCoef);
    }

    /** What the logits are divided by before log_softmax. */
    public double logitDivisor() {
        return temperature + TEMPERATURE_EPS;
    }
}
