"""TextVectorization: parity with Keras (TensorFlow-computed reference cases for every
standardize/split/ngrams/output mode), loading a Keras-written file, adapt inputs, and errors."""

import os

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.layers.preprocessing.reference.text_cases import check_reference_case, reference_cases
from torchkeras.layers.preprocessing import TextVectorization

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")


@pytest.mark.parametrize("case", reference_cases("TextVectorization"))
def test_parity_with_keras(case):
    check_reference_case(TextVectorization, case)


def test_loads_a_file_keras_wrote():
    # Written by Keras 3.15.1 (TensorFlow backend): a vocabulary asset, no weights.
    model = tk.models.load_model(os.path.join(HERE, "keras_text_vectorization.keras"))
    assert model.layers[-1].get_vocabulary() == ["", "[UNK]", "world", "the", "hello", "is", "end", "big"]
    out = model.predict(np.array(["hello the world", "big big end"]), verbose=0)
    np.testing.assert_array_equal(out, [[4, 3, 2, 0], [7, 7, 6, 0]])  # Keras's own output


def test_callable_standardize_and_split():
    layer = TextVectorization(
        standardize=lambda x: np.char.upper(x),
        split=lambda x: [s.split("-") for s in x],
        vocabulary=["A", "B"],
    )
    assert layer(np.array(["a-b-c", "b"])).tolist() == [[2, 3, 1], [3, 0, 0]]


def test_adapt_on_a_generator_of_batches_and_tensor_output():
    layer = TextVectorization()
    layer.adapt(batch for batch in (np.array(["x y", "y"]), np.array(["z y"])))
    assert layer.get_vocabulary() == ["", "[UNK]", "y", "z", "x"]
    out = layer(["y x"])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.int64


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="standardize"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        TextVectorization(split="comma")
    with pytest.raises(ValueError, match="ngrams"):
        TextVectorization(ngrams="2")
    with pytest.raises(ValueError, match="output_sequence_length"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="ragged"):
        TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="rank"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="callable"):
        TextVectorization.from_config({"standardize": {"class_name": "function"}})
