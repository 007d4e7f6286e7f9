"""Cross-entropies, KL divergence, Poisson: parity with Keras, reference formulas, errors."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torchkeras import losses

CASES = [
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical_logits"),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0}, "categorical"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, "sparse"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
]
SETTINGS = [  # (reduction, with sample_weight, with mask)
    ("sum_over_batch_size", False, False),
    ("sum", True, False),
    ("sum_over_batch_size", True, True),
    ("mean_with_sample_weight", True, False),
    ("none", False, True),
]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("name, kwargs, kind", CASES, ids=lambda c: str(c))
def test_matches_keras(keras, assert_loss_parity, make_inputs, name, kwargs, kind, setting):
    reduction, weighted, masked = setting
    y_true, y_pred = make_inputs(kind, shape=(6, 4))
    weights = np.linspace(0.2, 1.7, 6).astype("float32") if weighted else None
    mask = np.array([True, False, True, True, False, True]) if masked else None
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    assert_loss_parity(ours, theirs, y_true, y_pred, weights, mask)


@pytest.mark.parametrize("kind", ["sparse", "sparse_logits"])
@pytest.mark.parametrize("label_shape", ["flat", "column", "int64"])
def test_sparse_label_shapes_and_dtypes(keras, assert_loss_parity, make_inputs, kind, label_shape):
    y_true, y_pred = make_inputs(kind, shape=(5, 3))
    y_true = {"flat": y_true, "column": y_true[:, None], "int64": y_true.astype("int64")}[label_shape]
    from_logits = kind == "sparse_logits"
    ours = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert_loss_parity(
        ours, keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits), y_true, y_pred
    )


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_sparse_ignore_class_on_sequences(keras, assert_loss_parity, make_inputs, from_logits, reduction):
    y_true, y_pred = make_inputs("sparse_logits" if from_logits else "sparse", shape=(3, 5, 4))
    y_true[0, :2] = -1
    y_true[2, 4] = -1
    kwargs = {"from_logits": from_logits, "ignore_class": -1, "reduction": reduction}
    mask = np.ones((3, 5), bool)
    mask[1, 0] = False
    result = assert_loss_parity(
        losses.SparseCategoricalCrossentropy(**kwargs),
        keras.losses.SparseCategoricalCrossentropy(**kwargs),
        y_true,
        y_pred,
        mask=mask,
    )
    if reduction == "none":
        assert (result[0, :2] == 0).all() and result[2, 4] == 0


def test_sparse_ignore_class_averages_over_kept_entries():
    logits = torch.randn(4, 3)
    labels = torch.tensor([0, 2, 1, 2])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)(labels, logits)
    torch.testing.assert_close(loss, F.cross_entropy(logits, labels, ignore_index=2))


def test_categorical_axis_and_3d_inputs(keras, assert_loss_parity, make_inputs):
    y_true, y_pred = make_inputs("categorical", shape=(2, 3, 4))
    for axis in (-1, 1):
        y_t, y_p = (y_true, y_pred) if axis == -1 else (y_true.swapaxes(1, 2), y_pred.swapaxes(1, 2))
        assert_loss_parity(
            losses.CategoricalCrossentropy(axis=axis),
            keras.losses.CategoricalCrossentropy(axis=axis),
            y_t,
            y_p,
        )


def test_binary_crossentropy_reference_and_clipping():
    y_true = torch.tensor([[1.0, 0.0, 1.0]])
    y_pred = torch.tensor([[0.0, 0.0, 0.8]])  # exact zeros are clipped to epsilon, never inf
    expected = (
        -(torch.log(torch.tensor(1e-7)) + torch.log(torch.tensor(1 - 1e-7)) + torch.log(torch.tensor(0.8)))
        / 3
    )
    torch.testing.assert_close(
        losses.binary_crossentropy(y_true, y_pred), expected.reshape(1), rtol=1e-4, atol=1e-5
    )


def test_binary_crossentropy_runs_under_autocast():
    y_true, y_pred = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.7, 0.2]], dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        result = losses.BinaryCrossentropy()(y_true, y_pred)
    assert result.dtype == torch.float32 and torch.isfinite(result)


def test_function_forms_match_keras(keras, make_inputs):
    y_true, y_pred = make_inputs("categorical", shape=(4, 3))
    for name in ("categorical_crossentropy", "kl_divergence", "poisson", "categorical_focal_crossentropy"):
        expected = keras.ops.convert_to_numpy(getattr(keras.losses, name)(y_true, y_pred))
        np.testing.assert_allclose(
            getattr(losses, name)(y_true, y_pred).numpy(), expected, rtol=1e-5, atol=1e-6
        )
    y_true, y_pred = make_inputs("logits", shape=(4, 3))
    expected = keras.losses.binary_crossentropy(y_true, y_pred, from_logits=True, label_smoothing=0.3)
    result = losses.binary_crossentropy(y_true, y_pred, from_logits=True, label_smoothing=0.3)
    np.testing.assert_allclose(result.numpy(), keras.ops.convert_to_numpy(expected), rtol=1e-5, atol=1e-6)


def test_shape_errors():
    with pytest.raises(ValueError, match="same shape"):
        losses.binary_crossentropy(torch.zeros(4, 2), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="same shape"):
        losses.categorical_crossentropy(torch.zeros(4, 2), torch.full((4, 3), 0.3))
    with pytest.raises(ValueError, match="without its class axis"):
        losses.sparse_categorical_crossentropy(torch.zeros(5), torch.full((4, 3), 0.3))
    with pytest.raises(ValueError, match="`axis` must be of type `int`"):
        losses.categorical_crossentropy(torch.zeros(4, 2), torch.zeros(4, 2), axis=True)
    with pytest.raises(ValueError, match="`q` must be in the interval"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)


def test_single_class_categorical_warns():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(torch.ones(3, 1), torch.ones(3, 1))


@pytest.mark.parametrize("dtype", [None, "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_integer_labels_skip_the_float_cast_with_identical_results(dtype, reduction, from_logits):
    # Integer labels go to the kernel as they are (a shortcut); float labels take the documented
    # cast. Both must give the same bits, values and gradients alike.
    rng = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 7, generator=rng)
    y_pred = logits if from_logits else torch.softmax(logits, -1)
    labels = torch.randint(0, 7, (16,), generator=rng)
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction=reduction, dtype=dtype)
    results = []
    for y_true in (labels, labels.int()[:, None], labels.to(loss._torch_dtype)):
        pred = y_pred.clone().requires_grad_(True)
        value = loss(y_true, pred)
        value.sum().backward()
        results.append((value.detach(), pred.grad))
    for value, grad in results[1:]:
        assert torch.equal(value, results[0][0]) and torch.equal(grad, results[0][1])
    with pytest.raises(IndexError):  # out-of-range labels fail on either path
        losses.SparseCategoricalCrossentropy(from_logits=True)(labels + 7, logits)


def test_sparse_labels_round_in_the_loss_dtype_when_classes_exceed_its_integers():
    # With bfloat16 (integers exact up to 256), label 257 becomes 256 as in Keras: no shortcut.
    logits = torch.zeros(1, 300)
    logits[0, 256] = 10.0
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, dtype="bfloat16")
    assert loss(torch.tensor([257]), logits).item() == loss(torch.tensor([256]), logits).item()


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean", "sum"])
def test_sparse_categorical_crossentropy_fused_path_matches_the_general_one(from_logits, reduction):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(37, 5, generator=generator) * 3
    y_pred = logits if from_logits else torch.softmax(logits, -1)
    labels = torch.randint(0, 5, (37,), generator=generator)
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction=reduction)
    assert loss._fuses(labels, y_pred)
    fused = loss(labels, y_pred)
    # Float labels and a (batch, 1) shape take the general path: same value.
    general = loss(labels.float()[:, None], y_pred)
    assert not loss._fuses(labels.float()[:, None], y_pred)
    torch.testing.assert_close(fused, general, rtol=1e-6, atol=1e-6)
    per_sample = F.cross_entropy(logits, labels, reduction="none")
    expected = per_sample.sum() if reduction == "sum" else per_sample.mean()
    torch.testing.assert_close(fused, expected, rtol=1e-5, atol=1e-6)


def test_sparse_categorical_crossentropy_fused_path_is_skipped_for_masks_and_weights():
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 2, 1, 2])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    weighted = loss(labels, logits, sample_weight=torch.tensor([1.0, 0.0, 0.0, 0.0]))
    torch.testing.assert_close(weighted, F.cross_entropy(logits[:1], labels[:1]) / 4)
    masked = logits.clone()
    masked._keras_mask = torch.tensor([True, False, False, True])
    assert not loss._fuses(labels, masked)
    ignoring = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    assert not ignoring._fuses(labels, logits)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_categorical_crossentropy_fused_mean_is_the_sum_divided_by_the_batch(dtype, from_logits):
    # The kernel averages where that is bit for bit the summed loss divided in the loss dtype;
    # the other dtypes divide the sum themselves: either way the value of the summing path.
    generator = torch.Generator().manual_seed(0)
    torch_dtype = getattr(torch, dtype)
    mean = losses.SparseCategoricalCrossentropy(from_logits=from_logits, dtype=dtype)
    total = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction="sum", dtype=dtype)
    for _ in range(40):
        batch = int(torch.randint(1, 200, (), generator=generator))
        classes = int(torch.randint(2, 20, (), generator=generator))
        logits = torch.randn(batch, classes, generator=generator) * 5
        y_pred = (logits if from_logits else torch.softmax(logits, -1)).to(torch_dtype)
        labels = torch.randint(0, classes, (batch,), generator=generator)
        assert mean._fuses(labels, y_pred) and total._fuses(labels, y_pred)
        expected = total(labels, y_pred) / torch.tensor(batch, dtype=torch_dtype)
        assert torch.equal(mean(labels, y_pred), expected)


def test_sparse_categorical_crossentropy_plans_its_fused_path_again_when_configured_again():
    logits = torch.randn(6, 3, generator=torch.Generator().manual_seed(2))
    labels = torch.tensor([0, 2, 1, 2, 0, 1])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    loss.reduction = "sum"
    torch.testing.assert_close(loss(labels, logits), F.cross_entropy(logits, labels, reduction="sum"))
    loss.reduction = "none"
    assert not loss._fuses(labels, logits)
    torch.testing.assert_close(loss(labels, logits), F.cross_entropy(logits, labels, reduction="none"))
    loss.reduction = "sum_over_batch_size"
    assert loss._fuses(labels, logits)
    torch.testing.assert_close(loss(labels, logits), F.cross_entropy(logits, labels))
    copied = losses.deserialize(losses.serialize(loss))
    assert copied._fuses(labels, logits) and torch.equal(copied(labels, logits), loss(labels, logits))
    restored = pickle.loads(pickle.dumps(loss))
    assert restored._fuses(labels, logits) and torch.equal(restored(labels, logits), loss(labels, logits))


def test_sparse_categorical_crossentropy_subclass_with_its_own_call_is_not_fused():
    class Doubled(losses.SparseCategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return 2 * super().call(y_true, y_pred)

    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(4))
    labels = torch.tensor([0, 2, 1, 2, 0])
    loss = Doubled(from_logits=True)
    assert not loss._fuses(labels, logits)
    torch.testing.assert_close(loss(labels, logits), 2 * F.cross_entropy(logits, labels))
