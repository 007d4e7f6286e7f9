"""Tutorial 8 — Saving, loading, and moving models between Keras and torchkeras.

- `model.save("m.keras")` writes Keras 3's own archive: Keras loads it, and torchkeras loads
  archives Keras wrote. It stores the weights as HDF5, so it needs the `h5` extra (h5py).
- `model.save("m.safetensors")` writes one safetensors file (config in its metadata), readable
  without h5py.
- `save_weights` / `load_weights` move weights only; `export` writes a program plain torch runs.
Loading never runs code from a file.

    python tutorials/08_saving_and_keras_interop.py [--quick] [--epochs N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

import torchkeras as keras


def build_model() -> keras.Model:
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Rescaling(1.0 / 16)(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs)


# Runs in a separate Python process with Keras 3 (torch backend), which never imports torchkeras.
KERAS_SIDE = """
import os, sys
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, keras
folder = sys.argv[1]
model = keras.saving.load_model(os.path.join(folder, "ours.keras"))
x = np.load(os.path.join(folder, "x.npy"))
np.save(os.path.join(folder, "keras_predictions.npy"), model.predict(x, verbose=0))
model.save(os.path.join(folder, "from_keras.keras"))   # and back the other way
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    keras.utils.set_random_seed(8)
    folder = tempfile.mkdtemp()

    (x_train, y_train), (x_test, _) = keras.datasets.digits.load_data()
    x_train, x_test = x_train[..., None].astype("float32"), x_test[..., None].astype("float32")
    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32)
    expected = model.predict(x_test[:16], verbose=0)
    results = {}

    # 1. Our single-file format: config + weights + optimizer state in one safetensors file.
    model.save(os.path.join(folder, "model.safetensors"))
    restored = keras.saving.load_model(os.path.join(folder, "model.safetensors"))
    results["safetensors"] = bool(np.allclose(restored.predict(x_test[:16], verbose=0), expected, atol=1e-6))
    # Training can continue where it stopped: the optimizer state came back too.
    restored.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)

    # 2. Weights only, into a model built by code.
    model.save_weights(os.path.join(folder, "model.weights.safetensors"))
    fresh = build_model()
    fresh.load_weights(os.path.join(folder, "model.weights.safetensors"))
    results["weights"] = bool(np.allclose(fresh.predict(x_test[:16], verbose=0), expected, atol=1e-6))

    # 3. For plain torch: a torch.export program, no torchkeras needed to run it.
    model.export(os.path.join(folder, "model.pt2"))
    program = torch.export.load(os.path.join(folder, "model.pt2")).module()
    exported = program(torch.from_numpy(x_test[:16])).detach().numpy()
    results["export"] = bool(np.allclose(exported, expected, atol=1e-5))

    # 4. Keras's own format, both ways (needs h5py; the Keras part also needs Keras installed).
    if importlib.util.find_spec("h5py") is None:
        print('(.keras files need the h5 extra: pip install -e ".[h5]")')
    else:
        model.save(os.path.join(folder, "ours.keras"))
        results["keras_file"] = bool(
            np.allclose(
                keras.saving.load_model(os.path.join(folder, "ours.keras")).predict(x_test[:16], verbose=0),
                expected,
                atol=1e-6,
            )
        )
        if importlib.util.find_spec("keras") is not None:
            np.save(os.path.join(folder, "x.npy"), x_test[:16])
            subprocess.run([sys.executable, "-c", KERAS_SIDE, folder], check=True, timeout=600)
            in_keras = np.load(os.path.join(folder, "keras_predictions.npy"))
            results["keras_loads_ours"] = bool(np.allclose(in_keras, expected, atol=1e-5))
            back = keras.saving.load_model(os.path.join(folder, "from_keras.keras"))
            results["we_load_keras"] = bool(
                np.allclose(back.predict(x_test[:16], verbose=0), expected, atol=1e-5)
            )
        else:
            print("(install keras to also check the round trip through Keras itself)")
    for name, same in results.items():
        print(f"{name}: same predictions: {same}")
    return results


if __name__ == "__main__":
    main()
