package dev.lathe.bindings.cuda;

import static dev.lathe.bindings.cuda.CudnnBackend.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One cuDNN backend descriptor with typed attribute setters; {@link #close()} destroys it. Setters copy their
 * values into native memory for the call (cuDNN copies them in turn), so nothing outlives the call.
 */
public final class CudnnDescriptor implements AutoCloseable {
    private final Cudnn cudnn;
    private final MemorySegment handle;

    private CudnnDescriptor(Cudnn cudnn, MemorySegment handle) {
        this.cudnn = cudnn;
        this.handle = handle;
    }

    /** A new descriptor of {@code type} (a {@code CudnnBackend.*_DESCRIPTOR}). */
    public static CudnnDescriptor create(int type) {
        Cudnn cudnn = Cudnn.get();
        return new CudnnDescriptor(cudnn, cudnn.backendCreateDescriptor(type));
    }

    /**
     * A finalized tensor descriptor: {@code dims}/{@code strides} in elements (cuDNN wants at least 3 dims for
     * graph tensors; attention uses [B, H, S, D]), 16-byte alignment. A virtual tensor lives only inside a fused
     * graph; a by-value tensor is a host scalar (e.g. the attention scale).
     */
    public static CudnnDescriptor tensor(long uid, int dataType, long[] dims, long[] strides, boolean isVirtual, boolean byValue) {
        if (dims.length != strides.length) throw new IllegalArgumentException("dims and strides differ in rank");
        CudnnDescriptor d = create(TENSOR_DESCRIPTOR);
        try {
            d.setInt64s(ATTR_TENSOR_UNIQUE_ID, uid);
            d.setDataType(ATTR_TENSOR_DATA_TYPE, dataType);
            d.setInt64s(ATTR_TENSOR_DIMENSIONS, dims);
            d.setInt64s(ATTR_TENSOR_STRIDES, strides);
            d.setInt64s(ATTR_TENSOR_BYTE_ALIGNMENT, 16);
            if (isVirtual) d.setBoolean(ATTR_TENSOR_IS_VIRTUAL, true);
            if (byValue) d.setBoolean(ATTR_TENSOR_IS_BY_VALUE, true);
            d.finish();
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** Row-major (contiguous) strides of {@code dims}. */
    public static long[] contiguousStrides(long... dims) {
        long[] s = new long[dims.length];
        long step = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = step;
            step *= dims[i];
        }
        return s;
    }

    public MemorySegment handle() {
        return handle;
    }

    public CudnnDescriptor setInt64s(int name, long... values) {
        try (Arena a = Arena.ofConfined()) {
            cudnn.backendSetAttribute(handle, name, TYPE_INT64, values.length, a.allocateFrom(ValueLayout.JAVA_LONG, values));
        }
        return this;
    }

    /** An enum-valued attribute of {@code type} (e.g. TYPE_DATA_TYPE, TYPE_POINTWISE_MODE): a 32-bit C enum. */
    public CudnnDescriptor setEnum(int name, int type, int value) {
        try (Arena a = Arena.ofConfined()) {
            cudnn.backendSetAttribute(handle, name, type, 1, a.allocateFrom(ValueLayout.JAVA_INT, value));
        }
        return this;
    }

    public CudnnDescriptor setDataType(int name, int dataType) {
        return setEnum(name, TYPE_DATA_TYPE, dataType);
    }

    /** A {@code bool} attribute (C's one-byte bool). */
    public CudnnDescriptor setBoolean(int name, boolean value) {
        try (Arena a = Arena.ofConfined()) {
            cudnn.backendSetAttribute(handle, name, TYPE_BOOLEAN, 1, a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) (value ? 1 : 0)));
        }
        return this;
    }

    public CudnnDescriptor setFloat(int name, float value) {
        try (Arena a = Arena.ofConfined()) {
            cudnn.backendSetAttribute(handle, name, TYPE_FLOAT, 1, a.allocateFrom(ValueLayout.JAVA_FLOAT, value));
        }
        return this;
    }

    /** An attribute holding other descriptors (TYPE_BACKEND_DESCRIPTOR): an array of their handles. */
    public CudnnDescriptor setDescriptors(int name, CudnnDescriptor... values) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment array = a.allocate(ValueLayout.ADDRESS, values.length);
            for (int i = 0; i < values.length; i++) array.setAtIndex(ValueLayout.ADDRESS, i, values[i].handle);
            cudnn.backendSetAttribute(handle, name, TYPE_BACKEND_DESCRIPTOR, values.length, array);
        }
        return this;
    }

    /** The cuDNN handle attribute (TYPE_HANDLE) of graphs and plans. */
    public CudnnDescriptor setHandle(int name, MemorySegment cudnnHandle) {
        try (Arena a = Arena.ofConfined()) {
            cudnn.backendSetAttribute(handle, name, TYPE_HANDLE, 1, a.allocateFrom(ValueLayout.ADDRESS, cudnnHandle));
        }
        return this;
    }

    /** Device pointers (TYPE_VOID_PTR), e.g. a variant pack's data pointers and workspace. */
    public CudnnDescriptor setPointers(int name, long... devicePointers) {
        try (Arena a = Arena.ofConfined()) {
            cudnn.backendSetAttribute(handle, name, TYPE_VOID_PTR, devicePointers.length,
                    a.allocateFrom(ValueLayout.JAVA_LONG, devicePointers));
        }
        return this;
    }

    /** Reads an INT64 attribute of up to {@code max} elements. */
    public long[] getInt64s(int name, int max) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG, max);
            long n = cudnn.backendGetAttribute(handle, name, TYPE_INT64, max, out);
            return out.asSlice(0, Math.min(n, max) * Long.BYTES).toArray(ValueLayout.JAVA_LONG);
        }
    }

    /** cudnnBackendFinalize: the descriptor is complete and immutable from here on. */
    public CudnnDescriptor finish() {
        cudnn.backendFinalize(handle);
        return this;
    }

    @Override
    public void close() {
        cudnn.backendDestroyDescriptor(handle);
    }
}
