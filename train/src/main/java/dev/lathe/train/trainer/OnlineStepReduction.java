package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import dev.lathe.train.distributed.World;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The collectives of a data-parallel online step: its result combined over the ranks, and the end-of-run check
 * that every rank holds the same weights.
 */
final class OnlineStepReduction {
    private OnlineStepReduction() {}

    /**
     * Loss, grad norm and the task's metrics as means over the ranks (every rank rolls out the same number of
     * prompts, so a mean of the ranks' means is the global batch's mean), completions and tokens as sums. The
     * metric names are rank 0's; a rank that reports others is an error.
     */
    static OnlineTask.StepResult reduce(OnlineTask.StepResult own, World world) {
        List<String> names = new ArrayList<>(own.metrics().keySet());
        String leaders = world.broadcast(String.join("\n", names));
        if (!leaders.equals(String.join("\n", names))) {
            throw new IllegalStateException("rank " + world.rank() + " reports metrics " + names + ", rank 0 " + leaders.replace('\n', ','));
        }
        double[] v = new double[4 + names.size()];
        v[0] = own.loss();
        v[1] = own.gradNorm();
        v[2] = own.completions();
        v[3] = own.tokens();
        for (int i = 0; i < names.size(); i++) v[4 + i] = own.metrics().get(names.get(i));
        world.allReduce(v, World.Reduction.SUM);
        double ranks = world.size();
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) metrics.put(names.get(i), v[4 + i] / ranks);
        return new OnlineTask.StepResult(v[0] / ranks, v[1] / ranks, (int) v[2], (long) v[3], metrics);
    }

    /**
     * Fails unless every rank's {@code params} have the same bits (a 52-bit hash of them compared by MIN and MAX
     * over the ranks): the averaged gradients must have kept the replicas in step.
     */
    static void checkIdentical(List<Tensor> params, World world, PrintStream err) {
        long h = 1125899906842597L;
        for (Tensor p : params) {
            for (float v : p.toFloatArray()) h = 31 * h + Float.floatToRawIntBits(v); // a host copy of device params
        }
        double[] min = {h & ((1L << 52) - 1)}, max = {min[0]};
        world.allReduce(min, World.Reduction.MIN);
        world.allReduce(max, World.Reduction.MAX);
        if (min[0] != max[0]) throw new IllegalStateException("the ranks' trained parameters differ after training");
        err.println("distributed: trained parameters identical on " + world.size() + " ranks");
    }
}
