package dev.lathe.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * NVRTC and the cuDNN descriptor API need no GPU: where the libraries are found (LATHE_CUDA_LIBS, PyTorch's
 * wheels, a toolkit) these run for real; elsewhere they skip saying so.
 */
class NvrtcCudnnHostTest {
    static final String SAXPY = """
            extern "C" __global__ void saxpy(float a, const float* x, float* y, int n) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) y[i] = a * x[i] + y[i];
            }
            """;

    @Test
    void nvrtcCompilesAKernelToPtxAndCubin() {
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.NVRTC), "NVRTC (libnvrtc) not found on this machine");
        Nvrtc nvrtc = Nvrtc.get();
        assertTrue(nvrtc.version()[0] >= 11, "version " + nvrtc.version()[0]);
        MemorySegment program = nvrtc.createProgram(SAXPY, "saxpy.cu");
        try {
            nvrtc.compileProgram(program, List.of("--gpu-architecture=sm_90"));
            String ptx = new String(nvrtc.ptx(program), StandardCharsets.US_ASCII);
            assertTrue(ptx.contains(".entry saxpy") && ptx.contains(".target sm_90"), ptx);
            byte[] cubin = nvrtc.cubin(program);
            assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, java.util.Arrays.copyOf(cubin, 4));
        } finally {
            nvrtc.destroyProgram(program);
        }
    }

    @Test
    void aCompileErrorCarriesTheLog() {
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.NVRTC), "NVRTC (libnvrtc) not found on this machine");
        Nvrtc nvrtc = Nvrtc.get();
        MemorySegment program = nvrtc.createProgram("__global__ void k() { undeclared_name = 1; }", "bad.cu");
        try {
            var e = assertThrows(NvrtcException.class, () -> nvrtc.compileProgram(program, List.of()));
            assertEquals("NVRTC_ERROR_COMPILATION", e.statusName());
            assertTrue(e.getMessage().contains("undeclared_name"), e.getMessage());
        } finally {
            nvrtc.destroyProgram(program);
        }
    }

    @Test
    void cudnnBuildsAndReadsBackATensorDescriptor() {
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.CUDNN), "cuDNN (libcudnn) not found on this machine");
        assertTrue(Cudnn.get().version() >= 90000, "cuDNN 9 expected, got " + Cudnn.get().version());
        long[] dims = {2, 12, 64, 64};
        long[] strides = CudnnDescriptor.contiguousStrides(dims);
        assertArrayEquals(new long[] {12 * 64 * 64, 64 * 64, 64, 1}, strides);
        CudnnDescriptor tensor;
        try {
            tensor = CudnnDescriptor.tensor(1, CudnnBackend.DATA_BFLOAT16, dims, strides, false, false);
        } catch (CudnnException e) {
            // libcudnn_graph loads its own dependencies (the driver among them) on first use.
            Assumptions.assumeFalse(e.statusName().equals("CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED"),
                    "cuDNN's graph sub-library does not load here: " + e.getMessage());
            throw e;
        }
        try (CudnnDescriptor q = tensor) {
            assertArrayEquals(dims, q.getInt64s(CudnnBackend.ATTR_TENSOR_DIMENSIONS, 8));
            assertArrayEquals(strides, q.getInt64s(CudnnBackend.ATTR_TENSOR_STRIDES, 8));
            assertArrayEquals(new long[] {1}, q.getInt64s(CudnnBackend.ATTR_TENSOR_UNIQUE_ID, 1));
        }
        // A tensor without dimensions does not finalize: cuDNN's status comes back by name.
        try (CudnnDescriptor bad = CudnnDescriptor.create(CudnnBackend.TENSOR_DESCRIPTOR)) {
            var e = assertThrows(CudnnException.class, bad::finish);
            assertTrue(e.statusName().startsWith("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
        }
    }
}
