"""PyTorch twins of the networks `gan-studio export` writes, in the same tensor names.

    import json, torch
    from safetensors.torch import load_file
    from torch_models import from_export

    model = from_export("exports/cdcgan")          # a folder written by `gan-studio export`
    images = model(torch.randn(10, model.latent_dim), torch.arange(10))   # (10, 1, 28, 28)

`from_export` reads config.json, builds the class it names, loads the weights with
`load_state_dict(strict=True)` and switches to eval mode (batch norm uses its running
statistics, as the tool does when it samples). Shapes are written for MNIST (28x28, grey).
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn


def _depth_width(depth):
    return 32 if depth == "shallow" else 64


class VirtualBatchNorm(nn.Module):
    """Salimans et al. 2016: the first `reference_rows` rows (the reference batch) are
    normalised by their own statistics, every later row by the reference's plus its own
    (weights r/(r+1) and 1/(r+1)), per channel over the spatial positions."""

    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(features))
        self.beta = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x, reference_rows):
        shape = x.shape
        n, c = shape[0], shape[1]
        r = max(1, min(reference_rows, n))
        flat = x.reshape(n, c, -1)                                   # (N, C, S)
        ref = flat[:r]
        ref_mean = ref.mean(dim=(0, 2), keepdim=True)                # (1, C, 1)
        ref_sq = ref.square().mean(dim=(0, 2), keepdim=True)
        mean = ref_mean.expand(r, c, 1)
        sq = ref_sq.expand(r, c, 1)
        if n > r:
            own = flat[r:]
            w_ref, w_own = r / (r + 1.0), 1.0 / (r + 1.0)
            mean = torch.cat([mean, ref_mean * w_ref + own.mean(dim=2, keepdim=True) * w_own])
            sq = torch.cat([sq, ref_sq * w_ref + own.square().mean(dim=2, keepdim=True) * w_own])
        var = (sq - mean.square()).clamp_min(0.0)
        normed = (flat - mean) / torch.sqrt(var + self.eps)
        return (normed * self.gamma.view(1, c, 1) + self.beta.view(1, c, 1)).reshape(shape)


class Norm(nn.Module):
    """batch norm (`batch`), virtual batch norm (`virtual_batch`) or nothing, as configured."""

    def __init__(self, kind, features, dims):
        super().__init__()
        if kind == "batch":
            self.batch = nn.BatchNorm2d(features) if dims == 2 else nn.BatchNorm1d(features)
        elif kind == "virtual":
            self.virtual_batch = VirtualBatchNorm(features)

    def forward(self, x, reference_rows=0):
        if hasattr(self, "batch"):
            return self.batch(x)
        if hasattr(self, "virtual_batch"):
            return self.virtual_batch(x, reference_rows)
        return x


class LabelMap(nn.Module):
    """A label as a learned feature map: Embedding(classes, E) then Linear(E -> H*W)."""

    def __init__(self, classes, embed, height, width):
        super().__init__()
        self.embedding = nn.Embedding(classes, embed)
        self.project = nn.Linear(embed, height * width)
        self.height, self.width = height, width

    def forward(self, labels):                                       # (B) -> (B, 1, H, W)
        return self.project(self.embedding(labels)).view(-1, 1, self.height, self.width)


class NormedConv(nn.Module):
    def __init__(self, cin, cout, norm, bias):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=bias)
        self.norm = Norm(norm, cout, 2)


class ConvGenerator(nn.Module):
    """DCGAN and conditional DCGAN (`src/model/conv.rs`)."""

    def __init__(self, gan):
        super().__init__()
        w = _depth_width(gan["depth"])
        side = gan["image_size"] // 4
        # InfoGAN takes its category code one-hot beside z; the other conditional families as a map.
        one_hot = gan["model"] == "infogan" or (
            gan.get("one_hot_labels", False) and gan["model"] in ("cdcgan", "acgan", "2n-gan"))
        self.one_hot = gan["num_classes"] if one_hot else 0
        self.codes = gan.get("continuous_codes", 2) if gan["model"] == "infogan" else 0
        conditional = gan["model"] in ("cdcgan", "acgan", "2n-gan") and not one_hot
        norm = gan["generator_norm"]
        bias = norm == "none" or gan.get("bias_before_norm", True)
        c0 = 2 * w + (1 if conditional else 0)
        inputs = gan["latent_dim"] + self.one_hot
        self.project = nn.Linear(inputs, 2 * w * side * side, bias=bias)  # z -> (2w*s*s)
        if conditional:
            self.label_map = LabelMap(gan["num_classes"], gan["label_embedding"], side, side)
        self.norm0 = Norm(norm, c0, 2)
        if gan["depth"] == "deep":
            self.extra = NormedConv(c0, 2 * w, norm, bias)           # (c0, s, s) -> (2w, s, s)
        c1 = 2 * w if gan["depth"] == "deep" else c0
        self.up1 = nn.ConvTranspose2d(c1, w, 4, 2, 1, bias=bias)     # -> (w, 2s, 2s)
        self.norm1 = Norm(norm, w, 2)
        self.up2 = nn.ConvTranspose2d(w, gan.get("channels", 1), 4, 2, 1)  # -> (k, 4s, 4s)
        self.channels, self.side = 2 * w, side

    def forward(self, z, labels=None, reference_rows=0):
        if self.codes:
            # InfoGAN's continuous codes: z ~ N(0, 1) mapped to U(-1, 1).
            z = torch.cat([z[:, :-self.codes], torch.erf(z[:, -self.codes:] / math.sqrt(2))], dim=1)
        if self.one_hot:
            z = torch.cat([z, F.one_hot(labels, self.one_hot).float()], dim=1)
        x = self.project(z).view(-1, self.channels, self.side, self.side)
        if hasattr(self, "label_map"):
            x = torch.cat([x, self.label_map(labels)], dim=1)
        x = F.relu(self.norm0(x, reference_rows))
        if hasattr(self, "extra"):
            x = F.relu(self.extra.norm(self.extra.conv(x), reference_rows))
        x = F.relu(self.norm1(self.up1(x), reference_rows))
        return torch.tanh(self.up2(x))


class InfoGenerator(nn.Module):
    """InfoGAN's generator after the paper (`src/model/info.rs`): [z, one-hot code] -> a fully
    connected hidden layer -> DCGAN's projection and two transposed convolutions."""

    def __init__(self, gan):
        super().__init__()
        w = _depth_width(gan["depth"])
        side = gan["image_size"] // 4
        hidden = gan["info_hidden"]
        norm = gan["generator_norm"]
        bias = norm == "none" or gan.get("bias_before_norm", True)
        self.classes = gan["num_classes"]
        self.codes = gan.get("continuous_codes", 2)
        self.hidden = nn.Linear(gan["latent_dim"] + self.classes, hidden, bias=bias)
        self.norm_hidden = Norm(norm, hidden, 1)
        self.project = nn.Linear(hidden, 2 * w * side * side, bias=bias)   # -> (2w*s*s)
        self.norm0 = Norm(norm, 2 * w, 2)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=bias)         # -> (w, 2s, 2s)
        self.norm1 = Norm(norm, w, 2)
        self.up2 = nn.ConvTranspose2d(w, gan.get("channels", 1), 4, 2, 1)  # -> (k, 4s, 4s)
        self.channels, self.side = 2 * w, side

    def forward(self, z, labels=None, reference_rows=0):
        if self.codes:
            # The continuous codes: z ~ N(0, 1) mapped to U(-1, 1).
            z = torch.cat([z[:, :-self.codes], torch.erf(z[:, -self.codes:] / math.sqrt(2))], dim=1)
        z = torch.cat([z, F.one_hot(labels, self.classes).float()], dim=1)
        x = F.relu(self.norm_hidden(self.hidden(z), reference_rows))
        x = self.project(x).view(-1, self.channels, self.side, self.side)
        x = F.relu(self.norm0(x, reference_rows))
        x = F.relu(self.norm1(self.up1(x), reference_rows))
        return torch.tanh(self.up2(x))


