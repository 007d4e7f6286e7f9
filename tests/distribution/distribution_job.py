"""A script using `keras.distribution`, run by tests/distribution/test_multi_process.py alone or
under `torchrun --nproc_per_node=2` (gloo on the CPU).

python distribution_job.py OUT
It trains once with `DataParallel` and once with `ModelParallel` (the hidden Dense layer's
kernel and bias split over the "model" axis, the head's kernel split by rows), saves the
ModelParallel model to `OUT/model_parallel.safetensors`, and each rank writes `rank<r>.json`.
"""

import json
import os
import sys

import numpy as np
import torch

import torchkeras as keras


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = rng.normal(size=(40, 2)).astype("float32")
    return x, y


def build_model(dropout):
    keras.utils.set_random_seed(5)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    if dropout:
        x = keras.layers.Dropout(0.25)(x)  # the same masks on every rank (shared random state)
    outputs = keras.layers.Dense(2, name="head")(x)
    return keras.Model(inputs, outputs)


def train(model, optimizer, callbacks=()):
    x, y = data()
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    validation = (x[:10], y[:10])
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        shuffle=False,
        validation_data=validation,
        callbacks=list(callbacks),
        verbose=0,
    )
    return {
        "history": history.history,
        "weights": [w.tolist() for w in model.get_weights()],
        "evaluation": model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True),
        "predictions": model.predict(x[:12], batch_size=5, verbose=0).tolist(),
    }


def _error(function):
    try:
        function()
    except ValueError as error:
        return str(error)
    return None


def model_parallel_errors(sharded_model, mesh, layout_map):
    """The messages of refused ModelParallel uses (raised alike on every rank, before any change),
    and of a sharded model used under another distribution (none: it keeps its own)."""
    x = data()[0][:4]
    uneven = keras.distribution.LayoutMap(mesh)
    uneven["fine/kernel"] = (None, "model")  # splits well, but the next one refuses: nothing changes
    uneven["odd/kernel"] = (None, "model")
    inputs = keras.Input((6,))
    odd = keras.Model(inputs, keras.layers.Dense(3, name="odd")(keras.layers.Dense(4, name="fine")(inputs)))
    torch_optimized = build_model(dropout=False)
    torch_optimized.compile(optimizer=torch.optim.SGD(torch_optimized.parameters(), lr=0.1), loss="mse")
    with keras.distribution.ModelParallel(layout_map=uneven).scope():
        uneven_message = _error(lambda: odd.predict(x, verbose=0))
    untouched = not any(type(w).__name__ == "ShardedVariable" for w in odd.weights)
    with keras.distribution.ModelParallel(layout_map=layout_map).scope():
        torch_optimizer_message = _error(lambda: torch_optimized.fit(x, x[:, :2], verbose=0))
    with keras.distribution.DataParallel().scope():  # a sharded model stays under its ModelParallel
        still_sharded = _error(lambda: sharded_model.predict(x, verbose=0))
    return {
        "uneven": uneven_message,
        "untouched": untouched,
        "torch_optimizer": torch_optimizer_message,
        "still_sharded": still_sharded,
    }


def unbuilt_model_parallel(mesh):
    """A Sequential without an Input is split at its first call, once built."""
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map["lazy/kernel"] = (None, "model")
    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.layers.Dense(4, name="lazy"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    with keras.distribution.ModelParallel(layout_map=layout_map).scope():
        history = model.fit(x, y[:, :1], batch_size=8, epochs=1, shuffle=False, verbose=0)
    return {
        "loss": history.history["loss"],
        "weights": [w.tolist() for w in model.get_weights()],
        "stored": list(model.get_layer("lazy").kernel.shape),
    }


def main(out):
    distribution = keras.distribution
    rank = int(os.environ.get("RANK", "0"))
    if "WORLD_SIZE" in os.environ:  # Keras's explicit form; under torchrun it must agree with the launch
        distribution.initialize("127.0.0.1:29400", int(os.environ["WORLD_SIZE"]), rank)
    else:
        distribution.initialize()  # nothing to do in one process
    record = {"devices": distribution.list_devices()}
    # Under torchrun one device per process; alone, one device (a machine may have several GPUs).
    devices = record["devices"] if "WORLD_SIZE" in os.environ else record["devices"][:1]

    with distribution.DataParallel(devices=devices).scope():
        record["data_parallel"] = train(build_model(dropout=False), keras.optimizers.SGD(0.1))

    mesh = distribution.DeviceMesh((1, len(devices)), ["batch", "model"], devices)
    layout_map = distribution.LayoutMap(mesh)
    layout_map["hidden/kernel"] = (None, "model")
    layout_map["hidden/bias"] = ("model",)
    layout_map["head/kernel"] = ("model", None)
    columns = distribution.distribute_tensor(torch.arange(12.0).reshape(3, 4), layout_map["hidden/kernel"])
    record["dtensor"] = [type(columns).__name__, list(getattr(columns, "to_local", lambda: columns)().shape)]
    with distribution.ModelParallel(layout_map=layout_map).scope():
        model = build_model(dropout=True)
        # ModelCheckpoint's save gathers the sharded weights: every rank joins, rank 0 writes.
        epoch_file = os.path.join(out, "epoch.weights.safetensors")
        checkpoint = keras.callbacks.ModelCheckpoint(epoch_file, save_weights_only=True)
        record["model_parallel"] = train(model, keras.optimizers.Adam(0.01), [checkpoint])
        gathering = model.__dict__.get("_sharded_gathering")  # backward re-gathered the full weights
        record["regathers"] = gathering.regathers if gathering is not None else None
        record["layer_alone"] = model.get_layer("hidden")(torch.ones(2, 6)).tolist()  # gathers its own
        record["stored_shapes"] = {
            name: [list(w.shape) for w in model.get_layer(name).weights] for name in ("hidden", "head")
        }
        model.save(os.path.join(out, "model_parallel.safetensors"))
        # Loading full weights and optimizer state into the sharded model stores the slices.
        checkpoint = os.path.join(out, "checkpoint.weights.safetensors")
        model.save_weights(checkpoint)
        saved = model.get_weights()
        model.fit(*data(), batch_size=8, epochs=1, verbose=0)
        model.load_weights(checkpoint)
        record["reloaded"] = all(np.array_equal(a, b) for a, b in zip(saved, model.get_weights()))
        record["optimizer_iterations"] = int(model.optimizer.iterations)
    record["errors"] = model_parallel_errors(model, mesh, layout_map)
    record["unbuilt"] = unbuilt_model_parallel(mesh)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
        json.dump(record, handle)
    return record


if __name__ == "__main__":
    main(sys.argv[1])
