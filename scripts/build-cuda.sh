#!/usr/bin/env bash
# Compiles a module's src/main/cuda/*.cu into fatbins (sm_80 and sm_90 SASS + compute_90 PTX) under
# target/classes/cuda/, so kernel compile errors fail the build wherever nvcc exists. Without nvcc it says
# so and succeeds: the CUDA backend then compiles the embedded sources with NVRTC at run time.
# usage: build-cuda.sh MODULE_DIR
set -euo pipefail
module="$1"
src="$module/src/main/cuda"
out="$module/target/classes/cuda"
shopt -s nullglob
files=("$src"/*.cu)
[[ ${#files[@]} -eq 0 ]] && exit 0
if ! command -v nvcc >/dev/null; then
  echo "[cuda] nvcc not on PATH: skipping the compile of ${#files[@]} .cu files in $src" >&2
  exit 0
fi
mkdir -p "$out"
# Whether a .cuh beside the sources (shared device helpers every .cu may include) is newer than fatbin $1.
headers_newer() {
  local h
  for h in "$src"/*.cuh; do [[ "$h" -nt "$1" ]] && return 0; done
  return 1
}
for f in "${files[@]}"; do
  name="$(basename "$f" .cu)"
  if [[ -f "$out/$name.fatbin" && "$out/$name.fatbin" -nt "$f" ]] && ! headers_newer "$out/$name.fatbin"; then continue; fi
  echo "[cuda] nvcc $f" >&2
  nvcc -std=c++17 -O3 --fatbin \
    -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_90,code=compute_90 -o "$out/$name.fatbin" "$f"
done
