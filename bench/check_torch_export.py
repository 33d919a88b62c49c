#!/usr/bin/env python3
"""Checks that PyTorch, loading a `gan-studio export`, draws the same images as `gan-studio sample`
(or, for an exported classifier, reads images as the tool does).

    gan-studio export --run R --out exports/R
    gan-studio sample --run R --per-class 10 --floats --out samples/R
    python3 bench/check_torch_export.py exports/R samples/R

Loads the export with bench/torch_models.py (load_state_dict, strict), feeds it the latents
(and labels) `sample` used, and compares with the images `sample` wrote. Exits non-zero when
any pixel differs by more than the tolerance (default 1e-4, on the [-1, 1] scale).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import from_export  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("export")
    parser.add_argument("samples")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    model = from_export(args.export)
    if not hasattr(model, "latent_dim"):
        # A classifier: SAMPLES holds images.f32 and the tool's softmax rows, probabilities.f32.
        images = np.fromfile(os.path.join(args.samples, "images.f32"), dtype="<f4")
        expected = np.fromfile(os.path.join(args.samples, "probabilities.f32"), dtype="<f4")
        with torch.no_grad():
            x = torch.from_numpy(images.reshape(-1, 1, 28, 28).copy())
            ours = torch.softmax(model(x), dim=1).numpy().reshape(-1)
        worst = float(np.abs(ours - expected).max())
        print(f"{len(x)} images, max |PyTorch - gan-studio| softmax = {worst:.2e} (tolerance {args.tolerance:g})")
        return 0 if worst <= args.tolerance else 1
    latents = np.fromfile(os.path.join(args.samples, "latents.f32"), dtype="<f4")
    images = np.fromfile(os.path.join(args.samples, "images.f32"), dtype="<f4")
    z = torch.from_numpy(latents.reshape(-1, model.latent_dim).copy())
    labels = None
    labels_path = os.path.join(args.samples, "labels-idx1-ubyte")
    if os.path.exists(labels_path):
        raw = np.fromfile(labels_path, dtype=np.uint8)[8:]          # past the IDX header
        labels = torch.from_numpy(raw.astype(np.int64))
    with torch.no_grad():
        ours = model(z, labels).numpy().reshape(-1)
    if ours.shape != images.shape:
        print(f"shape mismatch: PyTorch {ours.shape}, gan-studio {images.shape}")
        return 1
    worst = float(np.abs(ours - images).max())
    print(f"{len(z)} images, max |PyTorch - gan-studio| = {worst:.2e} (tolerance {args.tolerance:g})")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
