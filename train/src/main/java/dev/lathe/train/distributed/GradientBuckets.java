package dev.lathe.train.distributed;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Autograd;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Sums the parameters' gradients over the ranks in buckets, as PyTorch's DDP does: parameters are grouped in
 * reverse registration order (roughly the order backward completes them) into flat F32 buffers of about
 * {@code bucketBytes}; while {@link #overlap} is open, a bucket is copied out and its all-reduce started on the
 * communication thread as soon as autograd reports its last gradient final, so communication runs under the rest
 * of the backward pass. Buckets start strictly in index order, so every rank issues the same collectives in the
 * same order whatever its data. {@link #finish} starts what is left, waits, and writes the sums back. The buffers
 * live on the parameters' device: on a GPU, gradients are copied, summed (buckets started together form one
 * group of collectives) and written back by device kernels, never through the host.
 */
public final class GradientBuckets implements AutoCloseable {
    /** DDP's default bucket size. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final World world;
    private final Device device;
    private final List<Bucket> buckets = new ArrayList<>();
    private final Map<Tensor, Bucket> bucketOf = new IdentityHashMap<>();
    private int launched;
    private long communicationNanos;

    private static final class Bucket {
        final List<Tensor> params = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        Tensor flat; // [elements] F32 on the parameters' device
        int elements;
        int ready;
        CompletableFuture<Void> reduced;
    }

    public GradientBuckets(World world, List<Tensor> params, long bucketBytes) {
        this.world = world;
        this.device = params.isEmpty() ? Device.CPU : params.getFirst().device();
        Bucket current = null;
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            if (p.dtype() != DType.F32) throw new IllegalArgumentException("trainable parameters must be F32, got " + p);
            if (p.device() != device) throw new IllegalArgumentException("parameters on " + device + " and " + p.device());
            if (current == null || (current.elements > 0 && 4L * (current.elements + p.numel()) > bucketBytes)) {
                current = new Bucket();
                buckets.add(current);
            }
            current.params.add(p);
            current.offsets.add((long) current.elements);
            current.elements = Math.addExact(current.elements, Math.toIntExact(p.numel()));
            bucketOf.put(p, current);
        }
        for (Bucket b : buckets) b.flat = Scope.escape(() -> Tensor.empty(device, DType.F32, b.elements));
    }

    /** Number of buckets. */
    public int count() {
        return buckets.size();
    }

    /**
     * Starts buckets from the backward passes on this thread until closed: use around the last backward of a
     * step (earlier micro-batches only accumulate locally, as DDP's no_sync).
     */
    public Autograd.Listening overlap() {
        return Autograd.onLeafGradientReady(leaf -> {
            Bucket b = bucketOf.get(leaf);
            if (b == null) return;
            b.ready++;
            launchReady();
        });
    }

    /**
     * Starts the buckets not started yet, waits for all, and replaces each gradient by its sum over the ranks
     * times {@code scale} (a parameter no rank gave a gradient keeps none).
     */
    public void finish(double scale) {
        launch(buckets.size());
        long waitStart = System.nanoTime();
        for (Bucket b : buckets) b.reduced.join();
        communicationNanos += System.nanoTime() - waitStart;
        for (Bucket b : buckets) {
            for (int i = 0; i < b.params.size(); i++) {
                if (device == Device.CPU) writeBackHost(b, i, scale);
                else writeBackDevice(b, i, scale);
            }
            b.ready = 0;
            b.reduced = null;
        }
        launched = 0;
    }

    private void writeBackHost(Bucket b, int i, double scale) {
        Tensor p = b.params.get(i);
        long n = p.numel();
        MemorySegment sum = b.flat.segment().asSlice(4L * b.offsets.get(i), 4L * n);
        if (p.grad() == null) {
            if (allZero(sum, n)) return;
            p.setGrad(Scope.escape(() -> Tensor.zeros(p.shape())));
        }
        MemorySegment g = p.grad().segment();
        if (scale == 1) {
            MemorySegment.copy(sum, 0, g, 0, 4L * n);
            return;
        }
        for (long j = 0; j < n; j++) {
            g.setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) (sum.getAtIndex(ValueLayout.JAVA_FLOAT, j) * scale));
        }
    }

    private void writeBackDevice(Bucket b, int i, double scale) {
        Tensor p = b.params.get(i);
        Backend backend = Backends.of(device);
        try (Tensor sum = slot(b, i)) {
            if (p.grad() == null) {
                if (backend.sumSquares(sum) == 0) return;
                p.setGrad(Scope.escape(() -> Tensor.empty(device, DType.F32, p.shape())));
            }
            if (scale == 1) backend.copy(sum, p.grad());
            else backend.scale(sum, (float) scale, p.grad());
        }
    }

    /** Parameter {@code i}'s part of its bucket's buffer, shaped as the parameter: a view, closed by the caller. */
    private static Tensor slot(Bucket b, int i) {
        b.flat.storage().retain();
        return Tensor.wrap(b.flat.storage(), b.flat.offset() + b.offsets.get(i), DType.F32, b.params.get(i).shape());
    }

    /** Time the compute thread spent waiting for all-reduces in {@link #finish} so far (communication not hidden). */
    public long exposedCommunicationNanos() {
        return communicationNanos;
    }

    private void launchReady() {
        int end = launched;
        while (end < buckets.size() && buckets.get(end).ready == buckets.get(end).params.size()) end++;
        launch(end);
    }

    /** Copies the gradients of buckets [launched, end) into their buffers and starts their sums as one group. */
    private void launch(int end) {
        if (end == launched) return;
        List<Tensor> flats = new ArrayList<>();
        for (int k = launched; k < end; k++) {
            Bucket b = buckets.get(k);
            for (int i = 0; i < b.params.size(); i++) {
                if (device == Device.CPU) copyInHost(b, i);
                else copyInDevice(b, i);
            }
            flats.add(b.flat);
        }
        CompletableFuture<Void> reduced = world.allReduceSumAsync(flats);
        for (int k = launched; k < end; k++) buckets.get(k).reduced = reduced;
        launched = end;
    }

    private static void copyInHost(Bucket b, int i) {
        Tensor p = b.params.get(i);
        long bytes = 4L * p.numel();
        MemorySegment dst = b.flat.segment().asSlice(4L * b.offsets.get(i), bytes);
        if (p.grad() == null) dst.fill((byte) 0);
        else MemorySegment.copy(p.grad().segment(), 0, dst, 0, bytes);
    }

    private void copyInDevice(Bucket b, int i) {
        Tensor p = b.params.get(i);
        Backend backend = Backends.of(device);
        try (Tensor dst = slot(b, i)) {
            if (p.grad() == null) backend.zero(dst);
            else backend.copy(p.grad(), dst);
        }
    }

    private static boolean allZero(MemorySegment s, long n) {
        for (long j = 0; j < n; j++) if (s.getAtIndex(ValueLayout.JAVA_FLOAT, j) != 0f) return false;
        return true;
    }

    @Override
    public void close() {
        for (Bucket b : buckets) b.flat.close();
    }
}
