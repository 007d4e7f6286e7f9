"""The optimizer base: common options vs Keras, build/step/apply semantics, learning rate, state, errors."""

import copy
import warnings

import numpy as np
import pytest
import torch

from tests.optimizers.optimizer_parity import make_data, to_numpy
from torchkeras.optimizers import SGD, Adam, RMSprop
from torchkeras.optimizers.schedules import ExponentialDecay

# ------------------------------------------------------------------ common options, parity with Keras
OPTIONS = [
    {"weight_decay": 0.1},
    {"clipnorm": 1.0},
    {"clipvalue": 0.5},
    {"global_clipnorm": 1.5},
    {"use_ema": True},
    {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2},
    {"gradient_accumulation_steps": 2},
    {"gradient_accumulation_steps": 3, "use_ema": True, "weight_decay": 0.05, "clipnorm": 0.5},
    {"loss_scale_factor": 128.0},
]


@pytest.mark.parametrize("name", ["Adam", "SGD"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o))
def test_common_options_parity(check_parity, name, options):
    momentum = {"momentum": 0.9} if name == "SGD" else {}
    check_parity(lambda m: getattr(m.optimizers, name)(learning_rate=0.05, **momentum, **options), steps=6)


@pytest.mark.parametrize(
    "name",
    [
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "Nadam",
        "Lion",
        "Ftrl",
        "Adafactor",
    ],
)
def test_every_optimizer_through_step_with_options(check_parity, name):
    options = {"clipnorm": 1.0, "use_ema": True, "gradient_accumulation_steps": 2}
    # Ftrl's `linear` slot sums terms scaled by 1 / learning_rate (1000x) that nearly cancel, so
    # float32 rounding differences show up there at ~1e-4 absolute (the variables still agree).
    atol = 1e-4 if name == "Ftrl" else 1e-6
    check_parity(lambda m: getattr(m.optimizers, name)(**options), steps=6, use_step=True, atol=atol)


def test_clipping_with_large_gradients(check_parity):
    check_parity(lambda m: m.optimizers.SGD(learning_rate=0.1, global_clipnorm=1.0), scale=100.0)
    check_parity(lambda m: m.optimizers.SGD(learning_rate=0.1, clipnorm=1.0), scale=100.0)


@pytest.mark.parametrize(
    "make_schedule",
    [
        lambda s: s.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
        lambda s: s.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
        lambda s: s.CosineDecay(0.01, decay_steps=4, warmup_target=0.1, warmup_steps=2),
    ],
)
def test_schedule_parity(check_parity, make_schedule):
    check_parity(lambda m: m.optimizers.Adam(learning_rate=make_schedule(m.optimizers.schedules)), steps=6)
    check_parity(
        lambda m: m.optimizers.SGD(
            learning_rate=make_schedule(m.optimizers.schedules), momentum=0.9, weight_decay=0.1
        ),
        steps=6,
    )


def test_callable_learning_rate_parity(check_parity):
    check_parity(lambda m: m.optimizers.RMSprop(learning_rate=lambda: 0.02))


def test_schedule_sees_raw_iterations_under_accumulation(check_parity):
    schedule = lambda m: m.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)  # noqa: E731
    check_parity(
        lambda m: m.optimizers.Adam(learning_rate=schedule(m), gradient_accumulation_steps=2), steps=6
    )


