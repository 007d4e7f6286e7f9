"""torchkeras.initializers: seeded values identical to Keras, statistics, shapes, configs, lookups."""

import math
import random

import numpy as np
import pytest
import torch

from torchkeras import config, initializers
from torchkeras.utils.registry import get_registered_object, register_keras_serializable

CONV = (3, 3, 16, 32)  # Keras layout (kh, kw, in, out): fan_in 144, fan_out 288

# (class name, kwargs) for every random initializer, with non-default arguments.
SEEDED = [
    ("RandomNormal", {"mean": 1.0, "stddev": 2.0}),
    ("RandomUniform", {"minval": -1.0, "maxval": 2.0}),
    ("TruncatedNormal", {"mean": 0.5, "stddev": 2.0}),
    *[
        ("VarianceScaling", {"scale": 2.5, "mode": mode, "distribution": dist})
        for mode in ("fan_in", "fan_out", "fan_avg")
        for dist in ("truncated_normal", "untruncated_normal", "uniform")
    ],
    ("VarianceScaling", {"input_axes": [0, 1], "output_axes": [-1]}),
    ("GlorotUniform", {}),
    ("GlorotNormal", {}),
    ("HeUniform", {}),
    ("HeNormal", {}),
    ("LecunUniform", {}),
    ("LecunNormal", {}),
    ("Orthogonal", {"gain": 2.0}),
]
IDS = [f"{name}-{kwargs}" for name, kwargs in SEEDED]


