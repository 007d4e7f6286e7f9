"""Keras applications (`keras.applications`): ImageNet classifiers, with Keras's layer names.

Every constructor builds a functional `Model` with Keras's arguments, checks and layer names, so
that Keras's published ImageNet weights (`weights="imagenet"`, fetched into the Keras cache) and
Keras's own `.weights.h5` / `.keras` files load. Each family module also offers
`preprocess_input` and `decode_predictions`.
"""

from torchkeras.applications import (
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from torchkeras.applications.convnext import (
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)
from torchkeras.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from torchkeras.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from torchkeras.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from torchkeras.applications.inception_resnet_v2 import InceptionResNetV2
from torchkeras.applications.inception_v3 import InceptionV3
from torchkeras.applications.mobilenet import MobileNet
from torchkeras.applications.mobilenet_v2 import MobileNetV2
from torchkeras.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from torchkeras.applications.nasnet import NASNetLarge, NASNetMobile
from torchkeras.applications.resnet import ResNet50, ResNet101, ResNet152
from torchkeras.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from torchkeras.applications.vgg16 import VGG16
from torchkeras.applications.vgg19 import VGG19
from torchkeras.applications.xception import Xception

__all__ = [
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "NASNetMobile",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "VGG19",
    "Xception",
    "convnext",
    "densenet",
    "efficientnet",
    "efficientnet_v2",
    "imagenet_utils",
    "inception_resnet_v2",
    "inception_v3",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "nasnet",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
    "xception",
]
