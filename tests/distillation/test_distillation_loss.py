"""LogitsDistillation and FeatureDistillation: values against Keras, structures, errors."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.distillation import DistillationLoss, FeatureDistillation, LogitsDistillation


def _logits(seed, shape=(6, 5), scale=2.0):
    rng = np.random.default_rng(seed)
    return (scale * rng.normal(size=shape)).astype("float32")


def _theirs(keras):
    from keras.src.distillation import distillation_loss

    return distillation_loss


@pytest.mark.parametrize("temperature", [1.0, 3.0, 5.5])
@pytest.mark.parametrize("loss_name", ["kl_divergence", "categorical_crossentropy", "mse"])
def test_logits_distillation_matches_keras_for_loss_names(keras, temperature, loss_name):
    teacher, student = _logits(1), _logits(2)
    ours = LogitsDistillation(temperature=temperature, loss=loss_name)
    theirs = _theirs(keras).LogitsDistillation(temperature=temperature, loss=loss_name)
    expected = float(theirs.compute_loss(teacher, student))
    got = float(ours.compute_loss(torch.tensor(teacher), torch.tensor(student)))
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_logits_distillation_kl_instance_softens_and_rescales_like_keras(keras, temperature):
    teacher, student = _logits(3), _logits(4)
    ours = LogitsDistillation(temperature=temperature, loss=torchkeras.losses.KLDivergence())
    theirs = _theirs(keras).LogitsDistillation(temperature=temperature, loss=keras.losses.KLDivergence())
    expected = float(theirs.compute_loss(teacher, student))
    got = float(ours.compute_loss(torch.tensor(teacher), torch.tensor(student)))
    assert got == pytest.approx(expected, rel=1e-5)
    # Reference formula: T^2 * mean KL(softmax(t / T) || softmax(s / T)).
    p = torch.softmax(torch.tensor(teacher) / temperature, -1)
    q = torch.softmax(torch.tensor(student) / temperature, -1)
    reference = (p * (p / q).log()).sum(-1).mean() * temperature**2
    assert got == pytest.approx(float(reference), rel=1e-4)


def test_logits_distillation_multi_output_with_skipped_entry_matches_keras(keras):
    teacher = [_logits(5), _logits(6, (6, 3))]
    student = [_logits(7), _logits(8, (6, 3))]
    ours = LogitsDistillation(temperature=2.0, loss=[torchkeras.losses.KLDivergence(), None])
    theirs = _theirs(keras).LogitsDistillation(temperature=2.0, loss=[keras.losses.KLDivergence(), None])
    expected = float(theirs.compute_loss(teacher, student))
    got = float(ours.compute_loss([torch.tensor(t) for t in teacher], [torch.tensor(s) for s in student]))
    assert got == pytest.approx(expected, rel=1e-5)
    only_first = LogitsDistillation(temperature=2.0, loss=torchkeras.losses.KLDivergence())
    assert got == pytest.approx(
        float(only_first.compute_loss(torch.tensor(teacher[0]), torch.tensor(student[0])))
    )


@pytest.mark.parametrize("loss", ["mse", "mae", "cosine_similarity", ["mse", None, "mae"]])
def test_feature_distillation_matches_keras(keras, loss):
    shapes = [(4, 7), (4, 3), (4, 2, 5)] if isinstance(loss, list) else [(4, 7)]
    teacher = [_logits(10 + i, shape) for i, shape in enumerate(shapes)]
    student = [_logits(20 + i, shape) for i, shape in enumerate(shapes)]
    if not isinstance(loss, list):
        teacher, student = teacher[0], student[0]
    ours = FeatureDistillation(loss=loss)
    theirs = _theirs(keras).FeatureDistillation(loss=loss)
    expected = float(theirs.compute_loss(teacher, student))
    to_torch = lambda v: [torch.tensor(a) for a in v] if isinstance(v, list) else torch.tensor(v)  # noqa: E731
    got = float(ours.compute_loss(to_torch(teacher), to_torch(student)))
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_feature_distillation_gradient_reaches_student_only():
    teacher = torch.tensor(_logits(30, (3, 4)))
    student = torch.tensor(_logits(31, (3, 4)), requires_grad=True)
    loss = FeatureDistillation(loss="mse").compute_loss(teacher, student)
    loss.backward()
    expected = 2 * (student.detach() - teacher) / student.numel()
    torch.testing.assert_close(student.grad, expected)


def test_configs_round_trip():
    logits = LogitsDistillation(temperature=4.0, loss=["kl_divergence", None])
    config = logits.get_config()
    assert config["temperature"] == 4.0
    restored = LogitsDistillation.from_config(config)
    assert restored.temperature == 4.0 and restored.loss[1] is None
    features = FeatureDistillation(loss=torchkeras.losses.MeanAbsoluteError(), teacher_layer_name="a")
    restored = FeatureDistillation.from_config(features.get_config())
    assert isinstance(restored.loss, torchkeras.losses.MeanAbsoluteError)
    assert restored.teacher_layer_name == "a" and restored.student_layer_name is None


def test_config_matches_keras_keys(keras):
    theirs = _theirs(keras)
    assert set(LogitsDistillation().get_config()) == set(theirs.LogitsDistillation().get_config())
    assert set(FeatureDistillation().get_config()) == set(theirs.FeatureDistillation().get_config())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": -2}, "temperature"),
        ({"temperature": "3"}, "temperature"),
        ({"loss": None}, "non-None"),
        ({"loss": [None, None]}, "non-None"),
        ({"loss": "no_such_loss"}, "no_such_loss"),
        ({"loss": 3}, "loss"),
    ],
)
def test_logits_distillation_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LogitsDistillation(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": None}, "non-None"),
        ({"loss": [None]}, "non-None"),
        ({"teacher_layer_name": 3}, "teacher_layer_name"),
        ({"student_layer_name": ["a"]}, "student_layer_name"),
    ],
)
def test_feature_distillation_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FeatureDistillation(**kwargs)


def test_structure_mismatch_is_reported():
    loss = FeatureDistillation(loss=["mse", "mse"])
    one = torch.zeros(2, 3)
    with pytest.raises(ValueError):
        loss.validate_outputs([one, one], [one])
    with pytest.raises(ValueError, match="structure of `loss`"):
        loss.validate_outputs(one, one)


def test_base_class_requires_compute_loss():
    with pytest.raises(NotImplementedError, match="compute_loss"):
        DistillationLoss().compute_loss(torch.zeros(1), torch.zeros(1))
