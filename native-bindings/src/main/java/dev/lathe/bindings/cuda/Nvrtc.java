package dev.lathe.bindings.cuda;

import static dev.lathe.bindings.cuda.LazyFunctions.I32;
import static dev.lathe.bindings.cuda.LazyFunctions.PTR;
import static dev.lathe.bindings.cuda.LazyFunctions.SIZE_T;
import static dev.lathe.bindings.cuda.LazyFunctions.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * NVRTC (libnvrtc): CUDA C++ source to PTX or CUBIN at run time. Needs no GPU. Programs ({@code nvrtcProgram})
 * are {@link MemorySegment} handles. A failed compile is an {@link NvrtcException} whose message holds the log.
 */
public final class Nvrtc {
    private static final Nvrtc INSTANCE = new Nvrtc();
    private final LazyFunctions fns = new LazyFunctions(CudaLibrary.NVRTC);

    private Nvrtc() {}

    public static Nvrtc get() {
        return INSTANCE;
    }

    // nvrtcResult nvrtcVersion(int *major, int *minor);  — returns {major, minor}
    public int[] version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(I32), minor = a.allocate(I32);
            call("nvrtcVersion", FunctionDescriptor.of(I32, PTR, PTR), major, minor);
            return new int[] {major.get(I32, 0), minor.get(I32, 0)};
        }
    }

    // nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders,
    //                                const char * const *headers, const char * const *includeNames);
    public MemorySegment createProgram(String source, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(PTR);
            call("nvrtcCreateProgram", FunctionDescriptor.of(I32, PTR, PTR, PTR, I32, PTR, PTR), out,
                    a.allocateFrom(source), a.allocateFrom(name), 0, MemorySegment.NULL, MemorySegment.NULL);
            return out.get(PTR, 0);
        }
    }

    // The same with headers the source may #include by name (name -> contents), e.g. a shared .cuh.
    public MemorySegment createProgram(String source, String name, java.util.Map<String, String> headers) {
        try (Arena a = Arena.ofConfined()) {
            int n = headers.size();
            MemorySegment contents = a.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            MemorySegment names = a.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            int i = 0;
            for (var h : headers.entrySet()) {
                names.setAtIndex(ValueLayout.ADDRESS, i, a.allocateFrom(h.getKey()));
                contents.setAtIndex(ValueLayout.ADDRESS, i++, a.allocateFrom(h.getValue()));
            }
            MemorySegment out = a.allocate(PTR);
            call("nvrtcCreateProgram", FunctionDescriptor.of(I32, PTR, PTR, PTR, I32, PTR, PTR), out,
                    a.allocateFrom(source), a.allocateFrom(name), n, contents, names);
            return out.get(PTR, 0);
        }
    }

    // nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char * const *options);
    // A compile error throws with the program log appended.
    public void compileProgram(MemorySegment program, List<String> options) {
        int code;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment array = a.allocate(ValueLayout.ADDRESS, Math.max(1, options.size()));
            for (int i = 0; i < options.size(); i++) array.setAtIndex(ValueLayout.ADDRESS, i, a.allocateFrom(options.get(i)));
            code = (int) fns.get("nvrtcCompileProgram", FunctionDescriptor.of(I32, PTR, I32, PTR))
                    .invoke(program, options.size(), array);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (code != 0) {
            String log = programLog(program);
            throw new NvrtcException("nvrtcCompileProgram", code, CudaStatus.name(CudaStatus.NVRTC, code),
                    errorString(code) + (log.isBlank() ? "" : "\n" + log.strip()));
        }
    }

    // nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t *logSizeRet);
    // nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char *log);
    public String programLog(MemorySegment program) {
        return new String(bytes(program, "nvrtcGetProgramLogSize", "nvrtcGetProgramLog"), java.nio.charset.StandardCharsets.UTF_8)
                .replace("\0", "");
    }

    // nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t *ptxSizeRet);
    // nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char *ptx);  — NUL-terminated, as cuModuleLoadData takes it
    public byte[] ptx(MemorySegment program) {
        return bytes(program, "nvrtcGetPTXSize", "nvrtcGetPTX");
    }

    // nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t *cubinSizeRet);
    // nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char *cubin);  — only after compiling for a real sm_XX
    public byte[] cubin(MemorySegment program) {
        return bytes(program, "nvrtcGetCUBINSize", "nvrtcGetCUBIN");
    }

    // nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog);
    public void destroyProgram(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            call("nvrtcDestroyProgram", FunctionDescriptor.of(I32, PTR), a.allocateFrom(PTR, program));
        }
    }

    // const char *nvrtcGetErrorString(nvrtcResult result);
    public String errorString(int code) {
        try {
            MemorySegment s = (MemorySegment) fns.get("nvrtcGetErrorString", FunctionDescriptor.of(PTR, I32)).invoke(code);
            return s.address() == 0 ? "" : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private byte[] bytes(MemorySegment program, String sizeSymbol, String dataSymbol) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(SIZE_T);
            call(sizeSymbol, FunctionDescriptor.of(I32, PTR, PTR), program, size);
            long n = size.get(SIZE_T, 0);
            MemorySegment data = a.allocate(Math.max(1, n));
            call(dataSymbol, FunctionDescriptor.of(I32, PTR, PTR), program, data);
            return data.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private void call(String symbol, FunctionDescriptor descriptor, Object... args) {
        int code;
        try {
            code = (int) fns.get(symbol, descriptor).invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (code != 0) throw new NvrtcException(symbol, code, CudaStatus.name(CudaStatus.NVRTC, code), errorString(code));
    }
}
