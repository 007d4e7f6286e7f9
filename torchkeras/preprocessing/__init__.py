"""`keras.preprocessing`: the data loaders and the image / sequence helpers under Keras's older paths."""

from torchkeras.preprocessing import image, sequence
from torchkeras.utils.image_dataset_utils import image_dataset_from_directory
from torchkeras.utils.text_dataset_utils import text_dataset_from_directory
from torchkeras.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
