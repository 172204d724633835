package dev.lathe.bindings.nccl;

import java.util.List;

/**
 * NCCL's enums as nccl.h (NCCL 2.x) numbers them: {@code ncclResult_t} names, and the {@code ncclDataType_t}
 * and {@code ncclRedOp_t} values the collectives take.
 */
public final class NcclStatus {
    private NcclStatus() {}

    /** ncclResult_t, indexed by code. */
    private static final List<String> RESULTS = List.of("ncclSuccess", "ncclUnhandledCudaError", "ncclSystemError",
            "ncclInternalError", "ncclInvalidArgument", "ncclInvalidUsage", "ncclRemoteError", "ncclInProgress");

    /** ncclResult_t's success and in-progress (a non-blocking communicator still initialising) codes. */
    public static final int SUCCESS = 0, IN_PROGRESS = 7;

    /** ncclDataType_t values. */
    public static final int INT8 = 0, UINT8 = 1, INT32 = 2, UINT32 = 3, INT64 = 4, UINT64 = 5, FLOAT16 = 6,
            FLOAT32 = 7, FLOAT64 = 8, BFLOAT16 = 9;

    /** ncclRedOp_t values. */
    public static final int SUM = 0, PROD = 1, MAX = 2, MIN = 3, AVG = 4;

    /** The name of {@code code}, or {@code UNKNOWN_<code>} for a code this table does not know. */
    public static String name(int code) {
        return code >= 0 && code < RESULTS.size() ? RESULTS.get(code) : "UNKNOWN_" + code;
    }
}
