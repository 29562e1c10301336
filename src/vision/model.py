"""The CNN: an airbench94-style batch-norm convnet (Jordan 2024), about 2M parameters.

    whiten (2x2 conv, frozen weights from patch PCA) -> GELU
    -> ConvGroup(24->64) -> ConvGroup(64->256) -> ConvGroup(256->256)   # each halves H and W
    -> global max-pool -> linear(256->10) * 1/9

Shapes for a batch of B images: (B,3,32,32) -> (B,24,31,31) -> (B,64,15,15) -> (B,256,7,7)
-> (B,256,3,3) -> (B,256) -> (B,10) logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from src.core.hardware import cpu_has_native_bf16

#: Per-channel mean and std of CIFAR-10 train images in [0, 1]; inputs are normalised with them.
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


@dataclass
class NetConfig:
    """Architecture hyper-parameters (stored next to the weights so loading needs only the folder)."""

    widths: tuple[int, int, int] = (64, 256, 256)
    num_classes: int = 10
    whiten_kernel: int = 2
    batchnorm_momentum: float = 0.6
    scaling_factor: float = 1 / 9
    #: airbench's partial identity init of every 3x3 conv (off only in the ablation).
    dirac: bool = True
    #: airbench's BatchNorm has no learned scale (on only in the ablation).
    bn_scale: bool = False

    def to_dict(self) -> dict:
        return asdict(self) | {"widths": list(self.widths)}

    @classmethod
    def from_dict(cls, raw: dict) -> NetConfig:
        return cls(**(raw | {"widths": tuple(raw["widths"])}))


class BatchNorm(nn.BatchNorm2d):
    """Batch norm with a frozen scale (only the shift learns), as in airbench.

    ``momentum`` is airbench's (the weight of the old running statistics, 0.6); PyTorch's argument is
    the weight of the new batch, hence ``1 - momentum``. eps is airbench's 1e-12.
    """

    def __init__(self, num_features: int, momentum: float, eps: float = 1e-12, scale: bool = False) -> None:
        super().__init__(num_features, eps=eps, momentum=1 - momentum)
        self.weight.requires_grad = scale


class Conv(nn.Conv2d):
    """3x3 'same' conv without bias, initialised partly as identity (dirac) so early training is stable:
    the first ``channels_in`` filters pass their input through, an implicit residual connection."""

    def __init__(self, channels_in: int, channels_out: int, dirac: bool = True) -> None:
        self.dirac = dirac  # read by reset_parameters, which nn.Conv2d.__init__ calls
        super().__init__(channels_in, channels_out, kernel_size=3, padding="same", bias=False)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.dirac:
            w = self.weight.data
            torch.nn.init.dirac_(w[: w.size(1)])


class ConvGroup(nn.Module):
    """conv -> max-pool -> BN -> GELU -> conv -> BN -> GELU."""

    def __init__(self, channels_in: int, channels_out: int, config: NetConfig) -> None:
        super().__init__()
        momentum, scale = config.batchnorm_momentum, config.bn_scale
        self.conv1 = Conv(channels_in, channels_out, config.dirac)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = BatchNorm(channels_out, momentum, scale=scale)
        self.conv2 = Conv(channels_out, channels_out, config.dirac)
        self.norm2 = BatchNorm(channels_out, momentum, scale=scale)
        self.activ = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class Net(nn.Module):
    """The classifier. Takes normalised (B,3,32,32) float images, returns (B,num_classes) logits."""

    def __init__(self, config: NetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or NetConfig()
        w1, w2, w3 = config.widths
        whiten_width = 2 * 3 * config.whiten_kernel**2
        self.whiten = nn.Conv2d(3, whiten_width, config.whiten_kernel, padding=0, bias=True)
        self.whiten.weight.requires_grad = False  # set from data by init_whitening, never trained
        nn.init.zeros_(self.whiten.bias)  # airbench zeroes it; it trains for the first epochs only
        self.act = nn.GELU()
        self.layer1 = ConvGroup(whiten_width, w1, config)
        self.layer2 = ConvGroup(w1, w2, config)
        self.layer3 = ConvGroup(w2, w3, config)
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.head = nn.Linear(w3, config.num_classes, bias=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B,3,32,32) -> (B,w3,3,3): the last conv feature map (the default Grad-CAM layer)."""
        return self.layer3(self.layer2(self.layer1(self.act(self.whiten(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x)).flatten(1)
        return self.head(x) * self.config.scaling_factor


@torch.no_grad()
def init_whitening(net: Net, images: torch.Tensor, eps: float = 5e-4) -> None:
    """Set the first conv to PCA-whiten 2x2 patches of ``images`` (N,3,32,32, normalised).

    Each eigenvector of the patch covariance becomes a filter, scaled by 1/sqrt(eigenvalue), once
    with each sign; the net then starts from decorrelated inputs, which makes short runs converge faster.
    """
    k = net.config.whiten_kernel
    c = images.shape[1]
    patches = images.float().unfold(2, k, 1).unfold(3, k, 1).transpose(1, 3).reshape(-1, c, k, k)
    flat = patches.reshape(len(patches), -1)
    cov = flat.T @ flat / len(flat)
    eigenvalues, eigenvectors = torch.linalg.eigh(cov)
    eigenvalues = eigenvalues.flip(0).view(-1, 1, 1, 1)
    eigenvectors = eigenvectors.T.reshape(c * k * k, c, k, k).flip(0)
    scaled = eigenvectors / torch.sqrt(eigenvalues + eps)
    net.whiten.weight.copy_(torch.cat((scaled, -scaled)))


def normalize(images: torch.Tensor) -> torch.Tensor:
    """(B,3,H,W) uint8 -> float32 normalised with the CIFAR mean and std: the model's input contract."""
    mean = torch.tensor(CIFAR_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD, device=images.device).view(1, 3, 1, 1)
    return (images.float() / 255 - mean) / std


#: Forward passes per image in :func:`tta_logits` at level 2 (airbench's ``tta_level=2``).
TTA_PASSES = 6
#: The pre-airbench-port TTA (mirror x {0, +1, -1} px vertical shift), kept for artifacts whose config has no
#: ``tta_level``.
LEGACY_TTA = 3


def tta_views(x: torch.Tensor, level: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """The test-time views of a normalised (N,3,32,32) batch, stacked into one (V*N,3,32,32) batch, and the
    weight of each view (V,).

    airbench94's multi-crop TTA: level 0 is the image alone; level 1 the image and its mirror (1/2 each);
    level 2 adds both, translated one pixel up-and-left and down-and-right (reflect padding): the
    untranslated pair weighs 1/2, the four translated views 1/8 each. All views go through the net as
    one batch, so one uploaded photo costs one forward call, not six.
    """
    if level <= 0:
        return x, torch.ones(1)
    views = [x, x.flip(-1)]
    weights = [0.5, 0.5]
    if level >= 2:
        # LEGACY_TTA: the models trained before the airbench port shift vertically only (their cards say so)
        pad = (0, 0, 1, 1) if level == LEGACY_TTA else (1, 1, 1, 1)
        padded = F.pad(x, pad, mode="reflect")
        cols = slice(None) if level == LEGACY_TTA else (slice(0, 32), slice(2, 34))
        first, second = (cols, cols) if level == LEGACY_TTA else cols
        for shifted in (padded[:, :, 0:32, first], padded[:, :, 2:34, second]):
            views += [shifted, shifted.flip(-1)]
        weights = [0.25, 0.25] + [0.125] * 4
    stacked = torch.cat(views).contiguous(memory_format=torch.channels_last)
    return stacked, torch.tensor(weights)


def combine_views(logits: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(V*N, C) logits of :func:`tta_views` -> (N, C), the weighted mean over the views."""
    per_view = logits.float().view(len(weights), -1, logits.shape[-1])
    return (per_view * weights.view(-1, 1, 1)).sum(0)


def tta_logits(net: nn.Module, x: torch.Tensor, level: int = 2) -> torch.Tensor:
    """Logits averaged over the :func:`tta_views` of normalised input (keeps autograd: FGSM, Grad-CAM)."""
    views, weights = tta_views(x, level)
    return combine_views(net(views), weights)


@torch.no_grad()
def batched_logits(net: nn.Module, images: torch.Tensor, *, tta: bool | int = True, batch_size: int = 1000,
                   precision: str = "auto") -> torch.Tensor:
    """Logits for (N,3,32,32) uint8 images, in eval mode, through :func:`tta_logits` (``tta`` True = level 2).

    ``precision`` "auto" uses bf16 autocast where the CPU has it natively; "fp32" forces float32.
    """
    net.eval()
    level = 2 if tta is True else int(tta)
    device = next(net.parameters()).device
    out = []
    for start in range(0, len(images), batch_size):
        x = normalize(images[start : start + batch_size].to(device)).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision != "fp32" and cpu_has_native_bf16()):
            logits = tta_logits(net, x, level)
        out.append(logits.float().cpu())
    return torch.cat(out) if out else torch.empty(0, net.config.num_classes)


def count_parameters(net: nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in net.parameters())
