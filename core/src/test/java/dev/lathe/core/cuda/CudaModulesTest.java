package dev.lathe.core.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The NVRTC fallback's inputs: the embedded sources under cuda-src/ and the headers they include. Where NVRTC is
 * installed, every core module compiles through it for sm_80 and sm_90 exactly as the backend would compile it.
 */
class CudaModulesTest {
    static final List<String> MODULES = List.of("activations", "adamw", "attention", "convert", "cross_entropy",
            "elementwise", "embedding", "layernorm", "reduce", "rmsnorm", "rotary", "softmax");

    static String source(String name) throws IOException {
        try (InputStream in = CudaModulesTest.class.getClassLoader().getResourceAsStream("cuda-src/" + name)) {
            if (in == null) throw new AssertionError("cuda-src/" + name + " is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void quotedIncludesAreFoundButSystemOnesAreNot() {
        String src = "#include <cuda_runtime.h>\n#include \"common.cuh\"\n  #  include \"more/x.h\"\n// #include \"no\"\n";
        assertEquals(List.of("common.cuh", "more/x.h"), CudaModules.localIncludes(src));
    }

    @Test
    void everyCoreModuleShipsItsSourceAndCommonHeader() throws IOException {
        ClassLoader loader = CudaModulesTest.class.getClassLoader();
        for (String m : MODULES) {
            String src = source(m + ".cu");
            Map<String, String> headers = CudaModules.headers(loader, src);
            assertEquals(List.of("common.cuh"), List.copyOf(headers.keySet()), m);
            assertTrue(headers.get("common.cuh").contains("namespace lathe"), m);
        }
    }

    @Test
    void everyCoreModuleCompilesWithNvrtc() throws IOException {
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.NVRTC), "NVRTC (libnvrtc) not found on this machine");
        ClassLoader loader = CudaModulesTest.class.getClassLoader();
        for (String m : MODULES) {
            String src = source(m + ".cu");
            for (int[] cc : new int[][] {{8, 0}, {9, 0}}) {
                byte[] cubin = CudaModules.compile(m + ".cu", src, CudaModules.headers(loader, src), cc[0], cc[1]);
                assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(cubin, 4), m + " for sm_" + cc[0] + cc[1]);
            }
        }
    }
}
