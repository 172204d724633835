package dev.lathe.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;

/**
 * The bindings on a real GPU: the device, a memcpy round trip, cuBLAS SGEMM against a float64 CPU product, and
 * an NVRTC-compiled kernel launched through the driver. Skips, saying why, where there is no driver or device.
 */
@Tag("gpu")
class CudaGpuSmokeTest {
    static final CudaDriver cu = CudaDriver.get();
    static int device;
    static boolean retained;

    @BeforeAll
    static void context() {
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.DRIVER), "no CUDA driver (libcuda.so.1) on this machine");
        try {
            cu.init(0);
        } catch (CudaDriverException e) {
            Assumptions.abort("cuInit failed, no usable GPU: " + e.getMessage());
        }
        Assumptions.assumeTrue(cu.deviceCount() > 0, "the CUDA driver sees no device");
        device = cu.device(0);
        cu.contextSetCurrent(cu.primaryContextRetain(device));
        retained = true;
    }

    @AfterAll
    static void release() {
        if (retained) cu.primaryContextRelease(device);
    }

    @Test
    void describesTheDevice() {
        assertFalse(cu.deviceName(device).isBlank());
        assertTrue(cu.deviceAttribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MAJOR, device) >= 7);
        assertTrue(cu.deviceTotalMem(device) > (1L << 30));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", cu.errorName(2));
    }

    @Test
    void copiesThereAndBackAndSets() {
        int n = 1 << 16;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(ValueLayout.JAVA_FLOAT, n), back = a.allocate(ValueLayout.JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f);
            long d1 = cu.memAlloc(4L * n), d2 = cu.memAlloc(4L * n);
            try {
                MemorySegment stream = cu.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
                cu.memcpyHtoDAsync(d1, host, 4L * n, stream);
                cu.memcpyDtoDAsync(d2, d1, 4L * n, stream);
                cu.memcpyDtoHAsync(back, d2, 4L * n, stream);
                cu.streamSynchronize(stream);
                cu.streamDestroy(stream);
                assertEquals(-1L, host.mismatch(back));
                cu.memsetD32(d1, Float.floatToRawIntBits(3f), n);
                cu.memcpyDtoH(back, d1, 4L * n);
                assertEquals(3f, back.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1));
            } finally {
                cu.memFree(d1);
                cu.memFree(d2);
            }
        }
    }

    @Test
    void cublasSgemmMatchesAFloat64Product() {
        int m = 96, n = 80, k = 64;
        Random r = new Random(1);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
        Cublas blas = Cublas.get();
        MemorySegment handle = blas.create();
        try (Arena arena = Arena.ofConfined()) {
            long da = upload(arena, a), db = upload(arena, b), dc = cu.memAlloc(4L * m * n);
            blas.setMathMode(handle, Cublas.PEDANTIC_MATH);
            // Row-major C[m,n] = A[m,k] B[k,n] is column-major Cᵀ[n,m] = Bᵀ[n,k] Aᵀ[k,m].
            blas.gemmEx(handle, Cublas.OP_N, Cublas.OP_N, n, m, k, 1f, db, Cublas.R_32F, n, da, Cublas.R_32F, k,
                    0f, dc, Cublas.R_32F, n, Cublas.COMPUTE_32F_PEDANTIC);
            MemorySegment c = arena.allocate(ValueLayout.JAVA_FLOAT, (long) m * n);
            cu.memcpyDtoH(c, dc, 4L * m * n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double want = 0;
                    for (int p = 0; p < k; p++) want += (double) a[i * k + p] * b[p * n + j];
                    assertEquals(want, c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j), 1e-4, "C[" + i + "," + j + "]");
                }
            }
            cu.memFree(da);
            cu.memFree(db);
            cu.memFree(dc);
        } finally {
            blas.destroy(handle);
        }
    }

    @Test
    void launchesAnNvrtcCompiledKernel() {
        Nvrtc nvrtc = Nvrtc.get();
        MemorySegment program = nvrtc.createProgram(NvrtcCudnnHostTest.SAXPY, "saxpy.cu");
        byte[] ptx;
        try {
            int major = cu.deviceAttribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MAJOR, device);
            int minor = cu.deviceAttribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MINOR, device);
            nvrtc.compileProgram(program, List.of("--gpu-architecture=compute_" + major + minor));
            ptx = nvrtc.ptx(program);
        } finally {
            nvrtc.destroyProgram(program);
        }
        int n = 1000;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = 1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment module = cu.moduleLoadData(arena.allocateFrom(ValueLayout.JAVA_BYTE, ptx));
            MemorySegment fn = cu.moduleGetFunction(module, "saxpy");
            long dx = upload(arena, x), dy = upload(arena, y);
            MemorySegment start = cu.eventCreate(CudaDriver.EVENT_DEFAULT), end = cu.eventCreate(CudaDriver.EVENT_DEFAULT);
            cu.eventRecord(start, MemorySegment.NULL);
            cu.launchKernel(fn, (n + 255) / 256, 1, 1, 256, 1, 1, 0, MemorySegment.NULL,
                    new KernelArgs(arena).f32(2f).pointer(dx).pointer(dy).i32(n));
            cu.eventRecord(end, MemorySegment.NULL);
            cu.eventSynchronize(end);
            assertTrue(cu.eventElapsedMillis(start, end) >= 0);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, n);
            cu.memcpyDtoH(out, dy, 4L * n);
            for (int i = 0; i < n; i++) assertEquals(2f * i + 1, out.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            cu.eventDestroy(start);
            cu.eventDestroy(end);
            cu.memFree(dx);
            cu.memFree(dy);
            cu.moduleUnload(module);
        }
    }

    @Test
    void cudnnHandleAndTensorDescriptor() {
        Cudnn cudnn = Cudnn.get();
        MemorySegment handle = cudnn.create();
        try (CudnnDescriptor t = CudnnDescriptor.tensor(7, CudnnBackend.DATA_FLOAT, new long[] {1, 2, 3},
                CudnnDescriptor.contiguousStrides(1, 2, 3), false, false)) {
            assertEquals(7, t.getInt64s(CudnnBackend.ATTR_TENSOR_UNIQUE_ID, 1)[0]);
        } finally {
            cudnn.destroy(handle);
        }
    }

    private static long upload(Arena arena, float[] values) {
        long d = cu.memAlloc(4L * values.length);
        cu.memcpyHtoD(d, arena.allocateFrom(ValueLayout.JAVA_FLOAT, values), 4L * values.length);
        return d;
    }
}
