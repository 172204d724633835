package dev.lathe.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Status codes to names and exceptions, against the headers' values. */
class CudaStatusTest {
    @Test
    void namesKnownCodesOfEveryLibrary() {
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaStatus.name(CudaStatus.DRIVER, 2));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaStatus.name(CudaStatus.DRIVER, 700));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", CudaStatus.name(CudaStatus.CUBLAS, 15));
        assertEquals("NVRTC_ERROR_COMPILATION", CudaStatus.name(CudaStatus.NVRTC, 6));
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudaStatus.name(CudaStatus.CUDNN, 2000));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN", CudaStatus.name(CudaStatus.CUDNN, 3001));
        assertEquals("UNKNOWN_123456", CudaStatus.name(CudaStatus.DRIVER, 123456));
    }

    @Test
    void driverTableMatchesTheInstalledCudaHeader() throws IOException {
        Path header = Path.of("/usr/local/cuda/include/cuda.h");
        Assumptions.assumeTrue(Files.isRegularFile(header), "no CUDA toolkit header at " + header);
        String src = Files.readString(header);
        int start = src.indexOf("typedef enum cudaError_enum {"), end = src.indexOf("} CUresult;", start);
        Map<Integer, String> fromHeader = new HashMap<>();
        Matcher m = Pattern.compile("(CUDA_(?:SUCCESS|ERROR_\\w+))\\s*=\\s*(\\d+)").matcher(src.substring(start, end));
        while (m.find()) fromHeader.put(Integer.parseInt(m.group(2)), m.group(1));
        assertTrue(fromHeader.size() > 90, "parsed " + fromHeader.size());
        for (var e : fromHeader.entrySet()) assertEquals(e.getValue(), CudaStatus.name(CudaStatus.DRIVER, e.getKey()));
    }

    @Test
    void aFailedDriverCallBecomesAnExceptionWithTheStatusName() {
        var e = assertThrows(CudaDriverException.class, () -> CudaDriver.get().check("cuMemAlloc_v2", 2));
        assertInstanceOf(CudaException.class, e);
        assertEquals("cuMemAlloc_v2", e.function());
        assertEquals(2, e.code());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.statusName());
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (2)"), e.getMessage());
    }

    @Test
    void bindingsLoadWithoutTheLibrariesAndFailOnlyWhenCalled() {
        Assumptions.assumeFalse(CudaLibraryLocator.isPresent(CudaLibrary.DRIVER), "libcuda is installed here");
        CudaDriver driver = CudaDriver.get();
        var e = assertThrows(UnsatisfiedLinkError.class, () -> driver.init(0));
        assertTrue(e.getMessage().contains("the CUDA driver (libcuda) not found") && e.getMessage().contains("libcuda.so.1"),
                e.getMessage());
    }
}
