#!/usr/bin/env bash
# burn (this crate's `bench`) and PyTorch (bench/pytorch_bench.py --reuse-fake) on the same
# models, alternating model by model for several rounds, so a noisy shared machine slows both
# alike. Prints one row per round and model: median and fastest ms per step of each.
#
#   bench/side_by_side.sh [ROUNDS] [STEPS]        (defaults 4 and 15)
#   MODELS="acgan infogan" bench/side_by_side.sh   (default: every trained family)
#
# Needs the release binary (cargo build --release) and PyTorch (bench/install_torch_cpu.py).
set -euo pipefail
rounds=${1:-4}
steps=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
bin=${GAN_STUDIO_BIN:-${CARGO_TARGET_DIR:-$here/../target}/release/gan-studio}
threads=$(nproc)
models=${MODELS:-dcgan cdcgan tf-dcgan cgan acgan 2n-gan infogan guided}
echo "$(lscpu | sed -n 's/^Model name: *//p'), $threads threads, $(date -u +%F)"
echo "| round | model | burn median | burn fastest | PyTorch median | PyTorch fastest | burn / PyTorch (median) |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for round in $(seq "$rounds"); do
    for model in $models; do
        arch=$model-medium
        [ "$model" = tf-dcgan ] && arch=tf-dcgan
        read -r b_med b_min < <("$bin" bench --device cpu --model "$model" --steps "$steps" \
            --warmup 3 2>&1 | awk -F'|' '/ medium \|/ {split($6, r, "-"); print $5, r[1]}')
        read -r t_med t_min < <(python3 "$here/pytorch_bench.py" --threads "$threads" \
            --arch "$arch" --steps "$steps" --reuse-fake 2>&1 |
            awk -F'|' -v a="$arch" '$2 ~ " "a" " {print $3, $4}')
        ratio=$(awk -v b="$b_med" -v t="$t_med" 'BEGIN {printf "%.2f", b / t}')
        echo "| $round | $model | $b_med | $b_min | $t_med | $t_min | $ratio |"
    done
done
