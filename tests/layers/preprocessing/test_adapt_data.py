"""What `adapt()` accepts: whole arrays, slices, iterables of batches, `(x, y)` batches, steps."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing.adapt_data import adapt_batches, batch_inputs

DATA = np.arange(20, dtype="float32").reshape(10, 2)


def test_whole_arrays_and_tensors():
    whole, batches = adapt_batches(DATA)
    assert whole is DATA and batches is None
    tensor = torch.as_tensor(DATA)
    assert adapt_batches(tensor)[0] is tensor


def test_batch_size_and_steps_slice_arrays():
    _, batches = adapt_batches(DATA, batch_size=4)
    assert [len(b) for b in batches] == [4, 4, 2]
    _, batches = adapt_batches(DATA, batch_size=4, steps=2)
    assert [len(b) for b in batches] == [4, 4]


def test_iterables_yield_inputs():
    _, batches = adapt_batches([(DATA[:5], DATA[:5, 0]), (DATA[5:], DATA[5:, 0])])
    assert [b.shape for b in batches] == [(5, 2), (5, 2)]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.as_tensor(DATA)), batch_size=3)
    _, batches = adapt_batches(loader, steps=2)
    assert [tuple(b.shape) for b in batches] == [(3, 2), (3, 2)]
    assert batch_inputs([[1.0, 2.0], [3.0, 4.0]]) == [[1.0, 2.0], [3.0, 4.0]]  # a plain batch


def test_errors():
    with pytest.raises(TypeError, match="iterable of batches"):
        adapt_batches(3)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        adapt_batches(DATA, batch_size=0)
    with pytest.raises(ValueError, match="`steps` must be a positive integer"):
        adapt_batches(DATA, steps=-1)
    with pytest.raises(TypeError, match="dicts"):
        list(adapt_batches([{"x": DATA}])[1])