def test_learning_rate_set_mid_training_parity(keras):
    import torchkeras

    init, grads = make_data(4)
    keras_opt, ours = keras.optimizers.Adam(0.1), torchkeras.optimizers.Adam(0.1)
    keras_vars = [keras.Variable(x) for x in init]
    our_vars = [torch.tensor(x) for x in init]
    for i, step_grads in enumerate(grads):
        if i == 2:
            keras_opt.learning_rate = 0.01
            ours.learning_rate = 0.01
        keras_opt.apply([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
        ours.apply([torch.tensor(g) for g in step_grads], our_vars)
    for expected, actual in zip(keras_vars, our_vars):
        np.testing.assert_allclose(actual.numpy(), to_numpy(keras, expected), rtol=1e-5, atol=1e-6)
    assert float(ours.learning_rate) == pytest.approx(0.01)


def test_finalize_variable_values_parity(keras):
    import torchkeras

    init, grads = make_data(4)
    keras_opt = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    ours = torchkeras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    keras_vars = [keras.Variable(x) for x in init]
    our_vars = [torch.tensor(x) for x in init]
    for step_grads in grads:
        keras_opt.apply([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
        ours.apply([torch.tensor(g) for g in step_grads], our_vars)
    keras_opt.finalize_variable_values(keras_vars)
    ours.finalize_variable_values(our_vars)
    for expected, actual in zip(keras_vars, our_vars):
        np.testing.assert_allclose(actual.numpy(), to_numpy(keras, expected), rtol=1e-5, atol=1e-6)


def test_variables_order_matches_keras(keras):
    import torchkeras

    def build(module, variables):
        optimizer = module.optimizers.RMSprop(
            momentum=0.5, centered=True, use_ema=True, gradient_accumulation_steps=2
        )
        optimizer.build(variables)
        return optimizer

    names, shapes = ["kernel", "bias"], [(2, 3), (3,)]
    keras_opt = build(keras, [keras.Variable(np.zeros(s, "float32"), name=n) for n, s in zip(names, shapes)])
    our_vars = [torch.zeros(s) for s in shapes]
    for variable, name in zip(our_vars, names):
        variable.path = name
    ours = build(torchkeras, our_vars)
    assert [tuple(v.shape) for v in ours.variables] == [tuple(v.shape) for v in keras_opt.variables]
    keras_paths = [v.path.split("/", 1)[-1] for v in keras_opt.variables]
    our_paths = [path.split("/", 1)[-1] for path in ours._variable_paths()]
    assert our_paths == keras_paths  # iteration, learning_rate, kernel_average, bias_average, ...


# ----------------------------------------------------------------------- build, step, apply semantics
def test_build_is_idempotent_and_rejects_other_variables():
    variables = [torch.zeros(2), torch.zeros(3)]
    optimizer = Adam()
    optimizer.build(variables)
    slots = list(optimizer.variables)
    optimizer.build(list(variables))
    assert all(a is b for a, b in zip(optimizer.variables, slots))
    with pytest.raises(ValueError, match="already built"):
        optimizer.build([torch.zeros(2)])


def test_step_matches_apply_and_skips_missing_grads():
    a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    reference_a, reference_b = torch.ones(2), torch.ones(3)
    optimizer, reference = Adam(0.1), Adam(0.1)
    optimizer.build([a, b])
    reference.build([reference_a, reference_b])
    (a * torch.tensor([1.0, 2.0])).sum().backward()  # b gets no gradient
    optimizer.step()
    reference.apply([torch.tensor([1.0, 2.0])], [reference_a])
    np.testing.assert_allclose(a.detach().numpy(), reference_a.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), np.ones(3))
    optimizer.zero_grad(set_to_none=True)
    assert a.grad is None
    assert int(optimizer.iterations) == 1


def test_step_with_closure_returns_loss():
    w = torch.ones(2, requires_grad=True)
    optimizer = SGD(0.5)
    optimizer.build([w])

    def closure():
        optimizer.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert float(loss.detach()) == 2.0
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])


def test_apply_gradients_and_unknown_variable():
    w = torch.ones(2)
    optimizer = SGD(0.5)
    iterations = optimizer.apply_gradients([(torch.ones(2), w)])
    assert int(iterations) == 1
    np.testing.assert_allclose(w.numpy(), [0.5, 0.5])
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([torch.ones(2)], [torch.ones(2)])


def test_apply_subset_and_missing_gradients():
    a, b = torch.ones(2), torch.ones(3)
    optimizer = SGD(0.5, momentum=0.5)
    optimizer.build([a, b])
    optimizer.apply([torch.ones(3)], [b])
    np.testing.assert_allclose(b.numpy(), np.full(3, 0.5))
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply([None, torch.ones(3)], [a, b])
    np.testing.assert_allclose(a.numpy(), np.ones(2))
    with pytest.raises(ValueError, match="No gradients provided"):
        optimizer.apply([None, None], [a, b])


def test_apply_without_variables_requires_build():
    with pytest.raises(ValueError, match="must already be built"):
        Adam().apply([torch.ones(2)])


def test_step_before_build_raises():
    with pytest.raises(ValueError, match="build"):
        Adam().step()


def test_apply_accepts_numpy_gradients():
    w = torch.ones(2, dtype=torch.float64)
    SGD(0.5).apply([np.ones(2, dtype="float32")], [w])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.5])


