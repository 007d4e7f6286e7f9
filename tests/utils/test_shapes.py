"""Shape arithmetic: Keras's formulas, checked against brute force and Keras's own helpers."""

import itertools

import pytest

from torchkeras.utils import shapes


def test_standardize_tuple():
    assert shapes.standardize_tuple(3, 2, "kernel_size") == (3, 3)
    assert shapes.standardize_tuple([1, 2, 3], 3, "strides") == (1, 2, 3)
    assert shapes.standardize_tuple((0, 1), 2, "output_padding", allow_zero=True) == (0, 1)
    with pytest.raises(ValueError, match="`kernel_size` must be an integer or a tuple of 2 integers"):
        shapes.standardize_tuple((3, 3, 3), 2, "kernel_size")
    with pytest.raises(ValueError, match=r"Conv2D 'c': `strides`.*Received: strides=0"):
        shapes.standardize_tuple(0, 2, "strides", owner="Conv2D 'c'")
    with pytest.raises(ValueError, match="each >= 0"):
        shapes.standardize_tuple(-1, 1, "output_padding", allow_zero=True)
    with pytest.raises(ValueError, match="dilation_rate"):
        shapes.standardize_tuple("2", 1, "dilation_rate")


def test_same_padding_gives_ceil_outputs_with_the_extra_cell_at_the_end():
    for length, kernel, stride in itertools.product(range(1, 12), range(1, 6), range(1, 4)):
        left, right = shapes.same_padding(length, kernel, stride)
        assert 0 <= left <= right <= left + 1
        padded = length + left + right
        outputs = (padded - kernel) // stride + 1 if padded >= kernel else 0
        assert outputs == -(-length // stride) == shapes.conv_output_length(length, kernel, stride, "same")
        # The last window still touches the input (no window of padding only).
        assert (outputs - 1) * stride - left < length
    assert shapes.same_padding(8, 3, 2) == (0, 1)  # TensorFlow's rule: the extra cell at the end
    assert shapes.same_padding(8, 4, 1) == (1, 2)
    assert shapes.same_padding(7, 3, 1, dilation=2) == (2, 2)


def test_conv_output_length():
    assert shapes.conv_output_length(10, 3, 1, "valid") == 8
    assert shapes.conv_output_length(10, 3, 2, "valid", dilation=1) == 4
    assert shapes.conv_output_length(10, 3, 1, "valid", dilation=3) == 4
    assert shapes.conv_output_length(10, 3, 3, "causal") == 4
    assert shapes.conv_output_length(None, 3, 1, "valid") is None
    assert shapes.spatial_output_shape((7, None), (3, 3), (2, 1), "valid") == (3, None)
    with pytest.raises(ValueError, match="too small"):
        shapes.spatial_output_shape((2, 9), (3, 3), (1, 1), "valid", (1, 1), owner="Conv2D 'c'")


def _full_transpose_length(length, kernel, stride, dilation):
    return (length - 1) * stride + shapes.effective_kernel(kernel, dilation)


def test_conv_transpose_crops_match_keras_output_length(keras):
    from keras.src.backend.common.backend_utils import compute_conv_transpose_output_shape

    grid = itertools.product(["valid", "same"], range(1, 5), range(1, 4), [None, 0, 1, 2], [1, 2], [1, 5])
    for padding, kernel, stride, output_padding, dilation, length in grid:
        if output_padding is not None and output_padding >= stride:
            continue  # rejected by the layers, as in Keras
        left, right = shapes.conv_transpose_crops(kernel, stride, padding, output_padding, dilation)
        ours = shapes.conv_transpose_output_length(length, kernel, stride, padding, output_padding, dilation)
        assert ours == _full_transpose_length(length, kernel, stride, dilation) - left - right
        theirs = compute_conv_transpose_output_shape(
            (1, length, 1), (kernel,), 1, stride, padding, output_padding, "channels_last", dilation
        )[1]
        assert ours == theirs, (padding, kernel, stride, output_padding, dilation, length)
        assert left >= 0
    assert shapes.conv_transpose_output_length(None, 3, 2, "same") is None
