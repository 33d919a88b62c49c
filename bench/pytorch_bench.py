#!/usr/bin/env python3
"""PyTorch reference for GAN Studio's training throughput (compare with burn), on the CPU or,
with --device cuda, on an NVIDIA GPU (compare with `gan-studio bench --device wgpu`).

Trains small GANs on MNIST-shaped random data (1x28x28 in [-1, 1], labels 0-9) and
reports the time per training step: DCGAN, the conditional DCGAN, the TensorFlow tutorial's
DCGAN, and the families (dense CGAN, ACGAN, 2N-class GAN, InfoGAN, classifier-guided
cDCGAN) as burn builds them by
default at medium depth, each with its own losses (src/family/*.rs).

One step (default; the BCE terms are each family's own losses for the families):
  1. D update:  fake = G(z).detach();  loss_D = BCE(D(real), 1) + BCE(D(fake), 0)
  2. G update:  fake = G(z) again (same z);  loss_G = BCE(D(fake), 1)
  so the generator runs forward twice per step. With --reuse-fake, G runs once
  and the same fake batch (detached for D) is used for the G update.
Loss is BCEWithLogits; both optimizers are Adam(lr=2e-4, betas=(0.5, 0.999)).
Each architecture gets 5 warm-up steps, then --steps individually timed steps
(--repeats times); the table gives median/min/max ms per step and
images/s = batch / median step time.

Install (CPU only, no internet besides PyPI; see bench/install_torch_cpu.py):
    python3 bench/install_torch_cpu.py
  which runs
    python3 -m pip install --no-deps torch==2.15.0
    python3 -m pip install filelock "typing-extensions>=4.13.0" "setuptools>=77.0.3" \\
        "sympy>=1.13.3" "networkx>=2.5.1" jinja2 "fsspec>=0.8.5" mpmath markupsafe numpy
    python3 -m pip install --no-deps nvidia-cuda-runtime==13.2.86 nvidia-cuda-cupti==13.2.86
  and then builds small stub libraries for the other CUDA libs torch links against
  (the PyPI linux wheel is the CUDA build; this avoids ~2 GB of nvidia-* wheels).
  Where PyTorch's own CPU wheel index is reachable, that wheel works as well.

Run:
    python3 bench/pytorch_bench.py                      # all archs, all cores
    python3 bench/pytorch_bench.py --arch tf-dcgan --threads 1 --steps 50
    python3 bench/pytorch_bench.py --reuse-fake --json  # + one JSON object per arch
    python3 bench/pytorch_bench.py --device cuda --reuse-fake [--no-tf32]

On CUDA every timed step ends with torch.cuda.synchronize(), as burn's step ends by reading its
losses back, so both clocks stop when the GPU has finished. --no-tf32 keeps cuDNN's convolutions
in full fp32 (PyTorch lets them use TF32 tensor cores by default; burn's wgpu kernels are fp32).
"""
import argparse
import json
import os
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F

IMG = (1, 28, 28)
LATENT = 100
SLOPE = 0.2  # LeakyReLU negative slope of the DCGAN discriminators
TF_SLOPE = 0.3  # Keras LeakyReLU() default, used throughout the TF tutorial
DEVICE = torch.device("cpu")  # set by --device before any model is built


# --- a) dcgan-medium -------------------------------------------------------------
class DcganG(nn.Module):
    def __init__(self, w=64):
        super().__init__()
        self.w = w
        self.fc = nn.Linear(LATENT, 2 * w * 7 * 7, bias=False)     # (B,100) -> (B,2w*49)
        self.net = nn.Sequential(
            nn.BatchNorm2d(2 * w), nn.ReLU(),                       # (B,2w,7,7)
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),      # -> (B,w,14,14)
            nn.BatchNorm2d(w), nn.ReLU(),                           # (B,w,14,14)
            nn.ConvTranspose2d(w, 1, 4, 2, 1),                      # -> (B,1,28,28)
            nn.Tanh(),
        )

    def forward(self, z, labels=None):
        return self.net(self.fc(z).view(-1, 2 * self.w, 7, 7))      # reshape -> (B,2w,7,7)


