"""CI: run from a temporary folder against an installed wheel: import every subpackage, train a
tiny model on the bundled digits, save and reload it."""

from __future__ import annotations

import os
import pkgutil

import numpy as np

import torchkeras as keras

assert "site-packages" in keras.__file__, f"torchkeras imported from {keras.__file__}, not the wheel"
for module in pkgutil.walk_packages(keras.__path__, "torchkeras."):
    __import__(module.name)

(x, y), _ = keras.datasets.digits.load_data()
x = x[:256, ..., None].astype("float32") / 16.0
y = y[:256]
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=2)
assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
path = os.path.join(os.getcwd(), "tiny.safetensors")
model.save(path)
restored = keras.saving.load_model(path)
np.testing.assert_allclose(restored.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0), atol=1e-6)
print(f"wheel smoke run ok: trained, saved and reloaded ({path})")
