package dev.lathe.core;

import dev.lathe.core.autograd.Autograd;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

/**
 * A dense, row-major tensor over a block of {@link Storage}.
 *
 * <p>Views share storage and cost nothing: {@link #view} (reshape), {@link #slice} (a range of the first
 * dimension) and {@link #t} (swap the last two dimensions; a flag that GEMM reads as a transpose, while other
 * kernels ask for {@link #contiguous()}). A tensor is freed by {@link #close()}, by the {@link Scope} it was
 * created in, or — for parameters — by the module that owns it; never by the GC.
 */
public final class Tensor implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Storage storage; // replaced only by relocate()
    private long offset; // in elements
    private final int[] shape;
    private final DType dtype;
    private final boolean transposed; // storage holds shape with the last two dims swapped

    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private boolean closed;

    private Tensor(Storage storage, long offset, int[] shape, DType dtype, boolean transposed) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.dtype = dtype;
        this.transposed = transposed;
        Scope s = Scope.current();
        if (s != null) s.register(this);
    }

    // ---------------------------------------------------------------- creation

    /** Uninitialised host tensor. */
    public static Tensor empty(DType dtype, int... shape) {
        int[] sh = checkShape(shape);
        return new Tensor(Storage.host(numel(sh) * dtype.bytes()), 0, sh, dtype, false);
    }

    public static Tensor empty(int... shape) {
        return empty(DType.F32, shape);
    }

    /** Uninitialised tensor on {@code device} (memory from that device's backend). */
    public static Tensor empty(Device device, DType dtype, int... shape) {
        if (device == Device.CPU) return empty(dtype, shape);
        int[] sh = checkShape(shape);
        return new Tensor(Backends.of(device).allocate(numel(sh) * dtype.bytes()), 0, sh, dtype, false);
    }

    /** Zero-filled tensor on {@code device} (all bits zero, so also for I32). */
    public static Tensor zeros(Device device, DType dtype, int... shape) {
        if (device == Device.CPU) return zeros(dtype, shape);
        Tensor t = empty(device, dtype, shape);
        Backends.of(device).zero(t);
        return t;
    }

    public static Tensor zeros(DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        t.segment().fill((byte) 0);
        return t;
    }

    public static Tensor zeros(int... shape) {
        return zeros(DType.F32, shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = empty(DType.F32, shape);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(F32, i, value);
        return t;
    }

    /** F32 tensor holding a copy of {@code data}. */
    public static Tensor of(float[] data, int... shape) {
        int[] sh = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        Tensor t = empty(DType.F32, sh);
        if (t.numel() != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(sh));
        }
        MemorySegment.copy(data, 0, t.segment(), F32, 0, data.length);
        return t;
    }

    /** I32 tensor holding a copy of {@code data}. */
    public static Tensor ofInts(int[] data, int... shape) {
        int[] sh = shape.length == 0 ? new int[] {data.length} : shape;
        Tensor t = empty(DType.I32, sh);
        if (t.numel() != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(sh));
        }
        MemorySegment.copy(data, 0, t.segment(), I32, 0, data.length);
        return t;
    }

    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /** Normal(0, std²) values. */
    public static Tensor randn(Random rng, float std, int... shape) {
        Tensor t = empty(DType.F32, shape);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(F32, i, (float) (rng.nextGaussian() * std));
        return t;
    }

    /** Uniform values in [lo, hi). */
    public static Tensor uniform(Random rng, float lo, float hi, int... shape) {
        Tensor t = empty(DType.F32, shape);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(F32, i, lo + (hi - lo) * rng.nextFloat());
        return t;
    }

    /** A tensor over storage someone else allocated (a device allocator, a memory-mapped file). Takes one reference. */
    public static Tensor wrap(Storage storage, long offset, DType dtype, int... shape) {
        int[] sh = checkShape(shape);
        if ((offset + numel(sh)) * dtype.bytes() > storage.byteSize()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(sh) + " does not fit the storage");
        }
        return new Tensor(storage, offset, sh, dtype, false);
    }

    // ---------------------------------------------------------------- shape

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code d}; negative counts from the end. */
    public int dim(int d) {
        return shape[d < 0 ? shape.length + d : d];
    }

    public long numel() {
        return numel(shape);
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return storage.device();
    }

    /** True when this is a {@link #t()} view: memory holds the last two dims swapped. */
    public boolean isTransposed() {
        return transposed;
    }

    public Storage storage() {
        return storage;
    }

    /** Offset of element 0 in elements of {@link #dtype()} from the start of the storage. */
    public long offset() {
        return offset;
    }

    /** The host memory of this tensor's elements, starting at element 0 (in storage order). */
    public MemorySegment segment() {
        checkOpen();
        if (storage.device() != Device.CPU) throw new IllegalStateException("segment() of a " + device() + " tensor");
        return storage.segment().asSlice(offset * dtype.bytes(), numel() * dtype.bytes());
    }

    // ---------------------------------------------------------------- views

    /** Same elements, new shape (one dimension may be -1). Needs a non-transposed tensor. Differentiable. */
    public Tensor view(int... newShape) {
        checkOpen();
        if (transposed) throw new IllegalStateException("view of a transposed tensor: call contiguous() first");
        int[] sh = inferShape(newShape, numel());
        int[] original = shape.clone();
        return Node.record(share(offset, sh, false), "view",
                (g, needs) -> new Tensor[] {g.contiguous().view(original)}, this);
    }

    /** Rows [from, to) of the first dimension. Differentiable: the gradient is zero outside the slice. */
    public Tensor slice(int from, int to) {
        checkOpen();
        if (transposed) throw new IllegalStateException("slice of a transposed tensor: call contiguous() first");
        if (from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of dim 0 of size " + shape[0]);
        }
        int[] sh = shape.clone();
        sh[0] = to - from;
        long row = numel(shape) / Math.max(1, shape[0]);
        int[] original = shape.clone();
        return Node.record(share(offset + from * row, sh, false), "slice", (g, needs) -> {
            Tensor full = zeros(g.device(), g.dtype(), original);
            Backends.of(g).copy(g.contiguous(), full.slice(from, to));
            return new Tensor[] {full};
        }, this);
    }

    /** The last two dimensions swapped, as a view. Differentiable. */
    public Tensor t() {
        checkOpen();
        if (shape.length < 2) throw new IllegalStateException("t() needs rank >= 2");
        int[] sh = shape.clone();
        sh[sh.length - 1] = shape[shape.length - 2];
        sh[sh.length - 2] = shape[shape.length - 1];
        return Node.record(share(offset, sh, !transposed), "t", (g, needs) -> new Tensor[] {g.t()}, this);
    }

    /** The same data without autograd history. */
    public Tensor detach() {
        checkOpen();
        return share(offset, shape.clone(), transposed);
    }

    /**
     * A copy on {@code device} (a transposed view arrives row-major), without autograd history; on the same
     * device, a {@link #detach()}ed view of the same memory (closing it never frees this tensor's data).
     */
    public Tensor to(Device device) {
        checkOpen();
        if (device == device()) return detach();
        Tensor src = this;
        boolean tmp = false;
        if (transposed) { // make it row-major where it lives, then move the bytes
            src = empty(device(), dtype, shape);
            Backends.of(device()).copy(this, src);
            tmp = true;
        }
        Tensor out = empty(device, dtype, shape);
        // The non-host side's backend moves bytes across the boundary.
        Backends.of(device == Device.CPU ? device() : device).copy(src, out);
        if (tmp) src.close();
        return out;
    }

    /**
     * This tensor on {@code device}, consuming it: itself when it is already there, else a copy there and this
     * tensor is closed. For small tensors built on the host (ids, masks, position tables) that a device op needs.
     */
    public Tensor moveTo(Device device) {
        if (device == device()) return this;
        try (this) {
            return to(device);
        }
    }

    /**
     * Moves this tensor's elements (and its gradient) to {@code device} in place: the same object, so its
     * identity, requiresGrad flag and the names modules and optimizers know it by stay valid. PyTorch's
     * {@code param.data = param.data.to(device)}, what {@link dev.lathe.core.nn.Module#to} does to every
     * parameter. Views taken earlier keep the old memory.
     */
    public void relocate(Device device) {
        checkOpen();
        if (device == device()) return;
        if (transposed) throw new IllegalStateException("relocate() of a transposed view: " + this);
        Tensor moved = Scope.escape(() -> to(device));
        moved.storage.retain();
        storage.release();
        storage = moved.storage;
        offset = 0;
        moved.close();
        if (grad != null) grad.relocate(device);
    }

    /** This tensor if it is laid out row-major, else a row-major copy (recorded by autograd). */
    public Tensor contiguous() {
        return transposed ? dev.lathe.core.ops.ShapeOps.contiguous(this) : this;
    }

    private Tensor share(long off, int[] sh, boolean tr) {
        storage.retain();
        return new Tensor(storage, off, sh, dtype, tr);
    }

    // ---------------------------------------------------------------- host access

    /** All elements as floats, in logical (row-major) order, widening BF16/F16/I32. */
    public float[] toFloatArray() {
        checkOpen();
        if (device() != Device.CPU) {
            try (Tensor host = to(Device.CPU)) {
                return host.toFloatArray();
            }
        }
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        MemorySegment s = segment();
        for (int i = 0; i < n; i++) out[i] = readFloat(s, storageIndex(i));
        return out;
    }

    /** All elements of an I32 tensor, in logical order. */
    public int[] toIntArray() {
        checkOpen();
        if (dtype != DType.I32) throw new IllegalStateException("toIntArray() of " + dtype);
        if (device() != Device.CPU) {
            try (Tensor host = to(Device.CPU)) {
                return host.toIntArray();
            }
        }
        int n = Math.toIntExact(numel());
        int[] out = new int[n];
        MemorySegment s = segment();
        for (int i = 0; i < n; i++) out[i] = s.getAtIndex(I32, storageIndex(i));
        return out;
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with " + numel() + " elements");
        return toFloatArray()[0];
    }

    /** Element at a logical flat index, as float. */
    public float getFloat(long index) {
        if (device() != Device.CPU) {
            try (Tensor host = to(Device.CPU)) {
                return host.getFloat(index);
            }
        }
        return readFloat(segment(), storageIndex(index));
    }

    /** Sets the element at a logical flat index (F32 only). */
    public void setFloat(long index, float value) {
        if (dtype != DType.F32) throw new IllegalStateException("setFloat on " + dtype);
        segment().setAtIndex(F32, storageIndex(index), value);
    }

    /** Overwrites all elements (F32, non-transposed). */
    public void copyFrom(float[] data) {
        if (dtype != DType.F32 || transposed || data.length != numel()) {
            throw new IllegalArgumentException("copyFrom: " + data.length + " floats into " + this);
        }
        MemorySegment.copy(data, 0, segment(), F32, 0, data.length);
    }

    private long storageIndex(long logical) {
        if (!transposed) return logical;
        int r = shape[shape.length - 2], c = shape[shape.length - 1];
        long mat = (long) r * c;
        long batch = logical / mat, rem = logical % mat;
        long i = rem / c, j = rem % c;
        return batch * mat + j * r + i; // memory holds [.., c, r]
    }

    private float readFloat(MemorySegment s, long i) {
        return switch (dtype) {
            case F32 -> s.getAtIndex(F32, i);
            case I32 -> s.getAtIndex(I32, i);
            case BF16 -> Float.intBitsToFloat((s.getAtIndex(I16, i) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(s.getAtIndex(I16, i));
        };
    }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks this tensor as a leaf whose gradient {@link #backward()} accumulates into {@link #grad()}. */
    public Tensor requiresGrad(boolean value) {
        if (value && !dtype.isFloating()) throw new IllegalArgumentException("an " + dtype + " tensor cannot require grad");
        this.requiresGrad = value;
        return this;
    }

    /** Accumulated gradient of a leaf, or null before the first backward. Owned by this tensor. */
    public Tensor grad() {
        return grad;
    }

    /** Replaces the gradient; the previous one is closed. Used by autograd and optimizers. */
    public void setGrad(Tensor g) {
        if (grad != null && grad != g) grad.close();
        grad = g;
    }

    /** Frees the gradient (PyTorch's zero_grad(set_to_none=True)). */
    public void zeroGrad() {
        setGrad(null);
    }

    public Node gradFn() {
        return gradFn;
    }

    /** Attaches the autograd node that produced this tensor (ops call this). */
    public void setGradFn(Node node) {
        this.gradFn = node;
        this.requiresGrad = node != null;
    }

    /** Back-propagates from this scalar (gradient 1) into every leaf that requires grad. */
    public void backward() {
        Autograd.backward(this, null);
    }

    /** Back-propagates with an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    // ---------------------------------------------------------------- lifetime

    public boolean isClosed() {
        return closed;
    }

    /** Drops this tensor's reference to its storage (freed with the last view) and its gradient. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        gradFn = null;
        if (grad != null) {
            grad.close();
            grad = null;
        }
        storage.release();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("tensor used after close: " + this);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + dtype + (transposed ? "ᵀ" : "") + (closed ? " (closed)" : "");
    }

    // ---------------------------------------------------------------- shape helpers

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    private static int[] checkShape(int[] shape) {
        for (int d : shape) if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
        return shape.clone();
    }

    private static int[] inferShape(int[] newShape, long n) {
        int[] sh = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < sh.length; i++) {
            if (sh[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("two -1 dimensions in " + Arrays.toString(newShape));
                infer = i;
            } else if (sh[i] < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(newShape));
            } else {
                known *= sh[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || n % known != 0) throw new IllegalArgumentException("cannot view " + n + " elements as " + Arrays.toString(newShape));
            sh[infer] = (int) (n / known);
        }
        if (numel(sh) != n) throw new IllegalArgumentException("cannot view " + n + " elements as " + Arrays.toString(newShape));
        return sh;
    }
}
