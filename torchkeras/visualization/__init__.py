"""`keras.visualization`: drawing segmentation masks and image galleries (matplotlib for plots)."""

from torchkeras.visualization.draw_segmentation_masks import draw_segmentation_masks
from torchkeras.visualization.plot_image_gallery import plot_image_gallery
from torchkeras.visualization.plot_segmentation_mask_gallery import plot_segmentation_mask_gallery

__all__ = ["draw_segmentation_masks", "plot_image_gallery", "plot_segmentation_mask_gallery"]
