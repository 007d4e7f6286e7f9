"""Writes keras_reference.json: each application's parameter count and layer-name digest in Keras.

Run once with Keras installed (`KERAS_BACKEND=torch python tests/applications/make_keras_reference.py`);
test_applications.py compares every torchkeras constructor against the table.
"""

import hashlib
import json
import os
import re
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

# The smallest input each family accepts, so that the table is quick to reproduce.
SIZES = {"Xception": 71, "InceptionV3": 75, "InceptionResNetV2": 75}
CONSTRUCTORS = [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    *[f"EfficientNetB{i}" for i in range(8)],
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small",
    "NASNetLarge", "NASNetMobile",
    "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2",
    "VGG16", "VGG19", "Xception",
]  # fmt: skip


def snake(name: str) -> str:
    """Keras's auto-name of a class (`GlobalAveragePooling2D` -> `global_average_pooling2d`)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def layer_digest(model) -> str:
    """sha256 of the layers' (name, class) list; auto-generated names lose their session counter."""
    entries = []
    for layer in model.layers:
        name, kind = layer.name, type(layer).__name__
        if re.fullmatch(re.escape(snake(kind)) + r"(_\d+)?", name) or re.fullmatch(
            r"input_layer(_\d+)?", name
        ):
            name = snake(kind)
        entries.append(f"{name}:{kind}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def build_kwargs(constructor: str) -> dict:
    size = SIZES.get(constructor, 32)
    return {"weights": None, "include_top": True, "input_shape": (size, size, 3), "classes": 7}


def keras_constructor(keras, constructor: str):
    """Keras's constructor; NASNetMobile (refused on Keras's torch backend) is built through NASNet."""
    if constructor != "NASNetMobile":
        return getattr(keras.applications, constructor)
    from keras.src.applications import nasnet

    def mobile(**kwargs):
        return nasnet.NASNet(
            kwargs.pop("input_shape"), penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
            skip_reduction=False, filter_multiplier=2, default_size=224, name="nasnet_mobile", **kwargs,
        )  # fmt: skip

    return mobile


def main() -> None:
    import keras

    names = sys.argv[1:] or CONSTRUCTORS
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_reference.json")
    table = {}
    if os.path.exists(path):
        with open(path) as file:
            table = json.load(file)
    for constructor in names:
        model = keras_constructor(keras, constructor)(**build_kwargs(constructor))
        table[constructor] = {
            "params": int(model.count_params()),
            "layers": len(model.layers),
            "digest": layer_digest(model),
        }
        print(constructor, table[constructor], flush=True)
        with open(path, "w") as file:
            json.dump(dict(sorted(table.items())), file, indent=1)
            file.write("\n")


if __name__ == "__main__":
    main()
