"""Accuracy metrics and their function forms: parity with Keras, label shapes, masks."""

import numpy as np
import pytest
import torch

from torchkeras import metrics

CASES = [
    ("Accuracy", {}, "binary_rounded", (8, 3)),
    ("BinaryAccuracy", {}, "binary", (8, 1)),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary", (8, 3)),
    ("CategoricalAccuracy", {}, "categorical", (8, 4)),
    ("CategoricalAccuracy", {}, "categorical", (8, 3, 4)),
    ("SparseCategoricalAccuracy", {}, "sparse", (8, 4)),
    ("SparseCategoricalAccuracy", {}, "sparse_column", (8, 4)),
    ("SparseCategoricalAccuracy", {}, "sparse", (8, 3, 4)),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical", (8, 5)),
    ("TopKCategoricalAccuracy", {}, "categorical", (8, 3, 6)),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", (8, 5)),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_column", (8, 5)),
]


def _adapt(batches, kind):
    if kind == "binary_rounded":
        return [(y_true, np.round(y_pred), *rest) for y_true, y_pred, *rest in batches]
    if kind == "sparse_column":
        return [(y_true[:, None], y_pred, *rest) for y_true, y_pred, *rest in batches]
    return batches


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, kwargs, kind, shape", CASES, ids=str)
def test_matches_keras(keras, assert_metric_parity, make_batches, name, kwargs, kind, shape, weighted):
    base_kind = {"binary_rounded": "binary", "sparse_column": "sparse"}.get(kind, kind)
    batches = _adapt(make_batches(base_kind, shape=shape, weighted=weighted), kind)
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert ours.name == theirs.name
    assert_metric_parity(ours, theirs, batches)


def test_masked_sequence_accuracy_matches_keras(keras, assert_metric_parity, make_batches):
    batches = make_batches("sparse", shape=(4, 6, 5), weighted=False)
    masks = [np.random.default_rng(i).uniform(size=(4, 6)) > 0.4 for i in range(3)]
    theirs = keras.metrics.SparseCategoricalAccuracy()
    assert_metric_parity(metrics.SparseCategoricalAccuracy(), theirs, batches, masks)


def test_sparse_top_k_from_sorted_ids(keras, assert_metric_parity):
    rng = np.random.default_rng(0)
    ids = np.argsort(-rng.uniform(size=(8, 6)), axis=-1).astype("float32")
    batches = [(rng.integers(0, 6, (8,)).astype("float32"), ids)]
    kwargs = {"k": 2, "from_sorted_ids": True}
    ours, theirs = (
        metrics.SparseTopKCategoricalAccuracy(**kwargs),
        keras.metrics.SparseTopKCategoricalAccuracy(**kwargs),
    )
    assert_metric_parity(ours, theirs, batches)
    assert ours.get_config()["from_sorted_ids"] is True


def test_function_forms_reference():
    y_pred = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    torch.testing.assert_close(
        metrics.sparse_categorical_accuracy(torch.tensor([1, 2]), y_pred), torch.tensor([1.0, 0.0])
    )
    one_hot = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(metrics.categorical_accuracy(one_hot, y_pred), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(
        metrics.top_k_categorical_accuracy(one_hot, y_pred, k=2), torch.tensor([1.0, 1.0])
    )
    torch.testing.assert_close(
        metrics.sparse_top_k_categorical_accuracy(torch.tensor([0, 1]), y_pred, k=1), torch.tensor([0.0, 0.0])
    )
    torch.testing.assert_close(
        metrics.binary_accuracy(torch.tensor([[1], [0]]), torch.tensor([[0.7], [0.7]])),
        torch.tensor([[1.0], [0.0]]),
    )


def test_top_k_counts_ties_as_hits():
    y_pred = torch.tensor([[0.5, 0.5, 0.0]])
    assert metrics.sparse_top_k_categorical_accuracy(torch.tensor([1]), y_pred, k=1).item() == 1.0


def _state_bits(metric):
    return [v.detach().reshape(-1).view(torch.uint8).tolist() for v in metric.variables]


@pytest.mark.parametrize(
    "name, y_true, y_pred",
    [
        ("SparseCategoricalAccuracy", "labels", "logits"),
        ("SparseCategoricalAccuracy", "int32_column", "logits"),
        ("SparseCategoricalAccuracy", "float_labels", "logits"),
        ("SparseCategoricalAccuracy", "labels", "half_logits"),
        ("CategoricalAccuracy", "one_hot", "logits"),
        ("BinaryAccuracy", "binary", "probabilities"),
        ("BinaryAccuracy", "binary_flat", "probabilities"),
        ("BinaryAccuracy", "binary_int", "probabilities"),
    ],
)
def test_counting_shortcut_matches_the_general_path_bit_for_bit(name, y_true, y_pred):
    rng = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 5, (33,), generator=rng)
    binary = (torch.rand(33, 1, generator=rng) > 0.5).float()
    inputs = {
        "labels": labels,
        "int32_column": labels.int()[:, None],
        "float_labels": labels.float(),
        "one_hot": torch.nn.functional.one_hot(labels, 5).float(),
        "binary": binary,
        "binary_flat": binary[:, 0],
        "binary_int": binary.long(),
        "logits": torch.randn(33, 5, generator=rng).requires_grad_(True),
        "half_logits": torch.randn(33, 5, generator=rng).half(),
        "probabilities": torch.rand(33, 1, generator=rng),
    }
    fast, general = getattr(metrics, name)(), getattr(metrics, name)()
    for _ in range(3):
        fast.update_state(inputs[y_true], inputs[y_pred])
        general.update_state(inputs[y_true], inputs[y_pred], sample_weight=torch.ones(33))  # no shortcut
        assert _state_bits(fast) == _state_bits(general)
        assert torch.equal(fast.result(), general.result())


