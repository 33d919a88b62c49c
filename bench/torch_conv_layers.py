#!/usr/bin/env python3
"""PyTorch (oneDNN) on the TF tutorial DCGAN's conv layers alone, batch 64: forward, and the
input and weight gradients apart and together, median ms of 15 runs. The same layers as
`cargo run --release --example conv_kernels` times for burn's fused kernels; run both in one
sitting.

    python3 bench/torch_conv_layers.py [--threads 2]
"""
import argparse
import time

import torch
import torch.nn.functional as F


def median_ms(run, repeats=15):
    for _ in range(3):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    batch = 64
    # (name, transposed, input (C, H, W), output channels, stride, output padding)
    layers = [
        ("G convT 256->128 7x7 s1", True, (256, 7, 7), 128, 1, 0),
        ("G convT 128->64 ->14x14 s2", True, (128, 7, 7), 64, 2, 1),
        ("G convT 64->1 ->28x28 s2", True, (64, 14, 14), 1, 2, 1),
        ("D conv 1->64 28->14 s2", False, (1, 28, 28), 64, 2, 0),
        ("D conv 64->128 14->7 s2", False, (64, 14, 14), 128, 2, 0),
    ]
    print("| layer | fwd ms | dx ms | dw ms | dx + dw ms |")
    print("|---|---:|---:|---:|---:|")
    for name, transposed, (c, h, w), out, stride, out_pad in layers:
        x = torch.randn(batch, c, h, w, requires_grad=True)
        if transposed:
            weight = torch.randn(c, out, 5, 5, requires_grad=True)
            forward = lambda: F.conv_transpose2d(x, weight, stride=stride, padding=2,
                                                 output_padding=out_pad)
        else:
            weight = torch.randn(out, c, 5, 5, requires_grad=True)
            forward = lambda: F.conv2d(x, weight, stride=stride, padding=2)
        grad = torch.randn_like(forward())
        fwd = median_ms(forward)

        def backward(wrt):
            return median_ms(lambda: torch.autograd.grad(forward(), wrt, grad)) - fwd

        dx, dw, both = backward([x]), backward([weight]), backward([x, weight])
        print(f"| {name} | {fwd:.2f} | {dx:.2f} | {dw:.2f} | {both:.2f} |")


if __name__ == "__main__":
    main()