class DenseGenerator(nn.Module):
    """The dense conditional GAN's generator (`src/model/dense.rs`)."""

    WIDTHS = {"shallow": [256], "medium": [256, 512], "deep": [256, 512, 1024]}

    def __init__(self, gan):
        super().__init__()
        self.embedding = nn.Embedding(gan["num_classes"], gan["label_embedding"])
        width_in = gan["latent_dim"] + gan["label_embedding"]
        self.hidden, self.norms = nn.ModuleList(), nn.ModuleList()
        for width in self.WIDTHS[gan["depth"]]:
            self.hidden.append(nn.Linear(width_in, width))
            self.norms.append(Norm(gan["generator_norm"], width, 1))
            width_in = width
        self.side, self.k = gan["image_size"], gan.get("channels", 1)
        self.output = nn.Linear(width_in, self.k * self.side * self.side)

    def forward(self, z, labels=None, reference_rows=0):
        x = torch.cat([z, self.embedding(labels)], dim=1)
        for layer, norm in zip(self.hidden, self.norms):
            x = F.leaky_relu(norm(layer(x), reference_rows), 0.2)
        return torch.tanh(self.output(x)).view(-1, self.k, self.side, self.side)


class TfGenerator(nn.Module):
    """The TensorFlow tutorial's DCGAN generator (`src/model/tf_dcgan.rs`)."""

    def __init__(self, gan):
        super().__init__()
        norm = gan["generator_norm"]
        self.dense = nn.Linear(gan["latent_dim"], 7 * 7 * 256, bias=False)
        self.norm0 = Norm(norm, 7 * 7 * 256, 1)
        self.up1 = nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False)                       # (128, 7, 7)
        self.norm1 = Norm(norm, 128, 2)
        self.up2 = nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False)     # (64, 14, 14)
        self.norm2 = Norm(norm, 64, 2)
        self.up3 = nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False)      # (1, 28, 28)

    def forward(self, z, labels=None, reference_rows=0):
        x = F.leaky_relu(self.norm0(self.dense(z), reference_rows), 0.3).view(-1, 256, 7, 7)
        x = F.leaky_relu(self.norm1(self.up1(x), reference_rows), 0.3)
        x = F.leaky_relu(self.norm2(self.up2(x), reference_rows), 0.3)
        return torch.tanh(self.up3(x))


