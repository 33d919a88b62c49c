#!/usr/bin/env python3
"""Checks `gan-studio embed`'s t-SNE map against scikit-learn's on the same inputs.

Reads the classifier features (`features.f32`, from `embed --save-features`) and the map in
`embedding.json`, fits scikit-learn's TSNE (Barnes-Hut, default settings) on the same features,
and scores both maps against one exact P (perplexity as in embedding.json): the KL divergence
t-SNE minimises and trustworthiness (k=12). Prints a markdown table.

    python3 bench/tsne_reference.py runs/bundled-cdcgan/embedding
"""
import json
import sys
import time

import numpy as np
from scipy.spatial.distance import pdist, squareform
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities


def exact_kl(distances_sq, perplexity, layout):
    """KL(P || Q) with P from the exact conditional Gaussians, Q from the layout's Student-t."""
    P = squareform(_joint_probabilities(distances_sq, perplexity, 0))
    P = np.maximum(P, 1e-12)
    num = 1.0 / (1.0 + squareform(pdist(layout, "sqeuclidean")))
    np.fill_diagonal(num, 0.0)
    Q = np.maximum(num / num.sum(), 1e-12)
    mask = ~np.eye(len(layout), dtype=bool)
    return float(np.sum(P[mask] * np.log(P[mask] / Q[mask])))


def main():
    folder = sys.argv[1]
    with open(f"{folder}/embedding.json") as f:
        meta = json.load(f)
    dim = meta["feature_dim"]
    features = np.fromfile(f"{folder}/features.f32", dtype="<f4").reshape(-1, dim).astype(np.float64)
    ours = np.asarray(meta["tsne"], dtype=np.float64)
    perplexity = meta["perplexity"]
    n = len(features)
    distances_sq = squareform(pdist(features, "sqeuclidean"))

    started = time.perf_counter()
    sk = TSNE(n_components=2, perplexity=perplexity, random_state=1, n_jobs=2).fit(features)
    sk_secs = time.perf_counter() - started
    rows = [
        ("gan-studio", ours, meta.get("tsne_seconds"), meta.get("tsne_kl_divergence")),
        ("scikit-learn", sk.embedding_, sk_secs, sk.kl_divergence_),
    ]
    print(f"{n} points, {dim} features, perplexity {perplexity}")
    print("| layout | seconds | range | KL, exact P | KL as the tool reports it | trustworthiness (k=12) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, layout, secs, reported in rows:
        kl = exact_kl(distances_sq, perplexity, layout)
        trust = trustworthiness(features, layout, n_neighbors=12)
        extent = np.abs(layout).max()
        secs = f"{secs:.1f}" if secs is not None else "-"
        reported = f"{reported:.3f}" if reported is not None else "-"
        print(f"| {name} | {secs} | ±{extent:.0f} | {kl:.3f} | {reported} | {trust:.4f} |")


if __name__ == "__main__":
    main()
