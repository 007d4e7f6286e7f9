"""Tutorial 9 — Speed: the GPU, mixed precision, channels_last, and `jit_compile`.

torchkeras runs Keras models as ordinary torch modules, so the usual torch speed-ups apply,
switched on the Keras way:

- **The GPU**: a model trains where its parameters are; an unplaced model moves to CUDA by itself.
- **Mixed precision**: `keras.mixed_precision.set_global_policy("mixed_bfloat16")` (or
  `"mixed_float16"` on GPUs without bfloat16, with automatic loss scaling) runs the steps under
  `torch.autocast`; the weights stay float32.
- **channels_last**: Keras's default image layout `(batch, height, width, channels)` runs the
  convolutions in torch's channels_last memory format without copying.
- **`jit_compile=True`** in `compile()`: the train, test and predict steps go through
  `torch.compile` once (on the first step) and are reused; this pays off on GPUs and larger models.

Each variant below trains the same convnet for the same epochs and prints its time per epoch.

    python tutorials/09_speed.py [--quick] [--epochs N] [--jit]
"""

from __future__ import annotations

import argparse
import time

import torch

import torchkeras as keras


def build_model(jit_compile: bool = False) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),  # channels_last, Keras's default
            keras.layers.Rescaling(1.0 / 16),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax", dtype="float32"),  # keep the output in float32
        ]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )
    return model


def timed_fit(name: str, policy: str, jit_compile: bool, data: tuple, epochs: int) -> dict:
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(9)
        model = build_model(jit_compile)
        x_train, y_train, x_test, y_test = data
        model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)  # warm-up (and compilation)
        start = time.perf_counter()
        model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0)
        seconds = (time.perf_counter() - start) / epochs
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        dtype = model.layers[1].compute_dtype
        weight_dtype = str(model.layers[1].kernel.dtype)  # the weights stay float32
    finally:
        keras.mixed_precision.set_global_policy("float32")
    print(
        f"{name:<28} {seconds * 1000:8.1f} ms/epoch   compute dtype {dtype:<9} test accuracy {accuracy:.3f}"
    )
    return {
        "seconds": seconds,
        "accuracy": accuracy,
        "compute_dtype": dtype,
        "weight_dtype": weight_dtype,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="1 timed epoch on 512 rows, no torch.compile on CPU"
    )
    parser.add_argument("--jit", action="store_true", help="also time jit_compile=True")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"device: {device}")

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    data = (x_train[..., None].astype("float32"), y_train, x_test[..., None].astype("float32"), y_test)
    if args.quick:  # a taste of each variant; the timings mean more on the full run
        data = tuple(array[:512] for array in data)
    build_model().summary()

    results = {"float32": timed_fit("float32", "float32", False, data, epochs)}
    half = "mixed_bfloat16" if device == "cpu" or torch.cuda.is_bf16_supported() else "mixed_float16"
    results[half] = timed_fit(half, half, False, data, epochs)
    # torch.compile generates kernels on first use: worth it on a GPU, slow to start on a CPU.
    if args.jit or (device == "cuda" and not args.quick):
        results["jit_compile"] = timed_fit("float32 + jit_compile", "float32", True, data, epochs)
    speedup = results["float32"]["seconds"] / results[half]["seconds"]
    print(f"{half} vs float32: {speedup:.2f}x (bigger models and GPUs gain more)")
    return {name: value for name, value in results.items()}


if __name__ == "__main__":
    main()
