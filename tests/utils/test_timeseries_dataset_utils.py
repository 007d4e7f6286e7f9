"""`timeseries_dataset_from_array`: windows and targets by Keras's formula."""

import numpy as np
import pytest

import torchkeras as tk


def _reference(data, targets, length, stride, rate, start, end):
    """Keras's definition: window p holds data[start + p + k * rate], target targets[start + p]."""
    end = len(data) if end is None else end
    count = end - start - (length - 1) * rate
    starts = range(0, count, stride)
    windows = [data[start + p + np.arange(length) * rate] for p in starts]
    return np.stack(windows), (None if targets is None else targets[[start + p for p in starts]])


@pytest.mark.parametrize(
    ("length", "stride", "rate", "start", "end", "batch"),
    [(5, 1, 1, None, None, 4), (3, 2, 2, 2, 40, 5), (10, 3, 1, 0, None, 128)],
)
def test_windows_and_targets_match_the_formula(length, stride, rate, start, end, batch):
    data = np.arange(50 * 2, dtype="float32").reshape(50, 2)
    targets = np.arange(50) * 10
    dataset = tk.utils.timeseries_dataset_from_array(
        data, targets, length, sequence_stride=stride, sampling_rate=rate, batch_size=batch,
        start_index=start, end_index=end,
    )  # fmt: skip
    windows = np.concatenate([b[0].numpy() for b in (dataset[i] for i in range(len(dataset)))])
    labels = np.concatenate([b[1].numpy() for b in (dataset[i] for i in range(len(dataset)))])
    expected_windows, expected_labels = _reference(data, targets, length, stride, rate, start or 0, end)
    np.testing.assert_array_equal(windows, expected_windows)
    np.testing.assert_array_equal(labels, expected_labels)


def test_shuffle_keeps_pairs_and_no_targets():
    data = np.arange(30, dtype="float32")
    dataset = tk.utils.timeseries_dataset_from_array(data, data, 4, batch_size=None, shuffle=True, seed=3)
    starts = [int(dataset[i][0][0]) for i in range(len(dataset))]
    assert sorted(starts) == list(range(27)) and starts != sorted(starts)
    assert all(float(dataset[i][1]) == float(dataset[i][0][0]) for i in range(len(dataset)))
    only = tk.utils.timeseries_dataset_from_array(data, None, 4, batch_size=8)
    assert only[0].shape == (8, 4)


def test_fit_trains_on_windows():
    rng = np.random.default_rng(0)
    series = rng.normal(size=(64, 3)).astype("float32")
    dataset = tk.utils.timeseries_dataset_from_array(series, series[:, 0], 8, batch_size=16)
    model = tk.Sequential([tk.Input((8, 3)), tk.layers.Flatten(), tk.layers.Dense(1)])
    model.compile("adam", "mse")
    assert len(model.fit(dataset, epochs=2, verbose=0).history["loss"]) == 2


def test_bad_arguments():
    data = np.arange(10)
    with pytest.raises(ValueError, match="sampling_rate"):
        tk.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="sequence_stride"):
        tk.utils.timeseries_dataset_from_array(data, None, 3, sequence_stride=20)
    with pytest.raises(ValueError, match="end_index"):
        tk.utils.timeseries_dataset_from_array(data, None, 3, start_index=5, end_index=4)
    with pytest.raises(ValueError, match="format"):
        tk.utils.timeseries_dataset_from_array(data, None, 3, format="grain")
