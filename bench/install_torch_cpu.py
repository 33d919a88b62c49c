#!/usr/bin/env python3
"""Install a CPU-only PyTorch from PyPI without the ~2 GB of nvidia-* CUDA wheels.

Why: the only `torch` wheel PyPI has for linux x86_64 is the CUDA build. Its
dependencies (nvidia-cublas, nvidia-cudnn-cu13, nvidia-nccl-cu13, ... ~2 GB of
downloads, ~5 GB installed) are useless on a CPU-only machine, and the CPU-only
wheels live on PyTorch's own index, which may not be reachable. But
`pip install --no-deps torch` alone does not import: libtorch_cpu.so,
libtorch_cuda.so and libtorch_python.so have the CUDA libraries as DT_NEEDED
entries, so the dynamic loader fails before any Python runs
(e.g. "OSError: libcudart.so.13: cannot open shared object file").

What this script does (the exact commands, reproducible by hand):

    python3 -m pip install --no-deps torch==2.15.0
    python3 -m pip install filelock "typing-extensions>=4.13.0" "setuptools>=77.0.3" \
        "sympy>=1.13.3" "networkx>=2.5.1" jinja2 "fsspec>=0.8.5" mpmath markupsafe numpy
    # the two small real CUDA runtime wheels (2 MB + 12 MB): libcudart, libcupti
    python3 -m pip install --no-deps nvidia-cuda-runtime==13.2.86 nvidia-cuda-cupti==13.2.86
    # then (this script, step 4): build tiny stub .so files for every other CUDA
    # library the torch libs link against, into site-packages/nvidia/cu13/lib
    # (already on torch's RPATH), and check `import torch` works.

The stubs define exactly the symbols (and symbol versions) that torch's
libraries import from the missing CUDA libraries; every stub function aborts
with a clear message if it is ever called. CPU code never calls them:
`torch.cuda.is_available()` goes through the real libcudart and returns False.
Needs `readelf` (binutils) and `gcc`. Re-running is safe (old stubs are
replaced). To undo: delete the files listed in nvidia/cu13/lib/CPU_STUBS.txt,
or just `pip install torch==2.15.0` with dependencies for a real CUDA build.

Usage:  python3 bench/install_torch_cpu.py [--skip-pip]
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

TORCH = "torch==2.15.0"
PURE_DEPS = ["filelock", "typing-extensions>=4.13.0", "setuptools>=77.0.3", "sympy>=1.13.3",
             "networkx>=2.5.1", "jinja2", "fsspec>=0.8.5", "mpmath", "markupsafe",
             "numpy"]  # numpy is optional for torch; installed to avoid its import warning
SMALL_CUDA = ["nvidia-cuda-runtime==13.2.86", "nvidia-cuda-cupti==13.2.86"]
# Libraries loaded when `import torch` runs (libtorch_cuda_linalg, libcaffe2_nvrtc
# are dlopen()ed lazily and only for CUDA work, so they are not needed).
EAGER = ["libtorch_global_deps.so", "libc10.so", "libc10_cuda.so", "libtorch_cpu.so",
         "libtorch_nvshmem.so", "libtorch_cuda.so", "libtorch.so", "libshm.so", "libtorch_python.so"]
MANIFEST = "CPU_STUBS.txt"

STUB_C = r"""
#include <stdio.h>
#include <stdlib.h>
__attribute__((visibility("hidden"))) void cuda_stub_called(const char *name) {
    fprintf(stderr, "fatal: CUDA function %s called, but this PyTorch install is CPU-only "
                    "(stub library made by bench/install_torch_cpu.py)\n", name);
    abort();
}
"""


def pip(*args):
    cmd = [sys.executable, "-m", "pip", "install", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], capture_output=True, text=True, check=True).stdout


def dyn_syms(path):
    """Return (undefined [(name, version|None, type)], defined {name})."""
    undef, defined = [], set()
    for line in readelf("--dyn-syms", path).splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":") or not f[0][:-1].isdigit():
            continue
        typ, bind, ndx, name = f[3], f[4], f[6], f[7]
        base, _, ver = name.partition("@")
        if ndx != "UND":
            defined.add(base)
        elif base and bind != "WEAK":
            undef.append((base, ver.lstrip("@") or None, typ))
    return undef, defined


def needed(path):
    return [l.split("[")[1].rstrip("]") for l in readelf("-d", path).splitlines() if "(NEEDED)" in l]


def version_files(path):
    """Map symbol-version name -> the library (soname) that must define it."""
    out, cur = {}, None
    for line in readelf("-V", path).splitlines():
        if "File:" in line:
            cur = line.split("File:")[1].split()[0]
        elif "Name:" in line and cur:
            out[line.split("Name:")[1].split()[0]] = cur
    return out


def system_libs():
    libs = {}
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines()[1:]:
        if "=>" in line and "x86-64" in line:
            libs.setdefault(line.split()[0], line.split("=>")[1].strip())
    return libs


def make_stubs():
    torch_lib = os.path.join(os.path.dirname(importlib.util.find_spec("torch").origin), "lib")
    stub_dir = os.path.normpath(os.path.join(torch_lib, "..", "..", "nvidia", "cu13", "lib"))
    os.makedirs(stub_dir, exist_ok=True)
    manifest = os.path.join(stub_dir, MANIFEST)
    if os.path.exists(manifest):  # re-run: drop our old stubs first
        for name in open(manifest).read().split():
            if os.path.exists(os.path.join(stub_dir, name)):
                os.remove(os.path.join(stub_dir, name))
        os.remove(manifest)

    nvidia_root = os.path.dirname(os.path.dirname(stub_dir))
    found = {n: os.path.join(d, n) for d in [torch_lib] + [os.path.join(nvidia_root, p, "lib")
             for p in os.listdir(nvidia_root)] if os.path.isdir(d) for n in os.listdir(d)}
    sys_libs = system_libs()

    eager = [os.path.join(torch_lib, n) for n in EAGER]
    missing = sorted({n for p in eager for n in needed(p) if n not in found and n not in sys_libs})
    if not missing:
        print("no CUDA library is missing; nothing to stub")
        return

    # Everything defined by the libraries that do exist (system, torch, real CUDA wheels).
    providers = set(eager)
    for p in eager:
        providers |= {found.get(n) or sys_libs.get(n) for n in needed(p)} - {None}
    defined = set()
    for p in providers:
        defined |= dyn_syms(p)[1]

    per_lib = {m: {} for m in missing}       # soname -> {symbol: (version, type)}
    unversioned = {}
    for p in eager:
        vfile = version_files(p)
        for name, ver, typ in dyn_syms(p)[0]:
            if name in defined or name.startswith(("Py", "_Py")):  # Python C-API: from the interpreter
                continue
            if ver and vfile.get(ver) in per_lib:
                per_lib[vfile[ver]][name] = (ver, typ)
            elif not ver:
                unversioned[name] = (None, typ)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        common = os.path.join(tmp, "common.c")
        open(common, "w").write(STUB_C)
        for soname in missing:
            # unversioned leftovers (ncclX, cusparseLtX, cuFileX) go into every stub: any one satisfies them
            syms = dict(unversioned, **per_lib[soname])
            vers = sorted({v for v, _ in syms.values() if v})
            asm = ['.section .note.GNU-stack,"",@progbits']
            for i, (name, (_, typ)) in enumerate(sorted(syms.items())):
                if typ == "OBJECT":
                    asm += [".data", f".globl {name}", f".type {name},@object", f".size {name},256",
                            f"{name}:", ".zero 256"]
                else:
                    asm += [".section .rodata", f".Ls{i}: .asciz \"{name}\"", ".text",
                            f".globl {name}", f".type {name},@function", f"{name}:",
                            f"lea .Ls{i}(%rip), %rdi", "jmp cuda_stub_called"]
            s_path, map_path = os.path.join(tmp, soname + ".s"), os.path.join(tmp, soname + ".map")
            open(s_path, "w").write("\n".join(asm) + "\n")
            # Version script: one node per required version holding its symbols;
            # unversioned symbols go in the first node (or an anonymous one).
            nodes = []
            for j, v in enumerate(vers or [""]):
                names = [n for n, (sv, _) in sorted(syms.items()) if sv == v or (j == 0 and not sv)]
                local = " local: *;" if j == 0 else ""
                nodes.append(f"{v} {{ global: {' '.join(n + ';' for n in names)}{local} }};")
            open(map_path, "w").write("\n".join(nodes) + "\n")
            out = os.path.join(stub_dir, soname)
            subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", out, f"-Wl,-soname,{soname}",
                            f"-Wl,--version-script,{map_path}", common, s_path], check=True)
            made.append(soname)
            print(f"stub {soname}: {len(syms)} symbols, versions {vers or '-'}")
    open(manifest, "w").write("\n".join(made) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-pip", action="store_true", help="only (re)build the stub libraries")
    args = ap.parse_args()
    if not args.skip_pip:
        pip("--no-deps", TORCH)
        pip(*PURE_DEPS)
        pip("--no-deps", *SMALL_CUDA)
    make_stubs()
    check = "import torch; x = torch.randn(2, 2); print(torch.__version__, 'cuda:', torch.cuda.is_available()); print(x @ x)"
    subprocess.run([sys.executable, "-c", check], check=True)


if __name__ == "__main__":
    main()
