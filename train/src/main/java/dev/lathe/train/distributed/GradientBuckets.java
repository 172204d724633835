package dev.lathe.train.distributed;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Autograd;
import java.lang.foreign.Arena;
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
 * same order whatever its data. {@link #finish} starts what is left, waits, and writes the sums back.
 */
public final class GradientBuckets implements AutoCloseable {
    /** DDP's default bucket size. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final World world;
    private final Arena arena = Arena.ofShared();
    private final List<Bucket> buckets = new ArrayList<>();
    private final Map<Tensor, Bucket> bucketOf = new IdentityHashMap<>();
    private int launched;
    private long communicationNanos;

    private static final class Bucket {
        final List<Tensor> params = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        MemorySegment flat;
        int elements;
        int ready;
        CompletableFuture<Void> reduced;
    }

    public GradientBuckets(World world, List<Tensor> params, long bucketBytes) {
        this.world = world;
        Bucket current = null;
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            if (p.dtype() != DType.F32) throw new IllegalArgumentException("trainable parameters must be F32, got " + p);
            if (current == null || (current.elements > 0 && 4L * (current.elements + p.numel()) > bucketBytes)) {
                current = new Bucket();
                buckets.add(current);
            }
            current.params.add(p);
            current.offsets.add((long) current.elements);
            current.elements = Math.addExact(current.elements, Math.toIntExact(p.numel()));
            bucketOf.put(p, current);
        }
        for (Bucket b : buckets) b.flat = arena.allocate(4L * b.elements, 64);
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
        while (launched < buckets.size()) launch(buckets.get(launched++));
        long waitStart = System.nanoTime();
        for (Bucket b : buckets) b.reduced.join();
        communicationNanos += System.nanoTime() - waitStart;
        for (Bucket b : buckets) {
            for (int i = 0; i < b.params.size(); i++) {
                Tensor p = b.params.get(i);
                long n = p.numel();
                MemorySegment sum = b.flat.asSlice(4L * b.offsets.get(i), 4L * n);
                if (p.grad() == null) {
                    if (allZero(sum, n)) continue;
                    p.setGrad(Scope.escape(() -> Tensor.zeros(p.shape())));
                }
                MemorySegment g = p.grad().segment();
                if (scale == 1) {
                    MemorySegment.copy(sum, 0, g, 0, 4L * n);
                    continue;
                }
                for (long j = 0; j < n; j++) {
                    g.setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) (sum.getAtIndex(ValueLayout.JAVA_FLOAT, j) * scale));
                }
            }
            b.ready = 0;
            b.reduced = null;
        }
        launched = 0;
    }

    /** Time the compute thread spent waiting for all-reduces in {@link #finish} so far (communication not hidden). */
    public long exposedCommunicationNanos() {
        return communicationNanos;
    }

    private void launchReady() {
        while (launched < buckets.size() && buckets.get(launched).ready == buckets.get(launched).params.size()) {
            launch(buckets.get(launched++));
        }
    }

    private void launch(Bucket b) {
        for (int i = 0; i < b.params.size(); i++) {
            Tensor p = b.params.get(i);
            long bytes = 4L * p.numel();
            MemorySegment dst = b.flat.asSlice(4L * b.offsets.get(i), bytes);
            if (p.grad() == null) dst.fill((byte) 0);
            else MemorySegment.copy(p.grad().segment(), 0, dst, 0, bytes);
        }
        b.reduced = world.allReduceSumAsync(b.flat, b.elements);
    }

    private static boolean allZero(MemorySegment s, long n) {
        for (long j = 0; j < n; j++) if (s.getAtIndex(ValueLayout.JAVA_FLOAT, j) != 0f) return false;
        return true;
    }

    @Override
    public void close() {
        arena.close();
    }
}
