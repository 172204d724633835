#!/usr/bin/env bash
# Packs what a GPU run needs into the git-ignored .device/ (it travels with the working tree, which must stay
# under 64 MiB): a jlink'ed, compressed Java runtime (the GPU machine has none), the launcher jar, and the
# native-bindings and core classes, their test classes and test dependencies for the gpu-tagged tests. Prints the size.
# usage: scripts/device-bundle.sh        (builds the jars first when missing or older than the sources)
set -euo pipefail
cd "$(dirname "$0")/.."
jdk="${LATHE_BUNDLE_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[[ -x "$jdk/bin/jlink" ]] || { echo "device-bundle: no jlink under $jdk (set LATHE_BUNDLE_JDK)" >&2; exit 1; }
out=.device
newest_src="$(find native-bindings core kernels models train bench -path '*/src/*' -newer bench/target/lathe.jar -print -quit 2>/dev/null || true)"
tested=(native-bindings core kernels models train)
missing_tests=""
for m in "${tested[@]}"; do [[ -d "$m/target/test-classes" ]] || missing_tests=1; done
if [[ ! -f bench/target/lathe.jar || -n "$newest_src" || -n "$missing_tests" ]]; then
  echo "device-bundle: building the jars" >&2
  mvn -B -q -o -DskipTests package >&2
  mvn -B -q -o -pl "$(IFS=,; echo "${tested[*]}")" -am test-compile >&2
fi
rm -rf "$out" && mkdir -p "$out/lib"
"$jdk/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,jdk.unsupported,java.management,jdk.zipfs \
  --compress=zip-9 --strip-debug --no-header-files --no-man-pages --output "$out/java"
# libjvm.so ships with its symbol tables (~29 MB); the runtime needs only the dynamic ones.
if command -v strip >/dev/null; then find "$out/java" -name '*.so' -exec strip --strip-unneeded {} +; fi
cp bench/target/lathe.jar "$out/lathe.jar"
# The launcher jar holds every module's classes and kernels; each module's test classes go to lib/ (classes only).
for m in "${tested[@]}"; do
  (cd "$m/target/test-classes" && find . -name '*.class' -print0 | xargs -0 "$jdk/bin/jar" cf "../../../$out/lib/$m-tests.jar")
done
mvn -B -q -pl native-bindings dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$PWD/$out/lib" >&2
du -sh "$out" | awk '{print "device-bundle: " $2 " is " $1}' >&2
