#!/usr/bin/env bash
# The whole GPU check in one call (run on the GPU machine after scripts/device-bundle.sh here): the gpu-tagged
# tests with the bundled Java, `bench train --device cuda` (fp32/TF32 and BF16) when the CLI has it, and the
# same step in the machine's PyTorch. Writes $OUT/gpu-results.json
# {device, gpu_tests_passed, gpu_tests_failed, lathe_tokens_per_second, pytorch_tokens_per_second, precision}
# and $OUT/device-check.log. Never fails on a missing piece: it records a note instead.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/.device/out}"; mkdir -p "$OUT"
log="$OUT/device-check.log"; : >"$log"
say() { echo "[device-check] $*" | tee -a "$log" >&2; }
java=.device/java/bin/java
[[ -x "$java" ]] || { say "no .device/java: run scripts/device-bundle.sh first"; exit 1; }
py="$(command -v python3 || true)"

# cuBLAS, cuDNN and NVRTC come with PyTorch's wheels (nvidia/*/lib in site-packages); their sub-libraries are
# loaded by name, so the folders go on LD_LIBRARY_PATH before Java starts.
if [[ -n "$py" ]]; then
  libs="$("$py" -c 'import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib"))})))' 2>/dev/null || true)"
  [[ -n "$libs" ]] && export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
say "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
device="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
notes=()
[[ -z "$device" ]] && { device="none"; notes+=("no driver: nvidia-smi found no GPU"); }
say "device: $device"

jflags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector)
tests="$(timeout 150 "$java" "${jflags[@]}" -cp '.device/lib/*' dev.lathe.bindings.cuda.GpuTestMain 2>>"$log" | tail -1)"
passed="$(sed -n 's/.*"passed":\([0-9]*\).*/\1/p' <<<"$tests")"; failed="$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' <<<"$tests")"
skipped="$(sed -n 's/.*"skipped":\([0-9]*\).*/\1/p' <<<"$tests")"
[[ -z "$passed" ]] && { passed=0; failed=0; notes+=("the gpu test run did not finish (see device-check.log)"); }
[[ "${skipped:-0}" -gt 0 && "$passed" -eq 0 ]] && notes+=("gpu tests skipped ($skipped): see device-check.log for the reason")
say "gpu tests: $tests"

lathe_tps=null; lathe_bf16=null
if "$java" "${jflags[@]}" -jar .device/lathe.jar bench --help 2>&1 | grep -q "bench train"; then
  for prec in fp32 bf16; do
    line="$(timeout 100 "$java" "${jflags[@]}" -jar .device/lathe.jar bench train --device cuda --preset gpt2-124m \
      --precision "$prec" 2>>"$log" | tail -1)"
    tps="$(sed -n 's/.*"tokens_per_second":\([0-9.eE+-]*\).*/\1/p' <<<"$line")"
    [[ "$prec" == fp32 ]] && lathe_tps="${tps:-null}" || lathe_bf16="${tps:-null}"
  done
else
  notes+=("bench train --device cuda is not implemented yet: no Lathe throughput")
fi

torch_tps=null
if [[ -f bench/peers/pytorch_train_step.py && -n "$py" ]]; then
  line="$(timeout 100 "$py" bench/peers/pytorch_train_step.py --preset gpt2-124m 2>>"$log" | tail -1)"
  torch_tps="$(sed -n 's/.*"tokens_per_second":\([0-9.eE+-]*\).*/\1/p' <<<"$line")"; torch_tps="${torch_tps:-null}"
else
  notes+=("no bench/peers/pytorch_train_step.py: no PyTorch throughput")
fi

note="$(printf '%s; ' "${notes[@]+"${notes[@]}"}")"; note="${note%; }"
cat >"$OUT/gpu-results.json" <<JSON
{"device": "$device", "gpu_tests_passed": $passed, "gpu_tests_failed": ${failed:-0}, "gpu_tests_skipped": ${skipped:-0},
 "lathe_tokens_per_second": $lathe_tps, "lathe_bf16_tokens_per_second": $lathe_bf16,
 "pytorch_tokens_per_second": $torch_tps, "precision": "fp32/tf32 and bf16", "note": "${note//\"/\'}"}
JSON
cat "$OUT/gpu-results.json" | tee -a "$log"
