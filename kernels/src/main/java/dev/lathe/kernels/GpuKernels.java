package dev.lathe.kernels;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.cuda.CudaLaunch;

/**
 * The module's own CUDA kernels ({@code src/main/cuda/*.cu}, launch contract in {@code KERNELS.md}), launched
 * through {@link CudaLaunch} when device tensors live on a real GPU. Elsewhere (an emulated device) the kernels'
 * device paths run the backend-generic composition of {@link DeviceMath} instead.
 */
final class GpuKernels {
    /** Threads a block for the one-thread-per-element and one-block-per-row kernels. */
    static final int BLOCK = 256;
    /** Most blocks in grid dimension y (rows of a logits chunk are grid.y of {@code fused_classifier_dlogits}). */
    static final int MAX_GRID_Y = 65535;

    static final CudaLaunch.Kernel ROW_STATS = kernel("fused_classifier", "fused_classifier_row_stats");
    static final CudaLaunch.Kernel DLOGITS = kernel("fused_classifier", "fused_classifier_dlogits");
    static final CudaLaunch.Kernel DPO_FORWARD = kernel("dpo_loss", "dpo_loss_forward_backward");
    static final CudaLaunch.Kernel DPO_BACKWARD = kernel("dpo_loss", "dpo_loss_backward");
    static final CudaLaunch.Kernel PPO_TOKENS = kernel("ppo_loss", "ppo_loss_tokens");
    static final CudaLaunch.Kernel PPO_ROW_SUMS = kernel("ppo_loss", "ppo_row_sums");
    static final CudaLaunch.Kernel PPO_BACKWARD = kernel("ppo_loss", "ppo_loss_backward");
    static final CudaLaunch.Kernel GAE = kernel("gae", "gae_advantages");
    static final CudaLaunch.Kernel MASKED_MOMENTS = kernel("gae", "masked_moments");
    static final CudaLaunch.Kernel MASKED_WHITEN = kernel("gae", "masked_whiten");

    private GpuKernels() {}

    private static CudaLaunch.Kernel kernel(String module, String function) {
        return new CudaLaunch.Kernel(GpuKernels.class, module, function);
    }

    /** Whether {@code t} lives on a real GPU, where this module's kernels launch (an emulated device has none). */
    static boolean active(Tensor t) {
        return t.device() == Device.CUDA && CudaLaunch.active();
    }

    /** One thread per element of {@code n}: grid ceil(n / block), block {@link #BLOCK}. */
    static void launchPerElement(CudaLaunch.Kernel kernel, long n, Object... args) {
        int grid = Math.toIntExact(Math.max(1, (n + BLOCK - 1) / BLOCK));
        CudaLaunch.launch(kernel, grid, 1, 1, BLOCK, 1, 1, args);
    }

    /** Device memory for {@code count} float64 values (the SPI has no F64 dtype: raw 32-bit words). */
    static Tensor doubles(Device device, int count) {
        return Tensor.empty(device, DType.I32, 2 * count);
    }

    /** The float64 values of a {@link #doubles} tensor, read back (a few metrics scalars). */
    static double[] read(Tensor doubles) {
        int[] words = doubles.toIntArray();
        double[] out = new double[words.length / 2];
        for (int i = 0; i < out.length; i++) {
            long bits = (words[2 * i] & 0xFFFFFFFFL) | ((long) words[2 * i + 1] << 32); // little-endian
            out[i] = Double.longBitsToDouble(bits);
        }
        return out;
    }
}
