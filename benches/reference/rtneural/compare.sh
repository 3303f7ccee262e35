#!/usr/bin/env bash
# W5 against RTNeural on this machine, in alternation: each round runs RTNeural's best
# backends (Eigen and xsimd, `-march=native`, and both with default flags), then nn's
# `cargo bench --bench sequences -- W5` (the steps and their products alone), so both see the
# same host load.
#
# Needs g++, an RTNeural checkout (tested: commit 1fb1f07) in $RTNEURAL_DIR, its pinned
# xsimd (a00c81f; headers in $XSIMD_INCLUDE, default $RTNEURAL_DIR/modules/xsimd/include: a
# distribution's older xsimd lacks `reduce_add`) and Eigen 3.4 in /usr/include/eigen3
# (Debian: libeigen3-dev). Not part of CI. Usage: RTNEURAL_DIR=/path/to/RTNeural benches/reference/rtneural/compare.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/../../.."
R=${RTNEURAL_DIR:?set RTNEURAL_DIR to an RTNeural checkout}
rounds=${1:-3}
out=target/rtneural
mkdir -p "$out"
src=benches/reference/rtneural/w5_bench.cpp
xs=${XSIMD_INCLUDE:-$R/modules/xsimd/include}
common=(-std=c++17 -O3 -I"$R" -I"$R/modules/json" -I"$xs" -I/usr/include/eigen3)
build() { # name, flags...
    local name=$1
    shift
    [ "$out/$name" -nt "$src" ] || g++ "${common[@]}" "$@" -DBACKEND_NAME="\"$name\"" "$src" -o "$out/$name"
}
build eigen-native -march=native -DRTNEURAL_USE_EIGEN=1 -DRTNEURAL_DEFAULT_ALIGNMENT=32
build xsimd-native -march=native -DRTNEURAL_USE_XSIMD=1 -DRTNEURAL_DEFAULT_ALIGNMENT=64
build eigen-default -DRTNEURAL_USE_EIGEN=1 -DRTNEURAL_DEFAULT_ALIGNMENT=32
build xsimd-default -DRTNEURAL_USE_XSIMD=1 -DRTNEURAL_DEFAULT_ALIGNMENT=32
cargo bench --bench sequences --no-run
for round in $(seq "$rounds"); do
    echo "=== round $round $(date +%T)"
    for b in eigen-native xsimd-native eigen-default xsimd-default; do
        "$out/$b" 1.0
    done
    cargo bench --bench sequences -- W5 2>&1 | grep -E "^W5|time:" | paste - -
done
