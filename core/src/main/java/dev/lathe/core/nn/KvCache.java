package dev.lathe.core.nn;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.Devices;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Keys and values of every attention layer for the positions generated so far: per layer a K and a V buffer
 * [B, maxLen, kvHeads*headDim] on the model's device, allocated once outside any scope and freed by {@link #close()}.
 *
 * <p>A generation step appends its Tq new positions to each layer ({@link #append}), each layer attends over
 * {@link #filled(int)} positions, and {@link #advance} then commits the step: {@link #length()} counts the
 * positions every layer holds. Row b's position s is column s of every row, so left-padded prompts keep their
 * padding as cache positions, excluded by the attention's key mask.
 */
public final class KvCache implements AutoCloseable {
    private final int batch, maxLen, kvHeads, headDim;
    private final Tensor[] keys, values;
    private final int[] filled; // positions written per layer: length, or length + Tq after this step's append
    private int length;
    private boolean closed;

    /** A host cache. */
    public KvCache(int layers, int batch, int maxLen, int kvHeads, int headDim) {
        this(Device.CPU, layers, batch, maxLen, kvHeads, headDim);
    }

    /** A cache whose buffers live on {@code device}, where the model's keys and values are computed. */
    public KvCache(Device device, int layers, int batch, int maxLen, int kvHeads, int headDim) {
        if (layers <= 0 || batch <= 0 || maxLen <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("KV cache sizes must be positive: layers=" + layers + " batch=" + batch
                    + " maxLen=" + maxLen + " kvHeads=" + kvHeads + " headDim=" + headDim);
        }
        this.batch = batch;
        this.maxLen = maxLen;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        this.filled = new int[layers];
        Scope.escape(() -> {
            for (int l = 0; l < layers; l++) {
                keys[l] = Tensor.zeros(device, DType.F32, batch, maxLen, width());
                values[l] = Tensor.zeros(device, DType.F32, batch, maxLen, width());
            }
            return null;
        });
    }

    public int layers() {
        return keys.length;
    }

    public int batch() {
        return batch;
    }

    public int maxLen() {
        return maxLen;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    /** Columns of one cached position: kvHeads * headDim. */
    public int width() {
        return kvHeads * headDim;
    }

    /** Positions committed by {@link #advance}: held by every layer. */
    public int length() {
        return length;
    }

    /** Positions layer holds now, including this step's append: the length its attention runs over. */
    public int filled(int layer) {
        return filled[checkLayer(layer)];
    }

    /** K buffer of a layer, [B, maxLen, width]; positions past {@link #filled(int)} are stale. */
    public Tensor keys(int layer) {
        return keys[checkLayer(layer)];
    }

    /** V buffer of a layer, [B, maxLen, width]. */
    public Tensor values(int layer) {
        return values[checkLayer(layer)];
    }

    /** Appends k and v, each [B, Tq, width], to layer at position {@link #filled(int)}. */
    public void append(int layer, Tensor k, Tensor v) {
        append(layer, k, 0, v, 0);
    }

    /**
     * Appends columns kCol .. kCol+width of k and vCol .. vCol+width of v, each [B, Tq, any width >= those
     * columns], to layer: GPT-2's packed q|k|v tensor goes in as (qkv, C, qkv, 2C) without a split copy.
     * No autograd: the cache holds values, not history.
     */
    public void append(int layer, Tensor k, int kCol, Tensor v, int vCol) {
        checkOpen();
        checkLayer(layer);
        int tq = steps(k, kCol, "k");
        if (steps(v, vCol, "v") != tq) throw new IllegalArgumentException("k " + k + " and v " + v + " differ in length");
        int at = filled[layer];
        if (at + tq > maxLen) {
            throw new IllegalStateException("KV cache full: layer " + layer + " holds " + at + " of " + maxLen
                    + " positions, cannot append " + tq + " more");
        }
        Devices.common("KvCache.append", keys[layer], k, v);
        copyRows(k, kCol, tq, keys[layer], at);
        copyRows(v, vCol, tq, values[layer], at);
        filled[layer] = at + tq;
    }

    /** Commits a step of tq positions: every layer must have appended exactly tq since the last commit. */
    public void advance(int tq) {
        checkOpen();
        for (int l = 0; l < filled.length; l++) {
            if (filled[l] != length + tq) {
                throw new IllegalStateException("advance(" + tq + ") at length " + length + ": layer " + l + " holds "
                        + filled[l] + " positions, expected " + (length + tq));
            }
        }
        length += tq;
    }

    /** Empties the cache for a new batch of prompts (the buffers are kept). */
    public void reset() {
        checkOpen();
        length = 0;
        Arrays.fill(filled, 0);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }

    /** Tq of a [B, Tq, width] source whose columns col .. col+width() are to be cached. */
    private int steps(Tensor src, int col, String name) {
        if (src.rank() != 3 || src.dim(0) != batch || src.dtype() != DType.F32 || src.isTransposed()
                || col < 0 || col + width() > src.dim(2)) {
            throw new IllegalArgumentException(name + " " + src + " at column " + col + " is not a contiguous F32 [" + batch
                    + ", Tq, >= " + (col + width()) + "] tensor");
        }
        return src.dim(1);
    }

    /** dst[b, at + t, :] = src[b, t, col .. col+width()] for every b and t < tq. */
    private void copyRows(Tensor src, int col, int tq, Tensor dst, int at) {
        if (dst.device() != Device.CPU) {
            copyRowsOnDevice(src, col, tq, dst, at);
            return;
        }
        MemorySegment from = src.segment(), to = dst.segment();
        long rowBytes = (long) width() * Float.BYTES, srcStride = (long) src.dim(2) * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tq; t++) {
                long srcOff = ((long) b * tq + t) * srcStride + (long) col * Float.BYTES;
                long dstOff = ((long) b * maxLen + at + t) * rowBytes;
                MemorySegment.copy(from, srcOff, to, dstOff, rowBytes);
            }
        }
    }

    /**
     * {@link #copyRows} through the backend, for memory the host cannot read: the columns are made a contiguous
     * [B, Tq, width] tensor (a transposed copy of [B·Tq, W], its rows col.. taken, transposed back) unless they
     * already are one, then each row b is one block copy into positions at .. at+tq.
     */
    private void copyRowsOnDevice(Tensor src, int col, int tq, Tensor dst, int at) {
        Backend be = Backends.of(dst);
        try (var noGrad = GradMode.off(); var temporaries = Scope.open()) {
            Tensor cols = src;
            if (col != 0 || src.dim(2) != width()) {
                Tensor byColumn = src.view(batch * tq, src.dim(2)).t().contiguous(); // [W, B·Tq]
                cols = byColumn.slice(col, col + width()).t().contiguous().view(batch, tq, width());
            }
            for (int b = 0; b < batch; b++) {
                Tensor from = cols.slice(b, b + 1).view(tq, width());
                Tensor to = dst.slice(b, b + 1).view(maxLen, width()).slice(at, at + tq);
                be.copy(from, to);
            }
        }
    }

    private int checkLayer(int layer) {
        if (layer < 0 || layer >= keys.length) {
            throw new IndexOutOfBoundsException("layer " + layer + " of a " + keys.length + "-layer KV cache");
        }
        return layer;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("KV cache used after close");
    }
}
