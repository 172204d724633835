package dev.lathe.core.backend;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU kernels behind a device boundary: tensors it allocates are {@link Device#CUDA} tensors whose memory
 * the host may not read ({@link Tensor#segment()} refuses them), and every op refuses a host tensor where a
 * device one is due, as the real GPU backend must. Installed with {@link Backends#install}, it lets a machine
 * without a GPU run — and test — every device code path above the Backend SPI: tensor placement, host/device
 * transfers, models and trainers moved to the device. Results equal the CPU backend's bit for bit.
 */
public final class EmulatedDeviceBackend implements Backend {
    private final Backend cpu = Backends.cpu();
    private final AtomicLong liveBytes = new AtomicLong();

    @Override
    public String name() {
        return "emulated-cuda";
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    @Override
    public String describe() {
        return "emulated device (cpu kernels behind a device boundary)";
    }

    /** Bytes of device memory allocated and not yet freed. */
    public long liveBytes() {
        return liveBytes.get();
    }

    @Override
    public Storage allocate(long bytes) {
        MemorySegment seg = HostAllocator.allocate(bytes);
        liveBytes.addAndGet(bytes);
        return new Storage(seg, Device.CUDA, () -> {
            liveBytes.addAndGet(-bytes);
            HostAllocator.free(seg);
        });
    }

    /** Host views of device tensors for one call; closed after it. */
    private static final class Views implements AutoCloseable {
        private final List<Tensor> made = new ArrayList<>();

        Tensor of(Tensor t) {
            if (t == null) return null;
            if (t.device() != Device.CUDA) throw new IllegalArgumentException("a " + t.device() + " tensor passed to the device backend: " + t);
            return host(t);
        }

        /** Either side of a transfer. */
        Tensor any(Tensor t) {
            return t.device() == Device.CPU ? t : host(t);
        }

        private Tensor host(Tensor t) {
            int[] shape = t.shape();
            if (t.isTransposed()) { // memory holds the last two dims swapped
                int r = shape.length - 2;
                int tmp = shape[r];
                shape[r] = shape[r + 1];
                shape[r + 1] = tmp;
            }
            Tensor v = Tensor.wrap(new Storage(t.storage().segment(), Device.CPU, () -> {}), t.offset(), t.dtype(), shape);
            made.add(v);
            if (!t.isTransposed()) return v;
            Tensor tv = v.detach().t();
            made.add(tv);
            return tv;
        }

        @Override
        public void close() {
            for (Tensor t : made) t.close();
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        try (Views v = new Views()) {
            if (src.device() != dst.device() && (src.isTransposed() || src.dtype() != dst.dtype())) {
                throw new IllegalArgumentException("a host/device copy needs row-major tensors of one dtype: " + src + " -> " + dst);
            }
            cpu.copy(v.any(src), v.any(dst));
        }
    }

    @Override
    public void fill(Tensor dst, float value) {
        try (Views v = new Views()) {
            cpu.fill(v.of(dst), value);
        }
    }

    @Override
    public void zero(Tensor dst) {
        try (Views v = new Views()) {
            cpu.zero(v.of(dst));
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        try (Views v = new Views()) {
            cpu.matmul(v.of(a), v.of(b), v.of(c), alpha, beta);
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        try (Views v = new Views()) {
            cpu.binary(op, v.of(a), v.of(b), v.of(out));
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        try (Views v = new Views()) {
            cpu.unary(op, v.of(x), v.of(out));
        }
    }

    @Override
    public void scale(Tensor x, float alpha, Tensor out) {
        try (Views v = new Views()) {
            cpu.scale(v.of(x), alpha, v.of(out));
        }
    }

    @Override
    public void addScalar(Tensor x, float s, Tensor out) {
        try (Views v = new Views()) {
            cpu.addScalar(v.of(x), s, v.of(out));
        }
    }

    @Override
    public void dropout(Tensor x, float p, long seed, Tensor out) {
        try (Views v = new Views()) {
            cpu.dropout(v.of(x), p, seed, v.of(out));
        }
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        try (Views v = new Views()) {
            cpu.axpy(alpha, v.of(x), v.of(y));
        }
    }

    @Override
    public double sum(Tensor x) {
        try (Views v = new Views()) {
            return cpu.sum(v.of(x));
        }
    }

    @Override
    public double sumSquares(Tensor x) {
        try (Views v = new Views()) {
            return cpu.sumSquares(v.of(x));
        }
    }

    @Override
    public void sumRows(Tensor x, Tensor out) {
        try (Views v = new Views()) {
            cpu.sumRows(v.of(x), v.of(out));
        }
    }

    @Override
    public void rowSum(Tensor x, Tensor out) {
        try (Views v = new Views()) {
            cpu.rowSum(v.of(x), v.of(out));
        }
    }

    @Override
    public void softmaxForward(Tensor x, Tensor out) {
        try (Views v = new Views()) {
            cpu.softmaxForward(v.of(x), v.of(out));
        }
    }

    @Override
    public void softmaxBackward(Tensor out, Tensor dout, Tensor dx) {
        try (Views v = new Views()) {
            cpu.softmaxBackward(v.of(out), v.of(dout), v.of(dx));
        }
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor out, Tensor mean, Tensor rstd) {
        try (Views v = new Views()) {
            cpu.layerNormForward(v.of(x), v.of(gamma), v.of(beta), eps, v.of(out), v.of(mean), v.of(rstd));
        }
    }

    @Override
    public void layerNormBackward(Tensor dout, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx,
                                  Tensor dgamma, Tensor dbeta) {
        try (Views v = new Views()) {
            cpu.layerNormBackward(v.of(dout), v.of(x), v.of(gamma), v.of(mean), v.of(rstd), v.of(dx), v.of(dgamma),
                    v.of(dbeta));
        }
    }

    @Override
    public void rmsNormForward(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
        try (Views v = new Views()) {
            cpu.rmsNormForward(v.of(x), v.of(weight), eps, v.of(out), v.of(rstd));
        }
    }

    @Override
    public void rmsNormBackward(Tensor dout, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dweight) {
        try (Views v = new Views()) {
            cpu.rmsNormBackward(v.of(dout), v.of(x), v.of(weight), v.of(rstd), v.of(dx), v.of(dweight));
        }
    }

    @Override
    public void geluForward(Tensor x, Tensor out) {
        try (Views v = new Views()) {
            cpu.geluForward(v.of(x), v.of(out));
        }
    }

    @Override
    public void geluBackward(Tensor x, Tensor dout, Tensor dx) {
        try (Views v = new Views()) {
            cpu.geluBackward(v.of(x), v.of(dout), v.of(dx));
        }
    }

    @Override
    public void siluForward(Tensor x, Tensor out) {
        try (Views v = new Views()) {
            cpu.siluForward(v.of(x), v.of(out));
        }
    }

    @Override
    public void siluBackward(Tensor x, Tensor dout, Tensor dx) {
        try (Views v = new Views()) {
            cpu.siluBackward(v.of(x), v.of(dout), v.of(dx));
        }
    }

    @Override
    public void rotary(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        try (Views v = new Views()) {
            cpu.rotary(v.of(x), v.of(cos), v.of(sin), inverse, v.of(out));
        }
    }

    @Override
    public void embeddingForward(Tensor ids, Tensor table, Tensor out) {
        try (Views v = new Views()) {
            cpu.embeddingForward(v.of(ids), v.of(table), v.of(out));
        }
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable, boolean accumulate) {
        try (Views v = new Views()) {
            cpu.embeddingBackward(v.of(ids), v.of(dout), v.of(dtable), accumulate);
        }
    }

    @Override
    public void attentionForward(AttentionSpec spec, Tensor q, Tensor k, Tensor vv, Tensor keyMask, Tensor documents,
                                 Tensor out, Tensor lse) {
        try (Views v = new Views()) {
            cpu.attentionForward(spec, v.of(q), v.of(k), v.of(vv), v.of(keyMask), v.of(documents), v.of(out), v.of(lse));
        }
    }

    @Override
    public void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor vv, Tensor keyMask, Tensor documents,
                                  Tensor out, Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        try (Views v = new Views()) {
            cpu.attentionBackward(spec, v.of(q), v.of(k), v.of(vv), v.of(keyMask), v.of(documents), v.of(out), v.of(lse),
                    v.of(dout), v.of(dq), v.of(dk), v.of(dv));
        }
    }

    @Override
    public void attentionDecode(AttentionSpec spec, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache,
                                Tensor keyMask, Tensor out) {
        try (Views v = new Views()) {
            cpu.attentionDecode(spec, len, maxLen, v.of(q), v.of(kCache), v.of(vCache), v.of(keyMask), v.of(out));
        }
    }

    @Override
    public void crossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor lse) {
        try (Views v = new Views()) {
            cpu.crossEntropyForward(v.of(logits), v.of(targets), ignoreIndex, v.of(losses), v.of(lse));
        }
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dlosses,
                                     Tensor dlogits) {
        try (Views v = new Views()) {
            cpu.crossEntropyBackward(v.of(logits), v.of(targets), ignoreIndex, v.of(lse), v.of(dlosses), v.of(dlogits));
        }
    }

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor vv, AdamWHyper hyper) {
        try (Views v = new Views()) {
            cpu.adamwStep(v.of(param), v.of(grad), v.of(m), v.of(vv), hyper);
        }
    }

    @Override
    public DType computeType(DType storage) {
        return cpu.computeType(storage);
    }
}
