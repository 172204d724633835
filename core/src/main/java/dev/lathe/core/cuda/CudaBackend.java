package dev.lathe.core.cuda;

import static dev.lathe.core.backend.BackendChecks.elementwise;
import static dev.lathe.core.backend.BackendChecks.f32;
import static dev.lathe.core.backend.BackendChecks.rows;
import static dev.lathe.core.backend.BackendChecks.rowwise;
import static dev.lathe.core.backend.BackendChecks.sameShape;
import static dev.lathe.core.backend.BackendChecks.writable;
import static dev.lathe.core.cuda.CudaChecks.onDevice;
import static dev.lathe.core.cuda.CudaGrid.BLOCK;
import static dev.lathe.core.cuda.CudaGrid.MAX_GRID_YZ;
import static dev.lathe.core.cuda.CudaGrid.ceilDiv;
import static dev.lathe.core.cuda.CudaGrid.gridStride;

import dev.lathe.bindings.cuda.KernelArgs;
import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AdamWHyper;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.BackendChecks;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.DropoutMask;
import dev.lathe.core.backend.UnaryOp;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;

/**
 * The GPU backend: the core kernels (core/src/main/cuda, launch contract in KERNELS.md there) and cuBLAS GEMMs,
 * all queued on one stream of one device ({@link CudaContext}), memory from a caching allocator
 * ({@link CudaAllocator}). Calls return once their work is queued; a result read on the host (a copy to a CPU
 * tensor, {@link #sum}) waits for the stream. Argument checks are the CPU backend's ({@link BackendChecks}), after
 * {@link CudaChecks}' device ones.
 */
public final class CudaBackend implements Backend {
    private static volatile CudaBackend instance;
    private static volatile String unavailable;
    private static volatile boolean probed;

    private final CudaContext ctx;
    private final CudaAllocator allocator;
    private final CudaModules modules;
    private final CudaAttention attention;

    private CudaBackend(CudaContext ctx) {
        this.ctx = ctx;
        this.allocator = new CudaAllocator(ctx.deviceMemory());
        this.modules = new CudaModules(ctx);
        this.attention = new CudaAttention(this);
    }

    /** The process-wide backend on the device {@code LATHE_CUDA_DEVICE} (default 0), started on first call. */
    public static CudaBackend get() {
        CudaBackend b = instance;
        if (b != null) return b;
        synchronized (CudaBackend.class) {
            if (instance == null) {
                String why = unavailableReason();
                if (why != null) throw new IllegalStateException("no usable CUDA device: " + why);
                instance = new CudaBackend(CudaContext.open());
            }
            return instance;
        }
    }

    /** Null when a CUDA device can be used, else why not. Never throws; probes once per process. */
    public static String unavailableReason() {
        if (probed) return unavailable;
        synchronized (CudaBackend.class) {
            if (!probed) {
                unavailable = CudaProbe.reason();
                probed = true;
            }
            return unavailable;
        }
    }

    /** F32 GEMMs on TF32 tensor cores (true) or exact F32 products (false, the default); process-wide. */
    @Override
    public void setTf32(boolean allow) {
        CudaGemm.setPrecision(allow ? "tf32" : "fp32");
    }

    /** The stream every kernel, copy and GEMM of this backend is queued on; the context is made current first. */
    MemorySegment stream() {
        ctx.enter();
        return ctx.stream;
    }

    /** The caching allocator (statistics, {@link CudaAllocator#emptyCache()}). */
    public CudaAllocator allocator() {
        return allocator;
    }

