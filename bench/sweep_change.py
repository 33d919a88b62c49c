#!/usr/bin/env python3
"""How far an InfoGAN code sweep moves the pictures.

Reads grids written by `gan-studio sample --run R --per-class 10 --sweep-code K` (one row per
category code, 10 columns sweeping the code from -2 to 2, tiles with 2 pixels of padding) and
prints the mean absolute pixel change (pixels in [0, 1]) between the first and last columns,
and between neighbouring columns, over all rows. ImageMagick's `convert` reads the PNG, so
nothing beyond numpy is needed.

    python3 bench/sweep_change.py sweep-c1.png sweep-c2.png
"""
import subprocess
import sys

import numpy as np

COLUMNS, PADDING = 10, 2


def grid(path):
    size = subprocess.run(["identify", "-format", "%w %h", path], capture_output=True,
                          check=True, text=True).stdout.split()
    width, height = int(size[0]), int(size[1])
    raw = subprocess.run(["convert", path, "-depth", "8", "gray:-"], capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width).astype(np.float64) / 255


def main():
    for path in sys.argv[1:]:
        g = grid(path)
        side = (g.shape[1] - PADDING) // COLUMNS - PADDING
        rows = (g.shape[0] - PADDING) // (side + PADDING)
        step = side + PADDING

        def tile(r, c):
            return g[PADDING + r * step: PADDING + r * step + side,
                     PADDING + c * step: PADDING + c * step + side]

        ends = np.mean([np.abs(tile(r, 0) - tile(r, COLUMNS - 1)).mean() for r in range(rows)])
        steps = np.mean([np.abs(tile(r, c) - tile(r, c + 1)).mean()
                         for r in range(rows) for c in range(COLUMNS - 1)])
        print(f"{path}: -2 to +2 {ends:.3f}, per column {steps:.3f} ({rows} rows of {side}px)")


if __name__ == "__main__":
    main()
