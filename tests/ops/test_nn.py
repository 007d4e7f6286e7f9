"""torchkeras.ops.nn: activations, one-hot, cross-entropies, moments and normalize against keras.ops."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(2)
A = torch.as_tensor(rng.standard_normal((2, 3, 4)).astype("float32") * 3)
LOGITS = torch.as_tensor(rng.standard_normal((5, 4)).astype("float32"))
PROBS = torch.softmax(LOGITS, -1)
ONE_HOT = torch.eye(4)[torch.tensor([0, 3, 1, 1, 2])]
LABELS = torch.tensor([0, 3, 1, 1, 2])
BINARY = torch.as_tensor((rng.random((5, 3)) > 0.5).astype("float32"))
SCORES = torch.as_tensor(rng.standard_normal((5, 3)).astype("float32"))
HALF = torch.as_tensor(rng.standard_normal((4, 6)).astype("float16"))


def case(name, *args, **kwargs):
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(name, args, kwargs, id=label)


CASES = [
    *(
        case(name, A)
        for name in (
            "relu",
            "relu6",
            "sigmoid",
            "log_sigmoid",
            "softplus",
            "softsign",
            "silu",
            "swish",
            "elu",
            "selu",
            "leaky_relu",
            "hard_sigmoid",
            "hard_silu",
            "hard_swish",
            "gelu",
            "softmax",
            "log_softmax",
        )
    ),  # fmt: skip
    case("relu", torch.tensor([-2, 0, 3])),
    case("elu", A, alpha=0.5),
    case("leaky_relu", A, negative_slope=0.01),
    case("gelu", A, approximate=False),
    case("softmax", A, axis=1),
    case("softmax", A, axis=(0, 2)),
    case("softmax", A, axis=None),
    case("softmax", HALF),
    case("log_softmax", A, axis=0),
    case("log_softmax", A, axis=(1, 2)),
    case("one_hot", LABELS, 4),
    case("one_hot", torch.tensor([[0, -1], [2, 1]]), 3, axis=0),
    case("one_hot", torch.tensor([[0, 2], [2, 1]]), 3, axis=1, dtype="int32"),
    case("one_hot", [1, 0], 2),
    case("binary_crossentropy", BINARY, torch.sigmoid(SCORES)),
    case("binary_crossentropy", BINARY, SCORES, from_logits=True),
    case("binary_crossentropy", BINARY, torch.tensor([[0.0, 1.0, 0.5]] * 5)),
    case("categorical_crossentropy", ONE_HOT, PROBS),
    case("categorical_crossentropy", ONE_HOT, PROBS * 3),
    case("categorical_crossentropy", ONE_HOT, LOGITS, from_logits=True),
    case("categorical_crossentropy", ONE_HOT.T, LOGITS.T, from_logits=True, axis=0),
    case("sparse_categorical_crossentropy", LABELS, PROBS),
    case("sparse_categorical_crossentropy", LABELS, LOGITS, from_logits=True),
    case("sparse_categorical_crossentropy", LABELS[:, None], LOGITS, from_logits=True),
    case("sparse_categorical_crossentropy", LABELS, LOGITS.T, from_logits=True, axis=0),
    case("sparse_categorical_crossentropy", torch.tensor(2), LOGITS[0], from_logits=True),
    case("sparse_categorical_crossentropy", LABELS.reshape(1, 5), PROBS.reshape(1, 5, 4)),
    case("moments", A, axes=[0, 1]),
    case("moments", A, axes=[2], keepdims=True),
    case("moments", A, axes=-1),
    case("moments", HALF, axes=[0]),
    case("normalize", A),
    case("normalize", A, axis=1),
    case("normalize", A, axis=(0, 2), order=1),
    case("normalize", A, order=3, epsilon=1e-3),
    case("normalize", torch.tensor([[3, 4], [0, 0]])),
]


def to_numpy(value):
    if isinstance(value, (tuple, list)):
        return [to_numpy(item) for item in value]
    return value.detach().float().numpy()


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_parity_with_keras(keras, name, args, kwargs):
    expected = getattr(keras.ops, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    for got, want in zip(*(v if isinstance(v, tuple) else (v,) for v in (result, expected))):
        assert got.dtype == want.dtype and got.shape == want.shape
        tolerance = 1e-3 if want.dtype == torch.float16 else 1e-5
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=tolerance, atol=tolerance / 10)


def test_gelu_defaults_differ_between_ops_and_formula():
    x = torch.linspace(-3, 3, 13)
    tanh_form = 0.5 * x * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (x + 0.044715 * x**3)))
    exact_form = 0.5 * x * (1 + torch.erf(x / 2**0.5))
    torch.testing.assert_close(ops.gelu(x), tanh_form)
    torch.testing.assert_close(ops.gelu(x, approximate=False), exact_form)


def test_reference_formulas():
    x = A.reshape(-1)
    torch.testing.assert_close(ops.hard_sigmoid(x), torch.clamp(x / 6 + 0.5, 0, 1))
    torch.testing.assert_close(ops.leaky_relu(x), torch.where(x > 0, x, 0.2 * x))
    probs = torch.tensor([[0.2, 0.8]])
    expected = -torch.log(torch.tensor([0.8]))
    torch.testing.assert_close(ops.categorical_crossentropy(torch.tensor([[0.0, 1.0]]), probs), expected)
    torch.testing.assert_close(ops.sparse_categorical_crossentropy(torch.tensor([1]), probs), expected)
    mean, variance = ops.moments(A, axes=[0, 1])
    torch.testing.assert_close(variance, A.var(dim=(0, 1), unbiased=False), rtol=1e-4, atol=1e-5)


def test_one_hot_out_of_range_is_all_zero_without_host_sync():
    encoded = ops.one_hot(torch.tensor([-1, 1, 5]), 3)
    assert encoded.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_binary_crossentropy_runs_under_autocast():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = ops.binary_crossentropy(BINARY, torch.sigmoid(SCORES))
    assert torch.isfinite(loss).all()


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        ops.binary_crossentropy(BINARY, SCORES[:, :2])
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_crossentropy(ONE_HOT, PROBS[:, :3])
    with pytest.raises(ValueError, match="class axis"):
        ops.sparse_categorical_crossentropy(LABELS[:3], LOGITS)
    with pytest.raises(ValueError, match="order"):
        ops.normalize(A, order=0)
    with pytest.raises(ValueError, match="sparse"):
        ops.one_hot(LABELS, 4, sparse=True)
    with pytest.raises(NotImplementedError, match="synchronized"):
        ops.moments(A, axes=[0], synchronized=True)
    with pytest.warns(UserWarning, match="size 1"):
        ops.softmax(torch.ones(3, 1))


# ------------------------------------------------------------------ the rest of keras.ops.nn (parity)

from tests.ops.parity import case as row  # noqa: E402
from tests.ops.parity import run_case  # noqa: E402

IMG = torch.as_tensor(rng.standard_normal((2, 7, 6, 3)).astype("float32"))
IMG_CF = IMG.permute(0, 3, 1, 2).contiguous()
SEQ = torch.as_tensor(rng.standard_normal((2, 9, 4)).astype("float32"))
VOL = torch.as_tensor(rng.standard_normal((1, 5, 4, 6, 2)).astype("float32"))
K2 = torch.as_tensor(rng.standard_normal((3, 2, 3, 5)).astype("float32"))
K2_GROUPED = torch.as_tensor(rng.standard_normal((2, 2, 1, 6)).astype("float32"))
K1 = torch.as_tensor(rng.standard_normal((3, 4, 2)).astype("float32"))
K3 = torch.as_tensor(rng.standard_normal((2, 3, 2, 2, 3)).astype("float32"))
DEPTH = torch.as_tensor(rng.standard_normal((3, 3, 3, 2)).astype("float32"))
POINT = torch.as_tensor(rng.standard_normal((1, 1, 6, 4)).astype("float32"))
KT = torch.as_tensor(rng.standard_normal((3, 3, 4, 3)).astype("float32"))
KT1 = torch.as_tensor(rng.standard_normal((4, 5, 4)).astype("float32"))
Q = torch.as_tensor(rng.standard_normal((2, 5, 4, 8)).astype("float32"))
KV = torch.as_tensor(rng.standard_normal((2, 6, 2, 8)).astype("float32"))
KV4 = torch.as_tensor(rng.standard_normal((2, 6, 4, 8)).astype("float32"))
ATT_MASK = torch.as_tensor(rng.random((2, 4, 5, 6)) > 0.3)
ATT_BIAS = torch.as_tensor(rng.standard_normal((2, 4, 5, 6)).astype("float32"))
CTC_LOGITS = torch.as_tensor(rng.standard_normal((2, 8, 5)).astype("float32") * 2)
CTC_TARGET = torch.tensor([[1, 2, 2, 0], [3, 1, 0, 0]], dtype=torch.int32)
IDS = torch.tensor([[0, 2, 2], [1, 3, 0]], dtype=torch.int32)
GAMMA = torch.as_tensor(rng.uniform(0.5, 1.5, (4,)).astype("float32"))
BETA = torch.as_tensor(rng.standard_normal((4,)).astype("float32"))
MEAN3 = torch.as_tensor(rng.standard_normal((3,)).astype("float32"))
VAR3 = torch.as_tensor(rng.uniform(0.5, 2.0, (3,)).astype("float32"))

NN = "nn"
NN_CASES = [
    *(
        row(name, A, namespace=NN)
        for name in (
            "celu",
            "hard_tanh",
            "hard_shrink",
            "soft_shrink",
            "tanh_shrink",
            "sparse_plus",
            "sparse_sigmoid",
            "squareplus",
        )
    ),  # fmt: skip
    row("glu", A, namespace=NN),
    row("glu", A, axis=0, namespace=NN, symbolic=False),
    row("celu", A, alpha=2.0, namespace=NN),
    row("soft_shrink", A, threshold=1.0, namespace=NN),
    row("threshold", A, 0.3, -1.0, namespace=NN),
    row("squareplus", A, b=2, namespace=NN),
    row("multi_hot", IDS, 4, namespace=NN),
    row("multi_hot", torch.tensor([0, 3, 3]), 5, namespace=NN),
    row("batch_normalization", IMG, MEAN3, VAR3, -1, namespace=NN),
    row("batch_normalization", IMG_CF, MEAN3, VAR3, 1, offset=MEAN3, scale=VAR3, epsilon=0.1, namespace=NN),
    row("layer_normalization", A, namespace=NN),
    row("layer_normalization", A, GAMMA, BETA, namespace=NN),
    row("layer_normalization", A, axis=(1, 2), epsilon=1e-2, namespace=NN),
    row("rms_normalization", A, namespace=NN),
    row("rms_normalization", A, GAMMA, namespace=NN),
    row("conv", IMG, K2, namespace=NN, rtol=1e-4),
    row("conv", IMG, K2, strides=2, padding="same", namespace=NN, rtol=1e-4),
    row("conv", IMG, K2, padding="same", dilation_rate=2, namespace=NN, rtol=1e-4),
    row("conv", IMG_CF, K2, strides=(1, 2), data_format="channels_first", namespace=NN, rtol=1e-4),
    row("conv", IMG[..., :2], K2_GROUPED[..., :1, :], padding="same", namespace=NN, rtol=1e-4),
    row("conv", SEQ, K1, padding="same", strides=2, namespace=NN, rtol=1e-4),
    row("conv", VOL, K3, padding="same", namespace=NN, rtol=1e-4),
    row("depthwise_conv", IMG, DEPTH, namespace=NN, rtol=1e-4),
    row("depthwise_conv", IMG, DEPTH, strides=2, padding="same", namespace=NN, rtol=1e-4),
    row("separable_conv", IMG, DEPTH, POINT, padding="same", namespace=NN, rtol=1e-4),
    row("conv_transpose", IMG[..., :3], KT[..., :3], namespace=NN, rtol=1e-4),
    row("conv_transpose", IMG, KT, strides=2, padding="same", namespace=NN, rtol=1e-4),
    row("conv_transpose", IMG, KT, strides=2, padding="valid", namespace=NN, rtol=1e-4),
    row("conv_transpose", IMG, KT, strides=2, padding="same", output_padding=1, namespace=NN, rtol=1e-4),
    row("conv_transpose", SEQ, KT1, strides=3, padding="valid", dilation_rate=1, namespace=NN, rtol=1e-4),
    row("max_pool", IMG, 2, namespace=NN),
    row("max_pool", IMG, 3, strides=2, padding="same", namespace=NN),
    row("max_pool", SEQ, 2, strides=1, namespace=NN),
    row("max_pool", VOL, 2, padding="same", namespace=NN),
    row("average_pool", IMG, 2, namespace=NN),
    row("average_pool", IMG, 3, strides=1, padding="same", namespace=NN),
    row("average_pool", IMG_CF, 2, data_format="channels_first", namespace=NN),
    row("adaptive_average_pool", IMG, (3, 2), namespace=NN),
    row("adaptive_max_pool", IMG, 4, namespace=NN),
    row("adaptive_average_pool", SEQ, 3, namespace=NN),
    row("dot_product_attention", Q, KV4, KV4, namespace=NN, rtol=1e-4),
    row("dot_product_attention", Q, KV, KV, namespace=NN, rtol=1e-4),
    row("dot_product_attention", Q, KV4, KV4, mask=ATT_MASK, namespace=NN, rtol=1e-4),
    row("dot_product_attention", Q, KV4, KV4, bias=ATT_BIAS, scale=0.2, namespace=NN, rtol=1e-4),
    row("dot_product_attention", Q, KV4, KV4, is_causal=True, namespace=NN, rtol=1e-4),
    row("dot_product_attention", Q, KV4, KV4, mask=ATT_MASK, is_causal=True, namespace=NN, rtol=1e-4),
    row(
        "ctc_loss",
        CTC_TARGET,
        CTC_LOGITS,
        torch.tensor([3, 2]),
        torch.tensor([8, 6]),
        namespace=NN,
        rtol=1e-4,
    ),
    row(
        "ctc_loss",
        CTC_TARGET,
        CTC_LOGITS,
        torch.tensor([3, 2]),
        torch.tensor([8, 8]),
        mask_index=4,
        namespace=NN,
        rtol=1e-4,
    ),
    row("ctc_decode", CTC_LOGITS, torch.tensor([8, 5]), namespace=NN),
    row("ctc_decode", CTC_LOGITS, torch.tensor([8, 5]), merge_repeated=False, mask_index=4, namespace=NN),
    row("unfold", IMG_CF, 2, namespace=NN),
    row("unfold", IMG_CF, (2, 3), dilation=1, padding=1, stride=2, namespace=NN),
    row("fold", torch.as_tensor(rng.standard_normal((2, 12, 6)).astype("float32")), (3, 4), 2, namespace=NN),
    row(
        "depth_to_space",
        torch.as_tensor(rng.standard_normal((2, 3, 2, 8)).astype("float32")),
        2,
        namespace=NN,
    ),
    row(
        "depth_to_space",
        torch.as_tensor(rng.standard_normal((2, 8, 3, 2)).astype("float32")),
        2,
        data_format="channels_first",
        namespace=NN,
    ),  # fmt: skip
    row("space_to_depth", IMG[:, :6], 2, namespace=NN),
    row("space_to_depth", IMG_CF[..., :6, :], 3, data_format="channels_first", namespace=NN),
    row("psnr", IMG, IMG * 0.9, 1.0, namespace=NN),
    row("polar", GAMMA, BETA, namespace=NN),
]


@pytest.mark.parametrize("name, args, kwargs, options", NN_CASES)
def test_nn_parity(keras, name, args, kwargs, options):
    run_case(keras, name, args, kwargs, options)


@pytest.mark.parametrize("axis", [0, (0, 1), (0, 2)])
def test_layer_and_rms_normalization_on_leading_axes(axis):
    # Keras 3.15's torch backend hands these to torch's trailing-axes kernels and fails.
    x = A.numpy().astype("float64")
    mean = x.mean(axis=axis, keepdims=True)
    variance = x.var(axis=axis, keepdims=True)
    result = ops.nn.layer_normalization(torch.as_tensor(x), axis=axis, epsilon=1e-3)
    np.testing.assert_allclose(result.numpy(), (x - mean) / np.sqrt(variance + 1e-3), rtol=1e-10)
    rms = ops.nn.rms_normalization(torch.as_tensor(x), axis=axis, epsilon=1e-3)
    expected = x / np.sqrt(np.mean(x**2, axis=axis, keepdims=True) + 1e-3)
    np.testing.assert_allclose(rms.numpy(), expected, rtol=1e-10)


def test_average_pool_same_padding_counts_only_real_cells():
    # TensorFlow/JAX semantics. Keras 3.15's torch backend pads by replicating edges when the
    # padding is uneven, and counts those copies.
    x = torch.as_tensor(np.random.default_rng(3).standard_normal((1, 5, 4, 1)))
    result = ops.nn.average_pool(x, (3, 2), strides=1, padding="same")[0, ..., 0].numpy()
    grid = x[0, ..., 0].numpy()
    expected = np.empty((5, 4))
    for i in range(5):
        for j in range(4):  # rows i-1..i+1, columns j..j+1 (the extra cell at the end)
            expected[i, j] = grid[max(i - 1, 0) : i + 2, j : j + 2].mean()
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def _sparsemax_reference(row):
    """Martins & Astudillo (2016): the projection of `row` onto the probability simplex."""
    ordered = np.sort(row)[::-1]
    ranks = np.arange(1, row.size + 1)
    k = ranks[1 + ranks * ordered > np.cumsum(ordered)].max()
    tau = (ordered[:k].sum() - 1) / k
    return np.maximum(row - tau, 0)


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_sparsemax_reference(axis):
    # Keras 3.15's torch backend sums cumulative sums for tau (rows then miss summing to 1).
    x = A.numpy().astype("float64")
    expected = np.apply_along_axis(_sparsemax_reference, axis, x)
    result = ops.nn.sparsemax(torch.as_tensor(x), axis=axis)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.sum(axis).numpy(), 1.0, rtol=1e-10)


def test_ctc_beam_search_finds_the_best_paths(keras):
    logits = torch.as_tensor(np.random.default_rng(5).standard_normal((2, 6, 4)).astype("float32") * 2)
    lengths = torch.tensor([6, 4])
    decoded, scores = ops.nn.ctc_decode(logits, lengths, strategy="beam_search", beam_width=30, top_paths=2)
    theirs, their_scores = keras.ops.nn.ctc_decode(
        logits, lengths, strategy="beam_search", beam_width=30, top_paths=2
    )
    assert decoded.shape == theirs.shape == (2, 2, 6) and scores.shape == (2, 2)
    np.testing.assert_array_equal(decoded[0].numpy(), theirs[0].numpy())
    np.testing.assert_allclose(scores[:, 0].numpy(), their_scores[:, 0].numpy(), rtol=1e-4)


def test_nn_errors():
    with pytest.raises(ValueError, match="padding"):
        ops.nn.conv(IMG, K2, padding="full")
    with pytest.raises(ValueError, match="kernel"):
        ops.nn.conv(IMG, K1)
    with pytest.raises(ValueError, match="strategy"):
        ops.nn.ctc_decode(CTC_LOGITS, torch.tensor([8, 5]), strategy="beam")
    with pytest.raises(ValueError, match="bias"):
        ops.nn.dot_product_attention(Q, KV4, KV4, bias=ATT_BIAS, mask=ATT_MASK)
    with pytest.raises(ValueError, match="block_size"):
        ops.nn.space_to_depth(IMG, 2)
