package dev.lathe.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** CpuGemm routed to an installed CBLAS (--blas native), against float64, where one is installed (CI installs OpenBLAS). */
class NativeBlasTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Test
    void missingLibraryIsReportedWithWhatWasTried() {
        List<String> tried = new ArrayList<>();
        assertTrue(NativeBlas.find("/nonexistent/libnoblas.so", tried).isEmpty());
        assertEquals(1, tried.size());
        assertTrue(tried.get(0).startsWith("/nonexistent/libnoblas.so: "), tried.get(0));
        String message = assertThrows(IllegalStateException.class,
                () -> NativeBlas.load("/nonexistent/libnoblas.so")).getMessage();
        assertTrue(message.contains("/nonexistent/libnoblas.so") && message.contains("lathe.blasLibrary"), message);
    }

    @Test
    void gemmThroughNativeBlasMatchesFloat64() {
        Optional<NativeBlas> blas = NativeBlas.find(null, new ArrayList<>());
        assumeTrue(blas.isPresent(), "no CBLAS installed");
        CpuGemm.useBlas(blas.get());
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(CpuGemm.implementation().startsWith("native:"), CpuGemm.implementation());
            SplittableRandom rnd = new SplittableRandom(3);
            int m = 37, n = 53, k = 29, pad = 3;
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                    MemorySegment a = random(arena, rnd, (long) (ta ? k : m) * lda);
                    MemorySegment b = random(arena, rnd, (long) (tb ? n : k) * ldb);
                    MemorySegment c = random(arena, rnd, (long) m * ldc);
                    float[] c0 = c.toArray(F);
                    CpuGemm.sgemm(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double dot = 0, mag = 0;
                            for (int p = 0; p < k; p++) {
                                double x = a.getAtIndex(F, ta ? (long) p * lda + i : (long) i * lda + p);
                                double y = b.getAtIndex(F, tb ? (long) j * ldb + p : (long) p * ldb + j);
                                dot += x * y;
                                mag += Math.abs(x * y);
                            }
                            double want = 1.5 * dot + 0.5 * c0[i * ldc + j];
                            double got = c.getAtIndex(F, (long) i * ldc + j);
                            if (!(Math.abs(got - want) <= 1e-5 * (1.5 * mag + Math.abs(c0[i * ldc + j])))) {
                                fail("ta=" + ta + " tb=" + tb + " C[" + i + "," + j + "] = " + got + ", want " + want);
                            }
                        }
                    }
                }
            }
        } finally {
            CpuGemm.useBlas(null);
        }
        assertEquals("java-vector", CpuGemm.implementation());
    }

    private static MemorySegment random(Arena arena, SplittableRandom rnd, long n) {
        MemorySegment s = arena.allocate(n * Float.BYTES, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(F, i, (float) (rnd.nextDouble() * 2 - 1));
        return s;
    }
}
