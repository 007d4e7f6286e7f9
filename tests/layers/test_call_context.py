"""The call context is per thread: a call on one thread never sees another thread's flags.

Threads are ordered with events (no sleeps): a `Block` layer runs a hook inside its call, which
lets the test interleave two calls deterministically.
"""

import threading

import numpy as np
import torch

import torchkeras as keras
from torchkeras.layers.call_context import call_context

TIMEOUT = 60  # only reached when the code under test deadlocks


class Block(keras.layers.Layer):
    """Runs `hook()`, then a dropout that gets its training flag from the call context (as in
    Keras, the flag of the enclosing call reaches sublayers called without one)."""

    def __init__(self, hook, **kwargs):
        super().__init__(**kwargs)
        self.hook = hook
        self.dropout = keras.layers.Dropout(0.5)

    def call(self, inputs):
        self.hook()
        return self.dropout(inputs)


def _on_thread(name, action):
    def hook():
        if threading.current_thread().name == name:
            action()

    return hook


def _dropout_model(hook):
    return keras.Sequential([keras.Input((32,)), Block(hook)])


def test_inference_call_while_another_thread_trains_runs_in_inference_mode():
    entered, release = threading.Event(), threading.Event()
    model = _dropout_model(_on_thread("trainer", lambda: (entered.set(), release.wait(TIMEOUT))))
    trained = {}
    trainer = threading.Thread(
        target=lambda: trained.setdefault("out", model(torch.ones(64, 32), training=True)), name="trainer"
    )
    trainer.start()
    try:
        assert entered.wait(TIMEOUT)  # the training call is open on the other thread
        served = model(torch.ones(64, 32))
    finally:
        release.set()
        trainer.join()
    torch.testing.assert_close(served, torch.ones(64, 32))  # no dropout in the inference call
    assert (trained["out"] == 0).any()
    assert call_context.depth == 0 and call_context.training is None


def test_training_call_keeps_training_while_another_thread_serves():
    entered, release, done = threading.Event(), threading.Event(), threading.Event()
    training = _dropout_model(_on_thread("trainer", lambda: (entered.set(), release.wait(TIMEOUT))))
    # The serving call, once open, lets the training call finish before finishing itself.
    serving = _dropout_model(_on_thread("server", lambda: (release.set(), done.wait(TIMEOUT))))
    outputs = {}

    def train():
        outputs["train"] = training(torch.ones(64, 32), training=True)
        done.set()

    def serve():
        outputs["serve"] = serving.predict(np.ones((64, 32), "float32"), verbose=0)

    trainer = threading.Thread(target=train, name="trainer")
    server = threading.Thread(target=serve, name="server")
    trainer.start()
    assert entered.wait(TIMEOUT)
    server.start()
    server.join()
    trainer.join()
    assert (outputs["train"] == 0).any()  # dropout ran in training mode
    np.testing.assert_array_equal(outputs["serve"], np.ones((64, 32), "float32"))


def test_several_threads_serving_predict_on_one_model_agree_with_one_thread():
    rng = np.random.default_rng(0)
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(4),
        ]
    )
    inputs = [rng.normal(size=(40, 16)).astype("float32") for _ in range(4)]
    expected = [model.predict(x, batch_size=8, verbose=0) for x in inputs]
    barrier = threading.Barrier(len(inputs))
    results: dict[int, np.ndarray] = {}

    def serve(index: int) -> None:
        barrier.wait(TIMEOUT)  # all threads start predicting together
        results[index] = model.predict(inputs[index], batch_size=8, verbose=0)

    workers = [threading.Thread(target=serve, args=(i,)) for i in range(len(inputs))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for index, want in enumerate(expected):
        np.testing.assert_allclose(results[index], want, rtol=1e-6, atol=1e-6)


def test_losses_of_one_layer_survive_a_call_of_another():
    class Penalized(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(inputs.sum())
            return inputs

    student, teacher = Penalized(), Penalized()
    student(torch.ones(2, 2))
    teacher(torch.ones(3, 3))
    assert [float(v) for v in student.losses] == [4.0]
    student(torch.ones(1, 2))
    assert [float(v) for v in student.losses] == [2.0]  # its own next call replaces them