class DcganD(nn.Module):
    def __init__(self, w=64, in_ch=1, outputs=1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, w, 4, 2, 1), nn.LeakyReLU(SLOPE),      # (B,in,28,28) -> (B,w,14,14)
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),               # -> (B,2w,7,7)
            nn.BatchNorm2d(2 * w), nn.LeakyReLU(SLOPE),
            nn.Flatten(),                                           # -> (B,2w*49)
            nn.Linear(2 * w * 7 * 7, outputs),                      # -> (B,outputs) logits
        )

    def forward(self, x, labels=None):
        return self.net(x)


# --- b) cdcgan-medium: label embedding projected to one extra feature map ---------
class CdcganG(nn.Module):
    def __init__(self, w=64, emb=50):
        super().__init__()
        self.w = w
        self.fc = nn.Linear(LATENT, 2 * w * 7 * 7, bias=False)     # (B,100) -> (B,2w*49)
        self.embed = nn.Embedding(10, emb)                          # (B,) -> (B,50)
        self.label_fc = nn.Linear(emb, 7 * 7)                       # (B,50) -> (B,49)
        self.net = nn.Sequential(
            nn.BatchNorm2d(2 * w + 1), nn.ReLU(),                   # (B,2w+1,7,7)
            nn.ConvTranspose2d(2 * w + 1, w, 4, 2, 1, bias=False),  # -> (B,w,14,14)
            nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, 2, 1),                      # -> (B,1,28,28)
            nn.Tanh(),
        )

    def forward(self, z, labels):
        h = self.fc(z).view(-1, 2 * self.w, 7, 7)                   # (B,2w,7,7)
        c = self.label_fc(self.embed(labels)).view(-1, 1, 7, 7)     # (B,1,7,7)
        return self.net(torch.cat([h, c], dim=1))                   # cat -> (B,2w+1,7,7)


class CdcganD(nn.Module):
    def __init__(self, w=64, emb=50):
        super().__init__()
        self.embed = nn.Embedding(10, emb)                          # (B,) -> (B,50)
        self.label_fc = nn.Linear(emb, 28 * 28)                     # (B,50) -> (B,784)
        self.body = DcganD(w, in_ch=2)                              # (B,2,28,28) -> (B,1)

    def forward(self, x, labels):
        c = self.label_fc(self.embed(labels)).view(-1, *IMG)        # (B,1,28,28)
        return self.body(torch.cat([x, c], dim=1))                  # cat -> (B,2,28,28)


# --- c) tf-dcgan: the TensorFlow DCGAN tutorial's models --------------------------
# (Keras's LeakyReLU slope 0.3 as in the tutorial; PyTorch BN eps/momentum defaults as for
#  the other models: same FLOPs.)
class TfDcganG(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(LATENT, 7 * 7 * 256, bias=False),             # (B,100) -> (B,12544)
            nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(TF_SLOPE),
        )
        self.net = nn.Sequential(                                   # input (B,256,7,7)
            nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False),      # -> (B,128,7,7)
            nn.BatchNorm2d(128), nn.LeakyReLU(TF_SLOPE),
            nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False),  # -> (B,64,14,14)
            nn.BatchNorm2d(64), nn.LeakyReLU(TF_SLOPE),
            nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False),    # -> (B,1,28,28)
            nn.Tanh(),
        )

    def forward(self, z, labels=None):
        return self.net(self.fc(z).view(-1, 256, 7, 7))             # reshape -> (B,256,7,7)


class TfDcganD(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(TF_SLOPE),         # (B,1,28,28) -> (B,64,14,14)
            nn.Dropout(0.3),
            nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(TF_SLOPE),       # -> (B,128,7,7)
            nn.Dropout(0.3),
            nn.Flatten(),                                           # -> (B,6272)
            nn.Linear(128 * 7 * 7, 1),                              # -> (B,1) logit
        )

    def forward(self, x, labels=None):
        return self.net(x)


# --- d) the families, as burn builds them by default (`GanConfig::new(model)`, medium):
# G takes the label one-hot beside z (`one_hot_labels`); cDCGAN's D reads the label as a map,
# the others predict it with a wider head. Losses as src/family/*.rs.
CLASSES = 10
CODES = 2  # InfoGAN's continuous codes, the last coordinates of z


