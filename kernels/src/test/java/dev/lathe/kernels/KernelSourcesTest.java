package dev.lathe.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;
import dev.lathe.bindings.cuda.Nvrtc;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The module's embedded kernel sources (cuda-src/*.cu), which the CUDA backend compiles with NVRTC where no
 * fatbin fits the device. A machine with the driver and libnvrtc but no toolkit gives NVRTC no system headers
 * besides the {@code <cuda_runtime.h>} the backend registers empty, so the sources may include nothing else.
 */
class KernelSourcesTest {
    private static final List<String> MODULES = List.of("dpo_loss", "fused_classifier", "gae", "ppo_loss");
    private static final Pattern SYSTEM_INCLUDE = Pattern.compile("^\\s*#\\s*include\\s*<([^>]+)>", Pattern.MULTILINE);

    private static String source(String module) throws IOException {
        try (InputStream in = KernelSourcesTest.class.getClassLoader().getResourceAsStream("cuda-src/" + module + ".cu")) {
            if (in == null) throw new AssertionError("cuda-src/" + module + ".cu is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sourcesIncludeNoToolkitHeader() throws IOException {
        for (String m : MODULES) {
            List<String> system = new ArrayList<>();
            Matcher include = SYSTEM_INCLUDE.matcher(source(m));
            while (include.find()) system.add(include.group(1));
            assertEquals(List.of("cuda_runtime.h"), system, m + ".cu's system headers");
        }
    }

    @Test
    void sourcesCompileWithNvrtcAlone() throws IOException {
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.NVRTC), "NVRTC (libnvrtc) not found on this machine");
        Nvrtc nvrtc = Nvrtc.get();
        for (String m : MODULES) {
            for (String arch : List.of("sm_80", "sm_90")) {
                // no -I: only NVRTC's built-ins and the empty cuda_runtime.h, as on a machine without a toolkit
                MemorySegment program = nvrtc.createProgram(source(m), m + ".cu", Map.of("cuda_runtime.h", ""));
                try {
                    nvrtc.compileProgram(program, List.of("--gpu-architecture=" + arch, "-std=c++17"));
                    byte[] cubin = nvrtc.cubin(program);
                    assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(cubin, 4), m + " for " + arch);
                } finally {
                    nvrtc.destroyProgram(program);
                }
            }
        }
    }
}
