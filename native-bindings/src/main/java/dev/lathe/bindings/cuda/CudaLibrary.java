package dev.lathe.bindings.cuda;

import java.util.List;

/**
 * The CUDA libraries Lathe binds, each with the file names tried in order: the versioned names first (newest
 * major first, as PyTorch's wheels ship only those), then the unversioned development link.
 */
public enum CudaLibrary {
    DRIVER("the CUDA driver (libcuda)", List.of("libcuda.so.1", "libcuda.so")),
    CUBLAS("cuBLAS (libcublas)", List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so")),
    NVRTC("NVRTC (libnvrtc)", List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11", "libnvrtc.so")),
    CUDNN("cuDNN (libcudnn)", List.of("libcudnn.so.9", "libcudnn.so")),
    NCCL("NCCL (libnccl)", List.of("libnccl.so.2", "libnccl.so"));

    private final String description;
    private final List<String> fileNames;

    CudaLibrary(String description, List<String> fileNames) {
        this.description = description;
        this.fileNames = fileNames;
    }

    public String description() {
        return description;
    }

    public List<String> fileNames() {
        return fileNames;
    }
}