class OneHotG(DcganG):
    def __init__(self, w=64):
        super().__init__(w)
        self.fc = nn.Linear(LATENT + CLASSES, 2 * w * 7 * 7, bias=False)  # (B,110) -> (B,2w*49)

    def forward(self, z, labels):
        return super().forward(torch.cat([z, F.one_hot(labels, CLASSES).float()], 1))


class MapD(nn.Module):  # cDCGAN's D: the label as a 28x28 map beside the image
    def __init__(self, w=64, emb=50):
        super().__init__()
        self.embed = nn.Embedding(CLASSES, emb)                     # (B,) -> (B,50)
        self.label_fc = nn.Linear(emb, 28 * 28)                     # (B,50) -> (B,784)
        self.body = DcganD(w, in_ch=2)                              # (B,2,28,28) -> (B,1)

    def forward(self, x, labels):
        c = self.label_fc(self.embed(labels)).view(-1, *IMG)        # (B,1,28,28)
        return self.body(torch.cat([x, c], dim=1))


def head_d(outputs):
    class HeadD(DcganD):
        def __init__(self):
            super().__init__(outputs=outputs)
    return HeadD


class InfoG(OneHotG):  # its last CODES coordinates of z map N(0,1) -> U(-1,1)
    def forward(self, z, labels):
        u = torch.erf(z[:, -CODES:] / 2 ** 0.5)
        return super().forward(torch.cat([z[:, :-CODES], u], 1), labels)


class InfoPaperG(nn.Module):  # src/model/info.rs: [z, one-hot] -> FC 1024 -> DCGAN's G
    def __init__(self, w=64, hidden=1024):
        super().__init__()
        self.hidden = nn.Sequential(
            nn.Linear(LATENT + CLASSES, hidden, bias=False),            # (B,110) -> (B,1024)
            nn.BatchNorm1d(hidden), nn.ReLU())
        self.body = DcganG(w)
        self.body.fc = nn.Linear(hidden, 2 * w * 7 * 7, bias=False)   # (B,1024) -> (B,2w*49)

    def forward(self, z, labels):
        u = torch.erf(z[:, -CODES:] / 2 ** 0.5)
        z = torch.cat([z[:, :-CODES], u, F.one_hot(labels, CLASSES).float()], 1)
        return self.body(self.hidden(z))


class InfoPaperD(nn.Module):  # DCGAN's convs -> FC 1024 trunk; head 1; Q: FC 128 -> C + K
    def __init__(self, w=64, hidden=1024):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(SLOPE),              # (B,1,28,28) -> (B,w,14,14)
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),                   # -> (B,2w,7,7)
            nn.BatchNorm2d(2 * w), nn.LeakyReLU(SLOPE), nn.Flatten(),
            nn.Linear(2 * w * 7 * 7, hidden, bias=False),               # -> (B,1024)
            nn.BatchNorm1d(hidden), nn.LeakyReLU(SLOPE))
        self.head = nn.Linear(hidden, 1)                                # -> (B,1)
        self.q = nn.Sequential(
            nn.Linear(hidden, 128, bias=False), nn.BatchNorm1d(128), nn.LeakyReLU(SLOPE),
            nn.Linear(128, CLASSES + CODES))                            # -> (B,12)

    def forward(self, x, labels=None):
        h = self.trunk(x)
        return torch.cat([self.head(h), self.q(h)], 1)                  # (B,1+12)


# --- e) cgan-medium: dense, the label embedded beside z and beside the flat image ----------
class DenseG(nn.Module):
    def __init__(self, emb=50):
        super().__init__()
        self.embed = nn.Embedding(CLASSES, emb)
        self.net = nn.Sequential(
            nn.Linear(LATENT + emb, 256), nn.BatchNorm1d(256), nn.LeakyReLU(SLOPE),  # (B,150) -> (B,256)
            nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(SLOPE),           # -> (B,512)
            nn.Linear(512, 28 * 28), nn.Tanh(),                                      # -> (B,784)
        )

    def forward(self, z, labels):
        return self.net(torch.cat([z, self.embed(labels)], 1)).view(-1, *IMG)


