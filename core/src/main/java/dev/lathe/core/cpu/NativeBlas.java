package dev.lathe.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An installed CBLAS (OpenBLAS, MKL, BLIS, the reference BLAS) found at run time through Panama, for
 * {@code --blas native}: {@link CpuGemm} hands its products to {@code cblas_sgemm} instead of its own kernel. Opt-in
 * only; results then round as that library rounds, not bit for bit like the Java kernel.
 */
public final class NativeBlas {
    /** Library names tried in order when no path is given: the optimised ones first. */
    static final List<String> CANDIDATES = List.of("libopenblas.so.0", "libopenblas.so", "libmkl_rt.so.2",
            "libmkl_rt.so", "libblis.so.4", "libblis.so", "libcblas.so.3", "libblas.so.3", "libopenblas.dylib",
            "/opt/homebrew/opt/openblas/lib/libopenblas.dylib");

    // cblas.h: enum CBLAS_ORDER { CblasRowMajor = 101 }, enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 }.
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private final String library;
    private final MethodHandle sgemm;

    private NativeBlas(String library, MethodHandle sgemm) {
        this.library = library;
        this.sgemm = sgemm;
    }

    /**
     * The first of {@code path} (when not null) or else {@link #CANDIDATES} that loads and exports
     * {@code cblas_sgemm}; empty with the reasons in {@code tried} when none does.
     */
    public static Optional<NativeBlas> find(String path, List<String> tried) {
        for (String name : path != null ? List.of(path) : CANDIDATES) {
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(name, Arena.global());
                Optional<MemorySegment> fn = lib.find("cblas_sgemm");
                if (fn.isEmpty()) {
                    tried.add(name + ": no cblas_sgemm");
                    continue;
                }
                // void cblas_sgemm(order, transA, transB, int M, int N, int K, float alpha, const float *A, int lda,
                //                  const float *B, int ldb, float beta, float *C, int ldc)
                var I = ValueLayout.JAVA_INT;
                var F = ValueLayout.JAVA_FLOAT;
                var P = ValueLayout.ADDRESS;
                MethodHandle h = Linker.nativeLinker().downcallHandle(fn.get(),
                        FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I));
                return Optional.of(new NativeBlas(name, h));
            } catch (IllegalArgumentException e) {
                tried.add(name + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Like {@link #find(String, List)}, failing with every library tried and why. */
    public static NativeBlas load(String path) {
        List<String> tried = new ArrayList<>();
        return find(path, tried).orElseThrow(() -> new IllegalStateException("no native BLAS with cblas_sgemm found"
                + " (tried " + String.join("; ", tried) + "); install OpenBLAS (e.g. apt-get install libopenblas0)"
                + " or name a library with -Dlathe.blasLibrary=/path/to/libblas.so"));
    }

    /** The library this was loaded from, as given or as found. */
    public String library() {
        return library;
    }

    /** Row-major C = alpha op(A) op(B) + beta C on native float32 segments, as {@link CpuGemm#sgemm}. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
               MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda,
                    b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }
}
