"""How often InfoGAN's neighbour pairs are the same class: the share of each training image's
k nearest other training images (in raw pixels, and deskewed as `src/data/deskew.rs` does it)
that carry its label, and how often classes 4 and 9 (MNIST's 4s and 9s) are paired across.

    python3 bench/pair_purity.py <MNIST or Fashion-MNIST folder with train-*-ubyte.gz> [k]
"""
import gzip
import sys

import numpy as np
import torch

torch.set_num_threads(2)
folder, k = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
raw = gzip.open(f"{folder}/train-images-idx3-ubyte.gz").read()
X = torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28).astype(np.float32) / 127.5 - 1)
raw = gzip.open(f"{folder}/train-labels-idx1-ubyte.gz").read()
Y = torch.from_numpy(np.frombuffer(raw, np.uint8, offset=8).astype(np.int64))


def deskewed(X):
    """The same shear and shift as src/data/deskew.rs: ink = (v + 1) / 2, bilinear, border repeated."""
    n, rows, cols = X.shape
    ink = (X + 1) / 2
    ys, xs = torch.meshgrid(torch.arange(rows, dtype=torch.float64), torch.arange(cols, dtype=torch.float64), indexing="ij")
    ink = ink.double()
    m = ink.sum((1, 2))
    cy, cx = (ink * ys).sum((1, 2)) / m, (ink * xs).sum((1, 2)) / m
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
    var_y = (ink * dy * dy).sum((1, 2))
    slant = torch.where(var_y > 1e-6, (ink * dy * dx).sum((1, 2)) / var_y, torch.zeros_like(var_y))
    my, mx = (rows - 1) / 2, (cols - 1) / 2
    sy = (ys[None] - my + cy[:, None, None]).clamp(0, rows - 1)
    sx = (xs[None] - mx + cx[:, None, None] + slant[:, None, None] * (ys[None] - my)).clamp(0, cols - 1)
    y0, x0 = sy.floor().long(), sx.floor().long()
    y1, x1 = (y0 + 1).clamp(max=rows - 1), (x0 + 1).clamp(max=cols - 1)
    fy, fx = (sy - y0).float(), (sx - x0).float()
    flat = X.reshape(n, -1)
    at = lambda yy, xx: flat.gather(1, (yy * cols + xx).reshape(n, -1)).reshape(n, rows, cols)
    top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
    bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
    return top * (1 - fy) + bottom * fy


def nearest(Z, k):
    Z = Z.reshape(Z.shape[0], -1)
    sq = (Z * Z).sum(1)
    out = torch.empty(Z.shape[0], k, dtype=torch.long)
    for s in range(0, Z.shape[0], 2000):
        D = sq[s:s + 2000, None] - 2 * Z[s:s + 2000] @ Z.T + sq[None]
        D[torch.arange(D.shape[0]), torch.arange(s, s + D.shape[0])] = float("inf")
        out[s:s + 2000] = D.topk(k, largest=False).indices
    return out


for name, Z in [("pixels", X), ("deskewed", deskewed(X))]:
    nb = nearest(Z, k)
    same = (Y[nb] == Y[:, None]).float()
    cross = ((Y[:, None] == 4) & (Y[nb] == 9)) | ((Y[:, None] == 9) & (Y[nb] == 4))
    share49 = cross.float().sum() / ((Y == 4) | (Y == 9)).sum() / k
    print(f"{name}: nearest of the same class {same[:, 0].mean():.4f}, {k} nearest {same.mean():.4f}, classes 4 and 9 paired across {share49:.4f}", flush=True)
