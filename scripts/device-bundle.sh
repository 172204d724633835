#!/usr/bin/env bash
# Packs what a GPU run needs into the git-ignored .device/bundle.tar.xz. It travels with the working tree, and
# tracked files plus carried ones must stay under 64 MiB, so everything goes into one xz archive (~25 MB):
# a jlink'ed Java runtime (the GPU machine has none; stored uncompressed so xz compresses it whole), the launcher
# jar (every module's classes and kernels), each module's compiled test classes and the test dependencies for the
# gpu-tagged tests. Test fixtures are not packed: they travel as tracked files and device-check.sh puts each
# module's src/test/resources folder on the class path. device-check.sh unpacks the archive. Prints the size.
# usage: scripts/device-bundle.sh        (builds the jars first when missing or older than the sources)
set -euo pipefail
cd "$(dirname "$0")/.."
jdk="${LATHE_BUNDLE_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[[ -x "$jdk/bin/jlink" ]] || { echo "device-bundle: no jlink under $jdk (set LATHE_BUNDLE_JDK)" >&2; exit 1; }
tested=(native-bindings core kernels models train)
newest_src="$(find native-bindings core kernels models train bench -path '*/src/*' -newer bench/target/lathe.jar -print -quit 2>/dev/null || true)"
missing_tests=""
for m in "${tested[@]}"; do [[ -d "$m/target/test-classes" ]] || missing_tests=1; done
if [[ ! -f bench/target/lathe.jar || -n "$newest_src" || -n "$missing_tests" ]]; then
  echo "device-bundle: building the jars" >&2
  mvn -B -q -o -DskipTests package >&2
  mvn -B -q -o -pl "$(IFS=,; echo "${tested[*]}")" -am test-compile >&2
fi
stage=target/device-bundle   # the unpacked bundle, as device-check.sh will see it under .device/
rm -rf "$stage" && mkdir -p "$stage/lib"
"$jdk/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,jdk.unsupported,java.management,jdk.zipfs \
  --compress=zip-0 --strip-debug --no-header-files --no-man-pages --output "$stage/java"
# libjvm.so ships with its symbol tables (~29 MB); the runtime needs only the dynamic ones.
if command -v strip >/dev/null; then find "$stage/java" -name '*.so' -exec strip --strip-unneeded {} +; fi
cp bench/target/lathe.jar "$stage/lathe.jar"
for m in "${tested[@]}"; do # classes only, with their folders (JUnit's package scan walks the jar's directories)
  classes="$PWD/$stage/classes-$m"
  mkdir -p "$classes"
  (cd "$m/target/test-classes" && find . -name '*.class' -exec cp --parents {} "$classes" \;)
  "$jdk/bin/jar" cf "$stage/lib/$m-tests.jar" -C "$classes" .
  rm -rf "$classes"
done
mvn -B -q -pl native-bindings dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$PWD/$stage/lib" >&2
rm -rf .device && mkdir -p .device
tar -C "$stage" -cf - . | xz -9 -T0 > .device/bundle.tar.xz
du -sh .device/bundle.tar.xz | awk '{print "device-bundle: " $2 " is " $1}' >&2
echo "device-bundle: tracked files $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) bytes; the limit for both is 67108864" >&2
