#!/usr/bin/env bash
# burn (this crate's `bench`) and PyTorch (bench/pytorch_bench.py --reuse-fake) on the same
# models, alternating model by model for several rounds, so a noisy shared machine slows both
# alike. Prints one row per round and model: median and fastest ms per step of each.
#
#   bench/side_by_side.sh [ROUNDS] [STEPS]        (defaults 4 and 15)
#   MODELS="acgan infogan" bench/side_by_side.sh   (default: every trained family)
#   DEVICE=gpu bench/side_by_side.sh               (burn on wgpu against PyTorch on CUDA)
#
# Needs the release binary (cargo build --release) and PyTorch (bench/install_torch_cpu.py; a
# CUDA build of PyTorch for DEVICE=gpu).
set -euo pipefail
rounds=${1:-4}
steps=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
bin=${GAN_STUDIO_BIN:-${CARGO_TARGET_DIR:-$here/../target}/release/gan-studio}
threads=$(nproc)
models=${MODELS:-dcgan cdcgan tf-dcgan cgan acgan 2n-gan infogan guided}
# The GPU's first steps compile and tune kernels: more warm-up there.
case ${DEVICE:-cpu} in
    cpu) burn_device=cpu torch_device=cpu burn_warmup=3 torch_warmup=5 ;;
    gpu) burn_device=wgpu torch_device=cuda burn_warmup=10 torch_warmup=10 ;;
    *) echo "DEVICE must be cpu or gpu" >&2; exit 2 ;;
esac
where="$(lscpu | sed -n 's/^Model name: *//p'), $threads threads"
[ "$torch_device" = cuda ] && where="$where, $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
echo "$where, $(date -u +%F)"
echo "| round | model | burn median | burn fastest | PyTorch median | PyTorch fastest | burn / PyTorch (median) |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for round in $(seq "$rounds"); do
    for model in $models; do
        arch=$model-medium
        [ "$model" = tf-dcgan ] && arch=tf-dcgan
        read -r b_med b_min < <("$bin" bench --device "$burn_device" --model "$model" \
            --steps "$steps" --warmup "$burn_warmup" 2>&1 | awk -F'|' '/ medium \|/ {split($6, r, "-"); print $5, r[1]}')
        read -r t_med t_min < <(python3 "$here/pytorch_bench.py" --threads "$threads" \
            --arch "$arch" --steps "$steps" --warmup "$torch_warmup" --device "$torch_device" --reuse-fake 2>&1 |
            awk -F'|' -v a="$arch" '$2 ~ " "a" " {print $3, $4}')
        ratio=$(awk -v b="$b_med" -v t="$t_med" 'BEGIN {printf "%.2f", b / t}')
        echo "| $round | $model | $b_med | $b_min | $t_med | $t_min | $ratio |"
    done
done
