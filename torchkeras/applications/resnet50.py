"""`keras.applications.resnet50`: the ResNet50 names, as Keras also exports them from here."""

from torchkeras.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