    /** Waits until every queued kernel and copy has finished (for timing). */
    @Override
    public void synchronize() {
        ctx.synchronize();
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "cuda (%s, sm_%d%d, %.1f GiB, device %d, matmul %s)", ctx.name, ctx.ccMajor,
                ctx.ccMinor, ctx.totalMemory / (double) (1L << 30), ctx.ordinal, CudaGemm.precision());
    }

    @Override
    public Storage allocate(long bytes) {
        return allocator.allocate(bytes);
    }

    @Override
    public DType computeType(DType storage) {
        return storage == DType.BF16 || storage == DType.F16 ? storage : DType.F32;
    }

    /** Launches on the stream (see {@link CudaLaunch#launch}); an empty grid launches nothing. */
    void launch(CudaLaunch.Kernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                Object... args) {
        if (gridX == 0 || gridY == 0 || gridZ == 0) return;
        MemorySegment function = modules.function(kernel);
        ctx.enter();
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs packed = CudaLaunch.pack(arena, args);
            ctx.cu.launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, 0, ctx.stream, packed);
        }
    }

    /** A grid-stride launch over n elements (block 256). */
    private void launchElements(CudaLaunch.Kernel kernel, long n, Object... args) {
        launch(kernel, gridStride(n), 1, 1, BLOCK, 1, 1, args);
    }

    /** Device scratch memory for one call; its address goes to kernels as a Long (a 64-bit pointer slot). */
    Storage scratch(long bytes) {
        return allocator.allocate(bytes);
    }

    // ---------------------------------------------------------------- data movement

    @Override
    public void copy(Tensor src, Tensor dst) {
        sameShape(src, dst);
        writable(dst);
        long n = src.numel();
        if (src.device() != dst.device()) {
            transfer(src, dst);
            return;
        }
        onDevice(src, dst);
        if (n == 0) return;
        if (src.isTransposed()) {
            if (src.dtype().bytes() != 4 || dst.dtype() != src.dtype()) {
                throw new IllegalArgumentException("transposed copy needs equal 4-byte dtypes, got " + src + " -> " + dst);
            }
            // logical [batch, rows, cols]; memory [batch, cols, rows]: (b, i, j) at b·rows·cols + j·rows + i
            int cols = src.dim(-1), rows = src.dim(-2);
            int batch = Math.toIntExact(n / ((long) rows * cols));
            launchElements(CoreKernels.COPY_STRIDED, n, src, dst, n, batch, rows, cols,
                    0L, (long) rows * cols, 1L, (long) rows);
        } else if (src.dtype() == dst.dtype()) {
            ctx.enter();
            ctx.cu.memcpyDtoDAsync(CudaLaunch.pointer(dst), CudaLaunch.pointer(src), n * src.dtype().bytes(), ctx.stream);
        } else {
            launchElements(conversion(src.dtype(), dst.dtype()), n, src, dst, n);
        }
    }

    private static CudaLaunch.Kernel conversion(DType from, DType to) {
        if (from == DType.F32 && to == DType.BF16) return CoreKernels.F32_TO_BF16;
        if (from == DType.BF16 && to == DType.F32) return CoreKernels.BF16_TO_F32;
        if (from == DType.F32 && to == DType.F16) return CoreKernels.F32_TO_F16;
        if (from == DType.F16 && to == DType.F32) return CoreKernels.F16_TO_F32;
        throw new IllegalArgumentException("no conversion " + from + " -> " + to);
    }

    /** Host to device (synchronous copy, ordered after the stream) or device to host (waits for the stream). */
    private void transfer(Tensor src, Tensor dst) {
        if (src.isTransposed() || src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("a host/device copy needs row-major tensors of one dtype: " + src + " -> " + dst);
        }
        long bytes = src.numel() * src.dtype().bytes();
        ctx.enter();
        if (src.device() == Device.CPU && dst.device() == Device.CUDA) {
            if (bytes > 0) ctx.cu.memcpyHtoD(CudaLaunch.pointer(dst), src.segment(), bytes);
        } else if (src.device() == Device.CUDA && dst.device() == Device.CPU) {
            if (bytes > 0) ctx.cu.memcpyDtoHAsync(dst.segment(), CudaLaunch.pointer(src), bytes, ctx.stream);
            ctx.cu.streamSynchronize(ctx.stream);
        } else {
            throw new IllegalArgumentException("copy between " + src.device() + " and " + dst.device() + " on the cuda backend");
        }
    }

    @Override
    public void fill(Tensor dst, float value) {
        onDevice(dst);
        writable(dst);
        long n = dst.numel();
        switch (dst.dtype()) {
            case F32 -> launchElements(CoreKernels.FILL_F32, n, dst, value, n);
            // the kernel's unsigned short parameter reads the low two bytes of the int slot (little-endian)
            case BF16 -> launchElements(CoreKernels.FILL_U16, n, dst, bf16Bits(value), n);
            case F16 -> launchElements(CoreKernels.FILL_U16, n, dst, Float.floatToFloat16(value) & 0xFFFF, n);
            case I32 -> throw new IllegalArgumentException("expected a float tensor, got " + dst);
        }
    }

    /** BF16 bits of a float, rounded to nearest even, NaN kept quiet (CpuConvert's rule). */
    static int bf16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x0040) & 0xFFFF;
        return ((bits + ((bits >>> 16) & 1) + 0x7fff) >>> 16) & 0xFFFF;
    }

    @Override
    public void zero(Tensor dst) {
        onDevice(dst);
        writable(dst);
        long bytes = dst.numel() * dst.dtype().bytes();
        if (bytes == 0) return;
        ctx.enter();
        ctx.cu.memsetD8Async(CudaLaunch.pointer(dst), (byte) 0, bytes, ctx.stream);
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        onDevice(a, b, c);
        CudaGemm.matmul(ctx, a, b, c, alpha, beta);
    }

    // ---------------------------------------------------------------- element-wise and reductions

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        onDevice(a, b, out);
        BackendChecks.binary(op, a, b, out);
        launchElements(CoreKernels.BINARY, a.numel(), op.ordinal(), a, b, out, a.numel(), b.numel());
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        onDevice(x, out);
        elementwise(x, out);
        launchElements(CoreKernels.UNARY, x.numel(), op.ordinal(), x, out, x.numel());
    }

    @Override
    public void scale(Tensor x, float alpha, Tensor out) {
        onDevice(x, out);
        elementwise(x, out);
        launchElements(CoreKernels.SCALE, x.numel(), x, alpha, out, x.numel());
    }

    @Override
    public void addScalar(Tensor x, float s, Tensor out) {
        onDevice(x, out);
        elementwise(x, out);
        launchElements(CoreKernels.ADD_SCALAR, x.numel(), x, s, out, x.numel());
    }

    @Override
    public void dropout(Tensor x, float p, long seed, Tensor out) {
        onDevice(x, out);
        elementwise(x, out);
        launchElements(CoreKernels.DROPOUT, x.numel(), x, out, x.numel(), seed, DropoutMask.threshold(p),
                DropoutMask.keptScale(p));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        onDevice(x, y);
        elementwise(x, y);
        launchElements(CoreKernels.AXPY, x.numel(), alpha, x, y, x.numel());
    }

    @Override
    public double sum(Tensor x) {
        return reduce(x, 0);
    }

    @Override
    public double sumSquares(Tensor x) {
        return reduce(x, 1);
    }

    /** Per-block partial sums in double, one block adding them, the double copied back. */
    private double reduce(Tensor x, int squares) {
        onDevice(x);
        f32(x);
        long n = x.numel();
        if (n == 0) return 0;
        int partials = CudaGrid.reducePartials(n);
        try (var scope = new ScratchSet(this); Arena arena = Arena.ofConfined()) {
            long part = scope.take((long) partials * Double.BYTES), total = scope.take(Double.BYTES);
            launch(CoreKernels.SUM_PARTIALS, partials, 1, 1, BLOCK, 1, 1, x, n, squares, part);
            launch(CoreKernels.SUM_FINAL, 1, 1, 1, 1024, 1, 1, part, partials, total);
            MemorySegment host = arena.allocate(ValueLayout.JAVA_DOUBLE);
            ctx.cu.memcpyDtoHAsync(host, total, Double.BYTES, ctx.stream);
            ctx.cu.streamSynchronize(ctx.stream);
            return host.get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }

    @Override
    public void sumRows(Tensor x, Tensor out) {
        onDevice(x, out);
        BackendChecks.sumRows(x, out);
        int c = Math.toIntExact(out.numel());
        int rows = Math.toIntExact(x.numel() / c);
        launch(CoreKernels.SUM_ROWS, ceilDiv(c, 32), 1, 1, 32, 8, 1, x, out, rows, c);
    }

    @Override
    public void rowSum(Tensor x, Tensor out) {
        onDevice(x, out);
        BackendChecks.rowSum(x, out);
        int rows = Math.toIntExact(out.numel());
        int c = Math.toIntExact(x.numel() / rows);
        launch(CoreKernels.ROW_SUM, ceilDiv(rows, 8), 1, 1, BLOCK, 1, 1, x, out, rows, c);
    }

    // ---------------------------------------------------------------- normalisation and activations

    @Override
    public void softmaxForward(Tensor x, Tensor out) {
        onDevice(x, out);
        rowwise(x, out);
        launch(CoreKernels.SOFTMAX_FORWARD, rows(x), 1, 1, BLOCK, 1, 1, x, out, x.dim(-1));
    }

    @Override
    public void softmaxBackward(Tensor out, Tensor dout, Tensor dx) {
        onDevice(out, dout, dx);
        rowwise(out, dout, dx);
        launch(CoreKernels.SOFTMAX_BACKWARD, rows(out), 1, 1, BLOCK, 1, 1, out, dout, dx, out.dim(-1));
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor out, Tensor mean, Tensor rstd) {
        onDevice(x, gamma, beta, out, mean, rstd);
        BackendChecks.layerNorm(x, gamma, beta, out, mean, rstd);
        launch(CoreKernels.LAYERNORM_FORWARD, rows(x), 1, 1, BLOCK, 1, 1, x, gamma, beta, eps, out, mean, rstd, x.dim(-1));
    }

    @Override
    public void layerNormBackward(Tensor dout, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        onDevice(dout, x, gamma, mean, rstd, dx, dgamma, dbeta);
        BackendChecks.layerNormBackward(dout, x, gamma, mean, rstd, dx, dgamma, dbeta);
        int rows = rows(x), c = x.dim(-1);
        launch(CoreKernels.LAYERNORM_BACKWARD_INPUT, rows, 1, 1, BLOCK, 1, 1, dout, x, gamma, mean, rstd, dx, c);
        launch(CoreKernels.LAYERNORM_BACKWARD_PARAMS, ceilDiv(c, 32), 1, 1, 32, 8, 1, dout, x, mean, rstd, dgamma, dbeta,
                rows, c);
    }

    @Override
    public void rmsNormForward(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
        onDevice(x, weight, out, rstd);
        BackendChecks.rmsNorm(x, weight, out, rstd);
        launch(CoreKernels.RMSNORM_FORWARD, rows(x), 1, 1, BLOCK, 1, 1, x, weight, eps, out, rstd, x.dim(-1));
    }

    @Override
    public void rmsNormBackward(Tensor dout, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dweight) {
        onDevice(dout, x, weight, rstd, dx, dweight);
        BackendChecks.rmsNormBackward(dout, x, weight, rstd, dx, dweight);
        int rows = rows(x), c = x.dim(-1);
        launch(CoreKernels.RMSNORM_BACKWARD_INPUT, rows, 1, 1, BLOCK, 1, 1, dout, x, weight, rstd, dx, c);
        launch(CoreKernels.RMSNORM_BACKWARD_WEIGHT, ceilDiv(c, 32), 1, 1, 32, 8, 1, dout, x, rstd, dweight, rows, c);
    }

    @Override
    public void geluForward(Tensor x, Tensor out) {
        onDevice(x, out);
        rowwise(x, out);
        launchElements(CoreKernels.GELU_FORWARD, x.numel(), x, out, x.numel());
    }

    @Override
    public void geluBackward(Tensor x, Tensor dout, Tensor dx) {
        onDevice(x, dout, dx);
        rowwise(x, dout, dx);
        launchElements(CoreKernels.GELU_BACKWARD, x.numel(), x, dout, dx, x.numel());
    }

    @Override
    public void siluForward(Tensor x, Tensor out) {
        onDevice(x, out);
        rowwise(x, out);
        launchElements(CoreKernels.SILU_FORWARD, x.numel(), x, out, x.numel());
    }

    @Override
    public void siluBackward(Tensor x, Tensor dout, Tensor dx) {
        onDevice(x, dout, dx);
        rowwise(x, dout, dx);
        launchElements(CoreKernels.SILU_BACKWARD, x.numel(), x, dout, dx, x.numel());
    }

    @Override
    public void rotary(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        onDevice(x, cos, sin, out);
        BackendChecks.rotary(x, cos, sin, out);
        int half = cos.dim(-1);
        launch(CoreKernels.ROTARY, rows(x), 1, 1, 128, 1, 1, x, cos, sin, out, x.dim(-1) / (2 * half), half,
                inverse ? -1f : 1f);
    }

    // ---------------------------------------------------------------- embedding, attention, loss

    @Override
    public void embeddingForward(Tensor ids, Tensor table, Tensor out) {
        onDevice(ids, table, out);
        BackendChecks.embedding(ids, table, out);
        int n = Math.toIntExact(ids.numel()), c = table.dim(-1);
        launch(CoreKernels.EMBEDDING_FORWARD, n, 1, 1, 128, 1, 1, ids, table, out, c);
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable, boolean accumulate) {
        onDevice(ids, dout, dtable);
        BackendChecks.embeddingBackward(ids, dout, dtable);
        int n = Math.toIntExact(ids.numel()), c = dtable.dim(-1);
        if (!accumulate) zero(dtable); // the kernel adds rows atomically
        launch(CoreKernels.EMBEDDING_BACKWARD, n, 1, 1, 128, 1, 1, ids, dout, dtable, c);
    }

    @Override
    public void attentionForward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                                 Tensor out, Tensor lse) {
        attention.forward(s, q, k, v, keyMask, documents, out, lse);
    }

    @Override
    public void attentionBackward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                                  Tensor out, Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        attention.backward(s, q, k, v, keyMask, documents, out, lse, dout, dq, dk, dv);
    }

    @Override
    public void attentionDecode(AttentionSpec s, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache,
                                Tensor keyMask, Tensor out) {
        attention.decode(s, len, maxLen, q, kCache, vCache, keyMask, out);
    }

    @Override
    public void crossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor lse) {
        onDevice(logits, targets, losses, lse);
        BackendChecks.crossEntropy(logits, targets, losses, lse);
        int n = rows(logits);
        launch(CoreKernels.CROSS_ENTROPY_FORWARD, n, 1, 1, BLOCK, 1, 1, logits, targets, ignoreIndex, losses, lse,
                logits.dim(-1));
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dlosses,
                                     Tensor dlogits) {
        onDevice(logits, targets, lse, dlosses, dlogits);
        BackendChecks.crossEntropyBackward(logits, targets, lse, dlosses, dlogits);
        int n = rows(logits);
        launch(CoreKernels.CROSS_ENTROPY_BACKWARD, n, 1, 1, BLOCK, 1, 1, logits, targets, ignoreIndex, lse, dlosses,
                dlogits, logits.dim(-1));
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        checkAdamW(param, grad, m, v, h);
        applyGradScale(List.of(grad), h);
        AdamWConstants c = AdamWConstants.of(h);
        long n = param.numel();
        launchElements(CoreKernels.ADAMW_STEP, n, param, grad, m, v, n, h.beta1(), h.beta2(), h.eps(), c.decay(), c.stepSize(),
                c.bc2Sqrt());
    }

    /**
     * All parameters in one {@code adamw_multi} launch per 65535 tensors (grid.y = tensor): the four pointer arrays
     * and the sizes go to a device scratch buffer first (a synchronous copy, ordered after the stream's work).
     */
    @Override
    public void adamwSteps(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, AdamWHyper h) {
        for (int i = 0; i < params.size(); i++) checkAdamW(params.get(i), grads.get(i), ms.get(i), vs.get(i), h);
        applyGradScale(grads, h);
        AdamWConstants c = AdamWConstants.of(h);
        for (int from = 0; from < params.size(); from += MAX_GRID_YZ) {
            int count = Math.min(MAX_GRID_YZ, params.size() - from);
            long maxN = 0;
            try (var scratch = new ScratchSet(this); Arena arena = Arena.ofConfined()) {
                // [params | grads | ms | vs | sizes], count 8-byte entries each
                MemorySegment table = arena.allocate(ValueLayout.JAVA_LONG, 5L * count);
                for (int i = 0; i < count; i++) {
                    int t = from + i;
                    table.setAtIndex(ValueLayout.JAVA_LONG, i, CudaLaunch.pointer(params.get(t)));
                    table.setAtIndex(ValueLayout.JAVA_LONG, count + i, CudaLaunch.pointer(grads.get(t)));
                    table.setAtIndex(ValueLayout.JAVA_LONG, 2L * count + i, CudaLaunch.pointer(ms.get(t)));
                    table.setAtIndex(ValueLayout.JAVA_LONG, 3L * count + i, CudaLaunch.pointer(vs.get(t)));
                    table.setAtIndex(ValueLayout.JAVA_LONG, 4L * count + i, params.get(t).numel());
                    maxN = Math.max(maxN, params.get(t).numel());
                }
                long device = scratch.take(table.byteSize());
                ctx.enter();
                ctx.cu.memcpyHtoD(device, table, table.byteSize());
                long slot = 8L * count;
                launch(CoreKernels.ADAMW_MULTI, Math.min(gridStride(maxN), 1024), count, 1, BLOCK, 1, 1, device,
                        device + slot, device + 2 * slot, device + 3 * slot, device + 4 * slot, count, h.beta1(),
                        h.beta2(), h.eps(), c.decay(), c.stepSize(), c.bc2Sqrt());
            }
        }
    }

    /**
     * grad *= gradScale in place before the update kernels, which read the gradient as it is: on a GPU the extra
     * pass is cheap next to the CPU's, where the scale is fused into the update.
     */
    private void applyGradScale(List<Tensor> grads, AdamWHyper h) {
        if (h.gradScale() == 1f) return;
        for (Tensor g : grads) scale(g, h.gradScale(), g);
    }

    private static void checkAdamW(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        onDevice(param, grad, m, v);
        BackendChecks.adamw(param, grad, m, v, h);
    }

    /** The step's constants in double, as CpuAdamW (and PyTorch with Python floats) computes them. */
    private record AdamWConstants(float decay, float stepSize, float bc2Sqrt) {
        static AdamWConstants of(AdamWHyper h) {
            return new AdamWConstants((float) (1 - (double) h.lr() * h.weightDecay()),
                    (float) (h.lr() / (1 - Math.pow(h.beta1(), h.step()))),
                    (float) Math.sqrt(1 - Math.pow(h.beta2(), h.step())));
        }
    }
}