def test_labels_round_in_the_prediction_dtype_when_classes_exceed_its_integers():
    # float16 holds integers exactly up to 2048: label 2049 rounds to 2048 (as in Keras), so the
    # counting shortcut must not compare it as an integer.
    y_pred = torch.zeros(1, 3000, dtype=torch.float16)
    y_pred[0, 2048] = 1.0
    metric = metrics.SparseCategoricalAccuracy()
    metric.update_state(torch.tensor([2049]), y_pred)
    assert metric.result().item() == 1.0


def test_accuracy_counts_kept_matches_when_read():
    generator = torch.Generator().manual_seed(0)
    metric = metrics.SparseCategoricalAccuracy()
    batches = [
        (torch.randint(0, 4, (n,), generator=generator), torch.randn(n, 4, generator=generator))
        for n in (8, 8, 5)
    ]
    for labels, scores in batches:
        metric.update_state(labels, scores)
    labels = torch.cat([b[0] for b in batches])
    scores = torch.cat([b[1] for b in batches])
    hits = int((scores.argmax(-1) == labels).sum())
    expected = torch.tensor(hits / 21)
    # Reading the state (variables, result) counts the kept batches once.
    total, count = (float(v) for v in metric.variables)
    assert (total, count) == (hits, 21)
    torch.testing.assert_close(metric.result(), expected)
    # A weighted batch (the general path) adds after the kept ones.
    metric.update_state(labels[:2], scores[:2], sample_weight=torch.tensor([0.0, 1.0]))
    hit = float(scores[1].argmax() == labels[1])
    torch.testing.assert_close(metric.result(), torch.tensor((hits + hit) / 22))
    metric.update_state(labels, scores)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    metric.update_state(labels, scores)
    torch.testing.assert_close(metric.result(), expected)


@pytest.mark.parametrize("name", ["BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy"])
def test_kept_matches_of_batches_of_several_sizes_count_once_when_read(name):
    generator = torch.Generator().manual_seed(3)
    fast, general = getattr(metrics, name)(), getattr(metrics, name)()
    for n in (8, 3, 8, 1):
        labels = torch.randint(0, 4, (n,), generator=generator)
        y_true = {
            "BinaryAccuracy": (labels[:, None] > 1).float(),
            "CategoricalAccuracy": torch.nn.functional.one_hot(labels, 4).float(),
            "SparseCategoricalAccuracy": labels,
        }[name]
        y_pred = torch.rand(n, 1 if name == "BinaryAccuracy" else 4, generator=generator)
        fast.update_state(y_true, y_pred)
        general.update_state(y_true, y_pred, sample_weight=torch.ones(n))  # no shortcut
    assert _state_bits(fast) == _state_bits(general)
    assert torch.equal(fast.result(), general.result())


def test_kept_matches_are_counted_before_the_state_moves():
    metric, labels, scores = metrics.SparseCategoricalAccuracy(), torch.tensor([0, 1]), torch.eye(2)
    metric.update_state(labels, scores)
    metric._device = torch.device("meta")  # as if the state lived elsewhere: the next batch moves it
    metric.update_state(labels, scores[[1, 0]])
    assert metric.device == torch.device("cpu")
    assert metric.result().item() == 0.5
