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
if [[ ! -f bench/target/lathe.jar || -n "$newest_src" || ! -d native-bindings/target/test-classes || ! -d core/target/test-classes ]]; then
  echo "device-bundle: building the jars" >&2
  mvn -B -q -o -DskipTests package >&2
  mvn -B -q -o -pl native-bindings,core test-compile >&2
fi
rm -rf "$out" && mkdir -p "$out/lib"
"$jdk/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,jdk.unsupported,java.management,jdk.zipfs \
  --compress=zip-9 --strip-debug --no-header-files --no-man-pages --output "$out/java"
# libjvm.so ships with its symbol tables (~29 MB); the runtime needs only the dynamic ones.
if command -v strip >/dev/null; then find "$out/java" -name '*.so' -exec strip --strip-unneeded {} +; fi
cp bench/target/lathe.jar "$out/lathe.jar"
(cd native-bindings/target/classes && "$jdk/bin/jar" cf "../../../$out/lib/native-bindings.jar" .)
(cd native-bindings/target/test-classes && "$jdk/bin/jar" cf "../../../$out/lib/native-bindings-tests.jar" .)
(cd core/target/classes && "$jdk/bin/jar" cf "../../../$out/lib/core.jar" .)
(cd core/target/test-classes && "$jdk/bin/jar" cf "../../../$out/lib/core-tests.jar" .)
mvn -B -q -pl native-bindings dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$PWD/$out/lib" >&2
du -sh "$out" | awk '{print "device-bundle: " $2 " is " $1}' >&2