class DenseD(nn.Module):
    def __init__(self, emb=50):
        super().__init__()
        self.embed = nn.Embedding(CLASSES, emb)
        self.net = nn.Sequential(
            nn.Linear(28 * 28 + emb, 512), nn.LeakyReLU(SLOPE),                      # (B,834) -> (B,512)
            nn.Linear(512, 256), nn.BatchNorm1d(256), nn.LeakyReLU(SLOPE),           # -> (B,256)
            nn.Linear(256, 1),                                                       # -> (B,1)
        )

    def forward(self, x, labels):
        return self.net(torch.cat([x.flatten(1), self.embed(labels)], 1))


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def binary_losses():
    d = lambda real, fake, yr, yf, z: bce(real, 1.0) + bce(fake, 0.0)
    g = lambda fake, yf, z, images: bce(fake, 1.0)
    return d, g


def acgan_losses():  # D: source + class CE on real only (burn's default); G: source + class CE
    d = lambda real, fake, yr, yf, z: (bce(real[:, :1], 1.0) + bce(fake[:, :1], 0.0)
                                       + F.cross_entropy(real[:, 1:], yr))
    g = lambda fake, yf, z, images: bce(fake[:, :1], 1.0) + F.cross_entropy(fake[:, 1:], yf)
    return d, g


def two_n_losses():  # one 2N-way softmax: "real, c" is c, "fake, c" is N + c
    d = lambda real, fake, yr, yf, z: (F.cross_entropy(real, yr)
                                       + F.cross_entropy(fake, yf + CLASSES))
    g = lambda fake, yf, z, images: F.cross_entropy(fake, yf)
    return d, g


def infogan_losses(cat_weight=1.0, cont_weight=0.1):
    def info(out, codes, z):
        estimates = out[:, 1 + CLASSES:]
        target = torch.erf(z[:, -CODES:] / 2 ** 0.5)
        nll = (estimates - target).square().sum() / (2 * out.shape[0])
        return cat_weight * F.cross_entropy(out[:, 1:1 + CLASSES], codes) + cont_weight * nll
    d = lambda real, fake, yr, yf, z: (bce(real[:, :1], 1.0) + bce(fake[:, :1], 0.0)
                                       + info(fake, yf, z))
    g = lambda fake, yf, z, images: bce(fake[:, :1], 1.0) + info(fake, yf, z)
    return d, g


# --- f) guided: the conditional DCGAN whose G also minimises a frozen LeNet's cross-entropy
# on its samples (the bundled MNIST classifier's shape: conv 32 and 64, 120, 84), weight 1.
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # (B,1,28,28) -> (B,32,14,14)
            nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2),             # -> (B,64,5,5)
            nn.Flatten(), nn.Linear(64 * 25, 120), nn.ReLU(),             # -> (B,120)
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, CLASSES),        # -> (B,10)
        )

    def forward(self, x):
        return self.net(x)


def guided_losses(weight=1.0):
    classifier = LeNet().to(DEVICE).eval().requires_grad_(False)
    d = lambda real, fake, yr, yf, z: bce(real, 1.0) + bce(fake, 0.0)
    g = lambda fake, yf, z, images: (bce(fake, 1.0)
                                     + weight * F.cross_entropy(classifier(images), yf))
    return d, g


ARCHS = {
    "dcgan-medium": (DcganG, DcganD, binary_losses),
    "cdcgan-medium": (OneHotG, MapD, binary_losses),
    "cdcgan-medium-label-map": (CdcganG, CdcganD, binary_losses),
    "tf-dcgan": (TfDcganG, TfDcganD, binary_losses),
    "cgan-medium": (DenseG, DenseD, binary_losses),
    "acgan-medium": (OneHotG, head_d(1 + CLASSES), acgan_losses),
    "2n-gan-medium": (OneHotG, head_d(2 * CLASSES), two_n_losses),
    "infogan-medium": (InfoPaperG, InfoPaperD, infogan_losses),
    "infogan-medium-dcgan-nets": (InfoG, head_d(1 + CLASSES + CODES), infogan_losses),
    "guided-medium": (OneHotG, MapD, guided_losses),
}


