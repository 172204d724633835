package dev.lathe.core.cuda;

import dev.lathe.bindings.cuda.CudaDriverException;
import dev.lathe.bindings.cuda.Nvrtc;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kernel modules and their functions, loaded once. Module {@code NAME} of an anchor class is the fatbin
 * {@code cuda/NAME.fatbin} on the anchor's class path (built by scripts/build-cuda.sh where nvcc exists); when it
 * is missing, or holds no code this device can run, the embedded source {@code cuda-src/NAME.cu} is compiled by
 * NVRTC for the device's compute capability, with the {@code "..."} headers it includes (common.cuh) read from
 * the same folder.
 */
final class CudaModules {
    private static final Pattern LOCAL_INCLUDE = Pattern.compile("^\\s*#\\s*include\\s+\"([^\"]+)\"", Pattern.MULTILINE);
    /** Driver statuses meaning "this image has no code for this device": fall back to NVRTC. */
    // NO_BINARY_FOR_GPU, INVALID_PTX, UNSUPPORTED_PTX_VERSION; and INVALID_IMAGE and JIT_COMPILER_NOT_FOUND, what a
    // driver older than the toolkit that built the fatbin may answer: NVRTC (the machine's own) then builds a cubin.
    private static final List<Integer> NO_CODE_FOR_DEVICE = List.of(209, 218, 222, 200, 221);

    private record ModuleKey(ClassLoader loader, String name) {}

    private final CudaContext ctx;
    private final Map<ModuleKey, MemorySegment> modules = new HashMap<>();
    private final Map<CudaLaunch.Kernel, MemorySegment> functions = new ConcurrentHashMap<>();

    CudaModules(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** The {@code CUfunction} of a kernel (module loaded or compiled on first use). */
    MemorySegment function(CudaLaunch.Kernel kernel) {
        MemorySegment f = functions.get(kernel);
        if (f != null) return f;
        MemorySegment module = module(kernel.anchor().getClassLoader(), kernel.module());
        ctx.enter();
        f = ctx.cu.moduleGetFunction(module, kernel.function());
        functions.put(kernel, f);
        return f;
    }

    private synchronized MemorySegment module(ClassLoader loader, String name) {
        ModuleKey key = new ModuleKey(loader, name);
        MemorySegment m = modules.get(key);
        if (m == null) {
            m = load(loader, name);
            modules.put(key, m);
        }
        return m;
    }

    private MemorySegment load(ClassLoader loader, String name) {
        ctx.enter();
        byte[] fatbin = resource(loader, "cuda/" + name + ".fatbin");
        if (fatbin != null) {
            try {
                return loadImage(fatbin);
            } catch (CudaDriverException e) {
                if (!NO_CODE_FOR_DEVICE.contains(e.code())) throw e;
            }
        }
        String source = text(loader, name + ".cu");
        if (source == null) {
            throw new IllegalStateException("kernel module " + name + ": neither cuda/" + name + ".fatbin nor cuda-src/"
                    + name + ".cu is on the class path");
        }
        return loadImage(compile(name + ".cu", source, headers(loader, source), ctx.ccMajor, ctx.ccMinor));
    }

    private MemorySegment loadImage(byte[] image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(image.length + 1L); // NUL-terminated, as a PTX image must be
            MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
            return ctx.cu.moduleLoadData(data);
        }
    }

    /**
     * CUBIN of {@code source} for compute capability major.minor. {@code <cuda_runtime.h>} is registered empty:
     * NVRTC has the CUDA built-ins and cannot see the toolkit's header; other system headers come from a
     * toolkit's include folder when one is installed.
     */
    static byte[] compile(String fileName, String source, Map<String, String> headers, int major, int minor) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.putIfAbsent("cuda_runtime.h", "");
        List<String> options = new ArrayList<>(List.of("--gpu-architecture=sm_" + major + minor, "-std=c++17"));
        for (Path include : toolkitIncludes()) options.add("-I" + include);
        Nvrtc nvrtc = Nvrtc.get();
        MemorySegment program = nvrtc.createProgram(source, fileName, all);
        try {
            nvrtc.compileProgram(program, options);
            return nvrtc.cubin(program);
        } finally {
            nvrtc.destroyProgram(program);
        }
    }

    /** The quoted ({@code #include "x"}) headers of {@code source}, read from cuda-src/ and followed transitively. */
    static Map<String, String> headers(ClassLoader loader, String source) {
        Map<String, String> out = new LinkedHashMap<>();
        ArrayDeque<String> todo = new ArrayDeque<>(localIncludes(source));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (out.containsKey(name)) continue;
            String text = text(loader, name);
            if (text == null) throw new IllegalStateException("header cuda-src/" + name + " is not on the class path");
            out.put(name, text);
            todo.addAll(localIncludes(text));
        }
        return out;
    }

    /** Names in {@code #include "name"} lines, in order. */
    static List<String> localIncludes(String source) {
        List<String> names = new ArrayList<>();
        Matcher m = LOCAL_INCLUDE.matcher(source);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    private static List<Path> toolkitIncludes() {
        List<Path> out = new ArrayList<>();
        for (String home : new String[] {System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda"}) {
            if (home == null || home.isBlank()) continue;
            Path include = Path.of(home, "include");
            if (Files.isRegularFile(include.resolve("math_constants.h")) && !out.contains(include)) out.add(include);
        }
        return out;
    }

    private static String text(ClassLoader loader, String name) {
        byte[] b = resource(loader, "cuda-src/" + name);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] resource(ClassLoader loader, String path) {
        try (InputStream in = loader.getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }
}