@pytest.mark.parametrize("shape", [(40, 30), CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name,kwargs", SEEDED, ids=IDS)
def test_seeded_values_equal_keras(keras, name, kwargs, shape):
    expected = getattr(keras.initializers, name)(seed=42, **kwargs)(shape)
    result = getattr(initializers, name)(seed=42, **kwargs)(shape)
    assert result.shape == shape and result.dtype == torch.float32 and result.device.type == "cpu"
    np.testing.assert_allclose(result.numpy(), np.asarray(expected.cpu()), rtol=1e-5, atol=1e-6)


def _expected_std(name, kwargs, shape):
    """Standard deviation of the values, from the initializer's definition."""
    if name in ("RandomNormal", "TruncatedNormal"):
        return kwargs.get("stddev", 0.05) * (0.87962566103423978 if name == "TruncatedNormal" else 1.0)
    if name == "RandomUniform":
        return (kwargs.get("maxval", 0.05) - kwargs.get("minval", -0.05)) / math.sqrt(12)
    fan_in, fan_out = initializers.random_initializers.compute_fans(shape)
    scale, mode = {
        "GlorotUniform": (1.0, "fan_avg"),
        "GlorotNormal": (1.0, "fan_avg"),
        "HeUniform": (2.0, "fan_in"),
        "HeNormal": (2.0, "fan_in"),
        "LecunUniform": (1.0, "fan_in"),
        "LecunNormal": (1.0, "fan_in"),
    }.get(name, (kwargs.get("scale", 1.0), kwargs.get("mode", "fan_in")))
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return math.sqrt(scale / fan)


STATISTICS = [case for case in SEEDED if case[0] != "Orthogonal" and "input_axes" not in case[1]]


@pytest.mark.parametrize("shape", [(300, 200), (3, 3, 64, 96)], ids=["dense", "conv"])
@pytest.mark.parametrize("name,kwargs", STATISTICS, ids=[f"{n}-{k}" for n, k in STATISTICS])
def test_unseeded_statistics_match_keras_and_definition(keras, name, kwargs, shape):
    random.seed(0)  # unseeded Keras initializers pick their seed with Python's `random`
    ours = getattr(initializers, name)(**kwargs)(shape).double()
    theirs = torch.as_tensor(np.asarray(getattr(keras.initializers, name)(**kwargs)(shape).cpu())).double()
    std = _expected_std(name, kwargs, shape)
    mean = kwargs.get("mean", (kwargs.get("minval", 0) + kwargs.get("maxval", 0)) / 2)
    standard_error = std / math.sqrt(ours.numel())
    for values in (ours, theirs):
        assert abs(values.mean().item() - mean) < 5 * standard_error
        assert values.std().item() == pytest.approx(std, rel=0.03)
    distribution = kwargs.get("distribution", "truncated_normal")
    if name.endswith("Uniform") or distribution == "uniform":
        low, high = (
            (kwargs["minval"], kwargs["maxval"]) if "minval" in kwargs else (-std * 3**0.5, std * 3**0.5)
        )
        assert low <= ours.min().item() and ours.max().item() <= high
        assert ours.min().item() == pytest.approx(low, abs=0.01 * (high - low))
        assert ours.max().item() == pytest.approx(high, abs=0.01 * (high - low))
    elif name == "RandomNormal" or distribution == "untruncated_normal":  # 60k+ draws reach past 3.5 std
        assert (ours - mean).abs().max().item() > 3.5 * std
    else:  # truncated at 2 standard deviations of the untruncated normal
        bound = 2 * std / 0.87962566103423978
        assert (ours - mean).abs().max().item() <= bound * (1 + 1e-6)
        assert (ours - mean).abs().max().item() > 0.98 * bound


def test_seeded_truncated_normal_stays_truncated(keras):
    # Keras keeps the first of four draws inside (-2, 2) std, or an outlier when all four miss
    # (~4e-6 of values). We draw the same candidates and clamp those rare outliers to the bound.
    ours = initializers.TruncatedNormal(stddev=1.0, seed=1)((1000, 1000))
    theirs = torch.as_tensor(np.asarray(keras.initializers.TruncatedNormal(stddev=1.0, seed=1)((1000, 1000))))
    assert ours.abs().max().item() <= 2.0 < theirs.abs().max().item()
    differ = ours != theirs
    assert 0 < differ.sum().item() < 20
    assert torch.equal(ours[differ], theirs[differ].clamp(-2.0, 2.0))


def test_seed_makes_calls_repeat_and_none_uses_the_global_generator():
    seeded = initializers.GlorotNormal(seed=7)
    torch.testing.assert_close(seeded((5, 4)), seeded((5, 4)))
    unseeded = initializers.GlorotNormal()
    assert not torch.equal(unseeded((5, 4)), unseeded((5, 4)))
    torch.manual_seed(3)
    first = unseeded((5, 4))
    torch.manual_seed(3)
    torch.testing.assert_close(unseeded((5, 4)), first)


def test_orthogonal():
    for shape in [(6, 4), (4, 6), (2, 3, 8)]:
        q = initializers.Orthogonal(gain=1.5)(shape).double().reshape(-1, shape[-1])
        small = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
        torch.testing.assert_close(
            small, 2.25 * torch.eye(min(q.shape), dtype=torch.float64), rtol=0, atol=1e-5
        )
    with pytest.raises(ValueError, match="shape"):
        initializers.Orthogonal()((5,))


def test_identity_zeros_ones_constant(keras):
    torch.testing.assert_close(initializers.Identity(gain=2.0)((3, 5)), 2.0 * torch.eye(3, 5))
    assert initializers.IdentityInitializer is initializers.Identity
    with pytest.raises(ValueError, match="rank 2"):
        initializers.Identity()((3, 3, 3))
    assert torch.equal(initializers.Zeros()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(initializers.Ones()((2, 3), dtype="float64"), torch.ones(2, 3, dtype=torch.float64))
    assert torch.equal(
        initializers.Constant(3)((2,), dtype=torch.int32), torch.tensor([3, 3], dtype=torch.int32)
    )
    row = np.array([1.0, 2.0, 3.0])
    expected = np.asarray(keras.initializers.Constant(row)((2, 3)))
    np.testing.assert_allclose(initializers.Constant(row)((2, 3)).numpy(), expected)


def test_stft_matches_keras(keras):
    pytest.importorskip("scipy")
    for kwargs in [
        {},
        {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True},
        {"window": None},
    ]:
        expected = np.asarray(keras.initializers.STFT(**kwargs)((16, 1, 9)))
        # Keras takes the cosines in float32 (errors ~2e-6 at large angles); we use float64, then cast.
        np.testing.assert_allclose(
            initializers.STFT(**kwargs)((16, 1, 9)).numpy(), expected, rtol=1e-5, atol=5e-6
        )
    with pytest.raises(ValueError, match="window.*Did you mean 'hann'"):
        initializers.STFT(window="han")


def test_dtype_and_device():
    for dtype in ("float64", torch.float64, np.dtype("float64")):
        assert initializers.HeNormal(seed=1)((3, 2), dtype=dtype).dtype == torch.float64
    assert initializers.Orthogonal(seed=1)((3, 2), dtype="float16").dtype == torch.float16
    assert initializers.TruncatedNormal()((3, 2), device="cpu").device.type == "cpu"
    config.set_floatx("float64")
    try:
        assert initializers.RandomUniform()((2,)).dtype == torch.float64
    finally:
        config.set_floatx("float32")
    with pytest.raises(ValueError, match="dtype"):
        initializers.RandomNormal()((2,), dtype="int32")


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`mode`.*Did you mean 'fan_in'"):
        initializers.VarianceScaling(mode="fanin")
    with pytest.raises(ValueError, match="`distribution`"):
        initializers.VarianceScaling(distribution="gaussian")
    with pytest.raises(ValueError, match="`scale` must be a positive"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="`seed`"):
        initializers.RandomNormal(seed="1")
    assert initializers.VarianceScaling(distribution="Normal").distribution == "truncated_normal"


NAMES = sorted(initializers.ALL_OBJECTS_DICT)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("Initializer", "initializer")])
def test_get_by_name_matches_keras(keras, name):
    if "stft" in name.lower():
        pytest.importorskip("scipy")  # Keras's STFT initializer needs SciPy
    ours = initializers.get(name)
    if name.lower() == "constant":  # Keras 3.15 raises KeyError('value') here; we give Constant(0.0)
        assert isinstance(ours, initializers.Constant) and ours.value == 0.0
        return
    assert type(ours).__name__ == type(keras.initializers.get(name)).__name__


@pytest.mark.parametrize("name", [n for n in NAMES if n[0].isupper() and "Initializer" not in n])
def test_config_round_trip_and_serialize_match_keras(keras, name):
    if "stft" in name.lower():
        pytest.importorskip("scipy")  # Keras's STFT initializer needs SciPy
    kwargs = {"seed": 5} if "seed" in getattr(initializers, name)().get_config() else {}
    ours = getattr(initializers, name)(**kwargs)
    expected = keras.initializers.serialize(getattr(keras.initializers, name)(**kwargs))
    if name == "Identity":  # Keras 3.15 forgets `gain` in get_config; Keras still loads ours
        expected["config"] = {"gain": 1.0}
    assert initializers.serialize(ours) == expected
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config()
    assert initializers.deserialize(initializers.serialize(ours)).get_config() == ours.get_config()
    assert initializers.get(initializers.serialize(ours)).get_config() == ours.get_config()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's own np.array(tensor) call
def test_constant_array_config_matches_keras(keras):
    for value in (np.ones(3), torch.arange(3.0), 2.5):
        ours = initializers.Constant(value)
        theirs = keras.initializers.Constant(value)
        assert ours.get_config() == theirs.get_config()
        rebuilt = initializers.Constant.from_config(ours.get_config())
        torch.testing.assert_close(rebuilt((2, 3)), ours((2, 3)))


def test_get_accepts_every_kind():
    assert initializers.get(None) is None
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get("HeNormal"), initializers.HeNormal)
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    instance = initializers.Orthogonal()
    assert initializers.get(instance) is instance
    config_dict = {"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": 2}}
    assert initializers.get(config_dict).get_config() == {"minval": 0.0, "maxval": 1.0, "seed": 2}

    def fn(shape, dtype=None):
        return torch.full(shape, 7.0)

    assert initializers.get(fn) is fn
    value = torch.arange(6.0).reshape(2, 3)
    from_value = initializers.get(value)
    result = from_value((2, 3), dtype="float64")
    assert torch.equal(result, value.double()) and result.data_ptr() != value.data_ptr()
    with pytest.raises(ValueError, match="shape"):
        from_value((3, 2))
    with pytest.raises(ValueError, match=r"initializer.*Did you mean 'glorot_normal' or 'glorot_uniform'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="initializer"):
        initializers.get(12)


def test_registry_names():
    assert get_registered_object("GlorotUniform") is initializers.GlorotUniform
    assert get_registered_object("IdentityInitializer") is initializers.Identity  # "Identity" is the layer's


def test_user_subclass():
    @register_keras_serializable(package="test_initializers")
    class Filled(initializers.Initializer):
        def __init__(self, fill=1.0):
            self.fill = fill

        def __call__(self, shape, dtype=None):
            return torch.full(shape, self.fill, dtype=config.torch_dtype(dtype))

        def get_config(self):
            return {"fill": self.fill}

    config_dict = initializers.serialize(Filled(4.0))
    assert config_dict["registered_name"] == "test_initializers>Filled"
    rebuilt = initializers.get(config_dict)
    assert isinstance(rebuilt, Filled) and torch.equal(rebuilt((2,)), torch.tensor([4.0, 4.0]))
    assert rebuilt.clone().fill == 4.0
    with pytest.raises(NotImplementedError):
        initializers.Initializer()((2,))