def make_step(G, D, batch, reuse_fake, losses):
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_loss, g_loss = losses()

    def step(real, real_labels):
        z = torch.randn(batch, LATENT, device=DEVICE)
        fake_labels = torch.randint(0, 10, (batch,), device=DEVICE)
        fake = G(z, fake_labels)
        # D update on a real and a fake batch
        opt_d.zero_grad(set_to_none=True)
        loss_d = d_loss(D(real, real_labels), D(fake.detach(), fake_labels), real_labels,
                        fake_labels, z)
        loss_d.backward()
        opt_d.step()
        # G update (recompute G(z) unless --reuse-fake)
        if not reuse_fake:
            fake = G(z, fake_labels)
        opt_g.zero_grad(set_to_none=True)
        loss_g = g_loss(D(fake, fake_labels), fake_labels, z, fake)
        loss_g.backward()
        opt_g.step()

    return step


def bench(arch, args):
    torch.manual_seed(0)
    g_cls, d_cls, losses = ARCHS[arch]
    G, D = g_cls().to(DEVICE).train(), d_cls().to(DEVICE).train()
    step = make_step(G, D, args.batch, args.reuse_fake, losses)
    # a few pre-made "real" batches: random images in [-1, 1] and labels 0-9
    data = [(torch.rand(args.batch, *IMG, device=DEVICE) * 2 - 1,
             torch.randint(0, 10, (args.batch,), device=DEVICE)) for _ in range(4)]
    # The clock stops when the device has finished the step (a no-op on the CPU).
    sync = torch.cuda.synchronize if DEVICE.type == "cuda" else (lambda: None)
    for i in range(args.warmup):
        step(*data[i % len(data)])
    sync()
    times = []
    for _ in range(args.repeats):
        for i in range(args.steps):
            t0 = time.perf_counter()
            step(*data[i % len(data)])
            sync()
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {
        "arch": arch, "threads": torch.get_num_threads(), "batch": args.batch,
        "reuse_fake": args.reuse_fake, "steps": len(times),
        "median_ms": med * 1e3, "min_ms": min(times) * 1e3, "max_ms": max(times) * 1e3,
        "images_per_s": args.batch / med,
        "g_params": sum(p.numel() for p in G.parameters()),
        "d_params": sum(p.numel() for p in D.parameters()),
        "torch": torch.__version__, "device": device_name(),
    }


def device_name():
    return torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else "cpu"


def main():
    ap = argparse.ArgumentParser(description="PyTorch CPU GAN training-throughput benchmark")
    ap.add_argument("--arch", choices=list(ARCHS), help="one architecture (default: all)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads")
    ap.add_argument("--steps", type=int, default=30, help="timed steps per repeat")
    ap.add_argument("--repeats", type=int, default=1, help="times to repeat the timed steps")
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up steps")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reuse-fake", action="store_true", help="run G forward once per step")
    ap.add_argument("--json", action="store_true", help="also print one JSON object per arch")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    ap.add_argument("--no-tf32", action="store_true",
                    help="CUDA: full-fp32 convolutions and matmuls (no TF32 tensor cores)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    global DEVICE
    DEVICE = torch.device(args.device)
    if args.no_tf32:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False

    results = [bench(a, args) for a in ([args.arch] if args.arch else ARCHS)]
    mode = "G fwd x1 (--reuse-fake)" if args.reuse_fake else "G fwd x2"
    where = f"{device_name()}" + (", no TF32" if args.no_tf32 else "")
    print(f"torch {torch.__version__}, {where}, {args.threads} threads, batch {args.batch}, "
          f"{mode}\n")
    print("| arch | median ms/step | min ms | max ms | images/s | G params | D params |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['arch']} | {r['median_ms']:.1f} | {r['min_ms']:.1f} | {r['max_ms']:.1f} "
              f"| {r['images_per_s']:.0f} | {r['g_params']:,} | {r['d_params']:,} |")
    if args.json:
        for r in results:
            print(json.dumps(r))


if __name__ == "__main__":
    main()