def test_constraint_attribute_is_applied_after_update():
    w = torch.ones(2)
    w.constraint = lambda x: torch.clamp(x, min=0.25)
    SGD(1.0).apply([torch.tensor([2.0, 0.5])], [w])
    np.testing.assert_allclose(w.numpy(), [0.25, 0.5])


def test_is_a_torch_optimizer_with_param_groups():
    w = torch.ones(2, requires_grad=True)
    optimizer = Adam(0.01)
    assert isinstance(optimizer, torch.optim.Optimizer)
    optimizer.build([w])
    assert optimizer.param_groups[0]["params"] == [w]
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


# ------------------------------------------------------------------------------ learning rate
def test_learning_rate_is_readable_and_settable():
    optimizer = Adam(0.001)
    assert float(optimizer.learning_rate) == pytest.approx(0.001)
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == 0.5
    optimizer.learning_rate = ExponentialDecay(0.1, 10, 0.5)
    assert len(optimizer.variables) == 1  # the learning rate variable is dropped, as in Keras
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_schedule_learning_rate_is_not_settable_to_float():
    optimizer = SGD(ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.1


def test_torch_lr_scheduler_drives_learning_rate():
    w = torch.zeros(1, requires_grad=True)
    optimizer = SGD(1.0)
    optimizer.build([w])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        w.grad = torch.ones(1)
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(w.detach().numpy(), [-(1.0 + 0.5 + 0.25)])
    assert float(optimizer.learning_rate) == 0.125


def test_in_place_edits_of_learning_rate_and_iterations_are_seen():
    w = torch.zeros(1)
    optimizer = SGD(1.0)
    optimizer.apply([torch.ones(1)], [w])
    optimizer.learning_rate.fill_(0.5)
    optimizer.iterations.fill_(10)
    optimizer.apply([torch.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-1.5])
    assert int(optimizer.iterations) == 11


def test_iterations_count_updates_under_accumulation():
    w = torch.zeros(1)
    optimizer = SGD(1.0, gradient_accumulation_steps=2)
    for _ in range(5):
        optimizer.apply([torch.ones(1)], [w])
    assert int(optimizer.iterations) == 2
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_scale_loss():
    assert float(Adam(loss_scale_factor=4.0).scale_loss(torch.tensor(2.0))) == 8.0
    assert float(Adam().scale_loss(torch.tensor(2.0))) == 2.0


# ------------------------------------------------------------------------------------- state
def _run(optimizer, variable, grads):
    for g in grads:
        optimizer.apply([g], [variable])


def _grads(n):
    generator = torch.Generator().manual_seed(1)
    return [torch.randn(3, generator=generator) for _ in range(n)]


@pytest.mark.parametrize("load_before_build", [True, False])
def test_state_dict_round_trip_continues_identically(load_before_build):
    grads = _grads(6)
    make = lambda: RMSprop(0.05, momentum=0.5, centered=True, use_ema=True)  # noqa: E731
    uninterrupted, original = make(), torch.ones(3)
    _run(uninterrupted, original, grads[:3])
    saved = copy.deepcopy(uninterrupted.state_dict())
    copy_of_variable = original.clone()
    restored = make()
    if not load_before_build:
        restored.build([copy_of_variable])
    restored.load_state_dict(saved)
    assert restored.state_dict()["optimizer_variables"]["iterations"] is not None
    _run(uninterrupted, original, grads[3:])
    _run(restored, copy_of_variable, grads[3:])
    np.testing.assert_allclose(copy_of_variable.numpy(), original.numpy(), rtol=1e-6)
    assert int(restored.iterations) == 6
    for a, b in zip(restored.variables, uninterrupted.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_state_tensors_round_trip_pending_until_build():
    grads = _grads(5)
    uninterrupted, original = Adam(0.1, amsgrad=True), torch.ones(3)
    _run(uninterrupted, original, grads[:2])
    tensors = {k: v.clone() for k, v in uninterrupted.get_state_tensors().items()}
    assert list(tensors) == [str(i) for i in range(len(uninterrupted.variables))]
    restored, copy_of_variable = Adam(0.1, amsgrad=True), original.clone()
    restored.set_state_tensors(tensors)
    assert set(restored.get_state_tensors()) == set(tensors)  # still pending, not lost
    _run(uninterrupted, original, grads[2:])
    _run(restored, copy_of_variable, grads[2:])
    np.testing.assert_allclose(copy_of_variable.numpy(), original.numpy(), rtol=1e-6)
    assert int(restored.iterations) == 5


def test_loads_keras_saved_optimizer_variables(keras):
    import torchkeras

    init, grads = make_data(6)
    keras_opt = keras.optimizers.Nadam(0.01)
    keras_vars = [keras.Variable(x) for x in init]
    for step_grads in grads[:3]:
        keras_opt.apply([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
    store = {}
    keras_opt.save_own_variables(store)
    ours = torchkeras.optimizers.Nadam(0.01)
    our_vars = [torch.tensor(to_numpy(keras, v)) for v in keras_vars]
    ours.load_own_variables(store)  # before build: applied once built
    for step_grads in grads[3:]:
        keras_opt.apply([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
        ours.apply([torch.tensor(g) for g in step_grads], our_vars)
    for expected, actual in zip(keras_vars, our_vars):
        np.testing.assert_allclose(actual.numpy(), to_numpy(keras, expected), rtol=1e-5, atol=1e-6)


def test_mismatched_state_warns_or_raises():
    optimizer = Adam()
    optimizer.build([torch.zeros(2)])
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizer.set_state_tensors({"0": torch.tensor(3)})
    with pytest.raises(ValueError, match="shape"):
        optimizer.set_weights([np.zeros(()), np.zeros(()), np.zeros(5), np.zeros(2)])
    sgd = SGD(momentum=0.9)
    sgd.build([torch.zeros(2)])
    with pytest.raises(ValueError, match="slots"):
        sgd.load_state_dict(optimizer.state_dict())


def test_deepcopy_keeps_everything():
    w = torch.ones(2)
    optimizer = Adam(0.1)
    optimizer.apply([torch.ones(2)], [w])
    clone = copy.deepcopy(optimizer)
    assert clone.get_config() == optimizer.get_config()
    assert int(clone.iterations) == 1


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"learning_rate": -0.1}, "`learning_rate` must be a non-negative"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"clipnorm": 1.0, "clipvalue": 1.0}, "Only one of"),
        ({"clipnorm": -1.0}, "clipnorm"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
        ({"use_ema": True, "ema_momentum": 2.0}, "ema_momentum"),
        ({"use_ema": True, "ema_overwrite_frequency": 0.5}, "ema_overwrite_frequency"),
        ({"loss_scale_factor": 0.0}, "loss_scale_factor"),
        ({"bogus": 1}, "not recognized"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Adam(**kwargs)


def test_negative_learning_rate_rejected_by_setter():
    optimizer = Adam()
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = -1.0


def test_decay_argument_is_ignored_with_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Adam(decay=0.1)
    assert any("decay" in str(w.message) for w in caught)


def test_keras_optimizers_skip_torch_methods_that_import_dynamo(monkeypatch):
    """torch's `add_param_group` / `zero_grad` import torch._dynamo on first use (~0.7 s, paid by
    the first epoch); a Keras optimizer builds its group and clears gradients itself."""
    import torchkeras as tk

    def refuse(*args, **kwargs):
        raise AssertionError("a torch.optim.Optimizer method that imports torch._dynamo was called")

    monkeypatch.setattr(torch.optim.Optimizer, "add_param_group", refuse)
    monkeypatch.setattr(torch.optim.Optimizer, "zero_grad", refuse)
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    before = [w.detach().clone() for w in model.weights]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.weights))
    assert all(w.grad is not None for w in model.trainable_weights)  # the last step's gradients
    model.optimizer.zero_grad(set_to_none=False)
    assert all(not w.grad.any() for w in model.trainable_weights)
    model.optimizer.zero_grad()
    assert all(w.grad is None for w in model.trainable_weights)
    param_group = model.optimizer.param_groups[0]
    assert [id(p) for p in param_group["params"]] == [id(w) for w in model.trainable_weights]
