package dev.lathe.bindings.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The downcalls of one library, each bound on its first call: nothing is looked up (and the library is not
 * even located) until a binding is used, so the binding classes load on a machine without CUDA, and a symbol a
 * library version lacks fails only the call that needs it.
 */
final class LazyFunctions {
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;
    static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private final CudaLibrary library;
    private final Map<String, MethodHandle> handles = new ConcurrentHashMap<>();

    LazyFunctions(CudaLibrary library) {
        this.library = library;
    }

    /** The downcall to {@code symbol}, bound now if it is the first use. */
    MethodHandle get(String symbol, FunctionDescriptor descriptor) {
        return handles.computeIfAbsent(symbol, s -> CudaLibraryLocator.load(library).function(s, descriptor));
    }

    /** Whether the library is loaded and exports {@code symbol} (loads the library). */
    boolean exports(String symbol) {
        return CudaLibraryLocator.load(library).find(symbol).isPresent();
    }

    /** Rethrows what a downcall threw: runtime exceptions and errors as they are, anything else wrapped. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
