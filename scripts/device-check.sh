#!/usr/bin/env bash
# The whole GPU check in one call (run on the GPU machine after scripts/device-bundle.sh here): the gpu-tagged
# tests with the bundled Java, `bench train --device cuda` (TF32 and BF16, GPT-2 124M at B=8, T=1024) and the
# same step in the machine's PyTorch. Writes $OUT/gpu-results.json
# {device, gpu_tests_passed, gpu_tests_failed, lathe_tokens_per_second, pytorch_tokens_per_second, precision}
# and $OUT/device-check.log. Never fails on a missing piece: it records a note instead.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/.device/out}"; mkdir -p "$OUT"
log="$OUT/device-check.log"; : >"$log"
say() { echo "[device-check] $*" | tee -a "$log" >&2; }
java=.device/java/bin/java
# device-bundle.sh ships the runtime, jars and test classes as one archive: unpack it beside itself.
if [[ ! -x "$java" && -f .device/bundle.tar.xz ]]; then xz -dc .device/bundle.tar.xz | tar -C .device -xf -; fi
[[ -x "$java" ]] || { say "no .device/bundle.tar.xz: run scripts/device-bundle.sh first"; exit 1; }
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
# Test fixtures are read from the modules' tracked src/test/resources folders.
cp=".device/lathe.jar:.device/lib/*"; for m in native-bindings core kernels models train; do cp+=":$m/src/test/resources"; done
tests="$(timeout 120 "$java" "${jflags[@]}" -cp "$cp" dev.lathe.bindings.cuda.GpuTestMain 2>>"$log" | tail -1)"
passed="$(sed -n 's/.*"passed":\([0-9]*\).*/\1/p' <<<"$tests")"; failed="$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' <<<"$tests")"
skipped="$(sed -n 's/.*"skipped":\([0-9]*\).*/\1/p' <<<"$tests")"
[[ -z "$passed" ]] && { passed=0; failed=0; notes+=("the gpu test run did not finish (see device-check.log)"); }
[[ "${skipped:-0}" -gt 0 && "$passed" -eq 0 ]] && notes+=("gpu tests skipped ($skipped): see device-check.log for the reason")
say "gpu tests: $tests"

# GPT-2 124M, B=8, T=1024, in fp32 (TF32 tensor cores) and BF16 mixed precision, Lathe then PyTorch on this card.
shape=(--preset gpt2-124m --batch-size 8 --seq-len 1024 --steps 5 --warmup 2)
tps_of() { sed -n 's/.*"tokens_per_second": *\([0-9.eE+-]*\).*/\1/p' <<<"$1"; }
declare -A lathe torch
for prec in tf32 bf16; do
  line="$(timeout 60 "$java" "${jflags[@]}" -jar .device/lathe.jar bench train --device cuda --precision "$prec" \
    "${shape[@]}" 2>>"$log" | tail -1)"
  say "lathe $prec: $line"; lathe[$prec]="$(tps_of "$line")"
  [[ -z "${lathe[$prec]}" ]] && notes+=("lathe bench train --precision $prec gave no result (see device-check.log)")
  if [[ -n "$py" ]]; then
    line="$(timeout 60 "$py" bench/peers/pytorch_train_step.py --device cuda --precision "$prec" "${shape[@]}" 2>>"$log" | tail -1)"
    say "pytorch $prec: $line"; torch[$prec]="$(tps_of "$line")"
  fi
done

note="$(printf '%s; ' "${notes[@]+"${notes[@]}"}")"; note="${note%; }"
cat >"$OUT/gpu-results.json" <<JSON
{"device": "$device", "gpu_tests_passed": $passed, "gpu_tests_failed": ${failed:-0}, "gpu_tests_skipped": ${skipped:-0},
 "precision": "bf16", "lathe_tokens_per_second": ${lathe[bf16]:-null}, "pytorch_tokens_per_second": ${torch[bf16]:-null},
 "lathe_tf32_tokens_per_second": ${lathe[tf32]:-null}, "pytorch_tf32_tokens_per_second": ${torch[tf32]:-null},
 "shape": "gpt2-124m B=8 T=1024", "note": "${note//\"/\'}"}
JSON
cat "$OUT/gpu-results.json" | tee -a "$log"
