#!/usr/bin/env python3
"""How much of PyTorch's CPU use is work: the same question `gan-studio bench --phases` answers
for burn ("at work": CPU use less the time the kept-awake workers spin finding nothing).

PyTorch's OpenMP runtime (libgomp) spins at its barriers before it sleeps, and that spin counts
as CPU use. This samples `bench/pytorch_bench.py` with `perf record` (cpu-clock, every thread),
keeps the steady part of the run (the last 60%, less the last 0.5 s), and reports the CPU use
(samples over wall time) and the part of it outside libgomp. libgomp's own bookkeeping counts as
spin here, so "at work" is a slight underestimate.

    python3 bench/pytorch_at_work.py --arch cgan-medium [--steps 300] [--threads 2]

Needs `perf` and PyTorch (bench/install_torch_cpu.py). Linux only.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HZ = 999


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        bench = [sys.executable, os.path.join(here, "pytorch_bench.py"), "--arch", args.arch,
                 "--threads", str(args.threads), "--steps", str(args.steps), "--warmup", "20",
                 "--reuse-fake"]
        subprocess.run(["perf", "record", "-F", str(HZ), "-o", data, "--"] + bench,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        script = subprocess.run(["perf", "script", "-i", data, "-F", "time,ip,dso"], check=True,
                                capture_output=True, text=True, errors="replace").stdout
    samples = []
    for line in script.splitlines():
        # "TIME: IP (DSO)", one line per sample (no call chains recorded).
        time, _, leaf = line.strip().partition(":")
        try:
            samples.append((float(time), leaf))
        except ValueError:
            continue
    if not samples:
        sys.exit("pytorch_at_work: perf recorded no samples")
    samples.sort()
    first, last = samples[0][0], samples[-1][0]
    start, end = first + 0.4 * (last - first), last - 0.5
    kept = [leaf for t, leaf in samples if start <= t <= end]
    spin = sum("libgomp" in leaf for leaf in kept)
    wall = end - start
    print(f"{args.arch}, {args.threads} threads: {100 * len(kept) / (wall * HZ):.0f}% CPU, "
          f"{100 * (len(kept) - spin) / (wall * HZ):.0f}% at work "
          f"({100 * spin / max(len(kept), 1):.0f}% of samples in libgomp) over {wall:.1f} s")


if __name__ == "__main__":
    main()