class PcaGenerator(nn.Module):
    """PCA per class (`src/model/pca.rs`): the class mean plus z on the class's principal
    directions, each scaled by its standard deviation."""

    def __init__(self, gan):
        super().__init__()
        c, s, k = gan["num_classes"], gan["image_size"], gan["latent_dim"]
        self.side, self.k = s, gan.get("channels", 1)
        d = self.k * s * s
        self.means = nn.Parameter(torch.zeros(c, d))                      # (C, k*s*s)
        self.basis = nn.Parameter(torch.zeros(k, c * d))                  # (K, C*k*s*s)

    def forward(self, z, labels=None, reference_rows=0):
        b = z.shape[0]
        c, d = self.means.shape
        if labels is None:
            labels = torch.zeros(b, dtype=torch.long)
        every_class = (z @ self.basis).view(b, c, d)
        x = every_class[torch.arange(b), labels] + self.means[labels]
        return x.clamp(-1, 1).view(b, self.k, self.side, self.side)


class LeNet(nn.Module):
    """The evaluation classifier (`src/eval/classifier.rs`)."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c.get("channels", 1), c["conv1"], 5, padding=2)  # (c1, 28, 28), pooled to 14
        q = (c.get("image_size", 28) // 2 - 4) // 2                   # 5 for 28, 6 for 32
        self.conv2 = nn.Conv2d(c["conv1"], c["conv2"], 5)            # (c2, 10, 10), pooled to 5
        self.fc1 = nn.Linear(c["conv2"] * q * q, c["hidden"])
        self.fc2 = nn.Linear(c["hidden"], c["features"])            # the feature space of FID
        self.head = nn.Linear(c["features"], c["classes"])

    def features(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc2(F.relu(self.fc1(x.flatten(1)))))

    def forward(self, x):
        return self.head(self.features(x))


class Sampler(nn.Module):
    """A generator with its virtual batch norm reference batch (when it has one) put in front of
    every batch and cut off again, as the tool samples."""

    def __init__(self, net, gan, reference_latents=None, reference_labels=None):
        super().__init__()
        self.net = net
        self.latent_dim = gan["latent_dim"]
        self.conditional = gan["model"] in ("cgan", "cdcgan", "acgan", "2n-gan", "infogan", "pca")
        self.reference = None
        if reference_latents is not None:
            z = torch.tensor(reference_latents, dtype=torch.float32).view(-1, self.latent_dim)
            labels = torch.tensor(reference_labels, dtype=torch.long)
            self.reference = (z, labels)

    def forward(self, z, labels=None):
        if not self.conditional:
            labels = None
        if self.reference is None:
            return self.net(z, labels, 0)
        ref_z, ref_labels = self.reference
        r = ref_z.shape[0]
        z = torch.cat([ref_z, z])
        if labels is not None:
            labels = torch.cat([ref_labels, labels])
        return self.net(z, labels, r)[r:]


GENERATORS = {
    "ConvGenerator": ConvGenerator,
    "DenseGenerator": DenseGenerator,
    "InfoGenerator": InfoGenerator,
    "TfGenerator": TfGenerator,
    "PcaGenerator": PcaGenerator,
}


def from_export(folder):
    """The network an export folder describes, weights loaded, in eval mode."""
    from safetensors.torch import load_file

    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    name = config["pytorch_class"]
    if name == "LeNet":
        net = LeNet(config["classifier"])
        net.load_state_dict(load_file(os.path.join(folder, "classifier.safetensors")), strict=True)
        return net.eval()
    gan = config["train"]["gan"]
    net = GENERATORS[name](gan)
    net.load_state_dict(load_file(os.path.join(folder, "generator.safetensors")), strict=True)
    model = Sampler(net, gan, config.get("vbn_reference_latents"), config.get("vbn_reference_labels"))
    return model.eval()
