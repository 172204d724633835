package dev.lathe.core.cuda;

import dev.lathe.core.cuda.CudaLaunch.Kernel;

/** The core kernels (core/src/main/cuda; arguments and grids in KERNELS.md there). */
final class CoreKernels {
    private CoreKernels() {}

    private static Kernel k(String module, String function) {
        return new Kernel(CoreKernels.class, module, function);
    }

    static final Kernel BINARY = k("elementwise", "binary_f32"), UNARY = k("elementwise", "unary_f32"),
            SCALE = k("elementwise", "scale_f32"), ADD_SCALAR = k("elementwise", "add_scalar_f32"),
            AXPY = k("elementwise", "axpy_f32"), FILL_F32 = k("elementwise", "fill_f32"),
            FILL_U16 = k("elementwise", "fill_u16"), DROPOUT = k("elementwise", "dropout_f32"),
            COPY_STRIDED = k("elementwise", "copy_strided_f32");
    static final Kernel F32_TO_BF16 = k("convert", "f32_to_bf16"), BF16_TO_F32 = k("convert", "bf16_to_f32"),
            F32_TO_F16 = k("convert", "f32_to_f16"), F16_TO_F32 = k("convert", "f16_to_f32");
    static final Kernel SUM_PARTIALS = k("reduce", "reduce_sum_partials"), SUM_FINAL = k("reduce", "reduce_sum_final"),
            SUM_ROWS = k("reduce", "sum_rows_f32"), ROW_SUM = k("reduce", "row_sum_f32");
    static final Kernel SOFTMAX_FORWARD = k("softmax", "softmax_forward"), SOFTMAX_BACKWARD = k("softmax", "softmax_backward");
    static final Kernel LAYERNORM_FORWARD = k("layernorm", "layernorm_forward"),
            LAYERNORM_BACKWARD_INPUT = k("layernorm", "layernorm_backward_input"),
            LAYERNORM_BACKWARD_PARAMS = k("layernorm", "layernorm_backward_params");
    static final Kernel RMSNORM_FORWARD = k("rmsnorm", "rmsnorm_forward"),
            RMSNORM_BACKWARD_INPUT = k("rmsnorm", "rmsnorm_backward_input"),
            RMSNORM_BACKWARD_WEIGHT = k("rmsnorm", "rmsnorm_backward_weight");
    static final Kernel GELU_FORWARD = k("activations", "gelu_forward"), GELU_BACKWARD = k("activations", "gelu_backward"),
            SILU_FORWARD = k("activations", "silu_forward"), SILU_BACKWARD = k("activations", "silu_backward");
    static final Kernel ROTARY = k("rotary", "rotary_f32");
    static final Kernel EMBEDDING_FORWARD = k("embedding", "embedding_forward"),
            EMBEDDING_BACKWARD = k("embedding", "embedding_backward");
    static final Kernel CROSS_ENTROPY_FORWARD = k("cross_entropy", "cross_entropy_forward"),
            CROSS_ENTROPY_BACKWARD = k("cross_entropy", "cross_entropy_backward");
    static final Kernel ADAMW_STEP = k("adamw", "adamw_step");
    static final Kernel ADAMW_MULTI = k("adamw", "adamw_multi");
    static final Kernel ATTENTION_DOC_STARTS = k("attention", "attention_doc_starts"),
            ATTENTION_FORWARD = k("attention", "attention_forward"),
            ATTENTION_BACKWARD_DELTA = k("attention", "attention_backward_delta"),
            ATTENTION_BACKWARD_DQ = k("attention", "attention_backward_dq"),
            ATTENTION_BACKWARD_DKDV = k("attention", "attention_backward_dkdv"),
            ATTENTION_DECODE = k("attention", "attention_decode");
}
