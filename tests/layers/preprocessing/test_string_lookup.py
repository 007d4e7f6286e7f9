"""StringLookup: parity with Keras (TensorFlow-computed reference cases), OOV/mask rules, invert,
vocabulary get/set, adapt on lists/arrays/iterables, config, and errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.reference.text_cases import check_reference_case, reference_cases
from torchkeras.layers.preprocessing import StringLookup


@pytest.mark.parametrize("case", reference_cases("StringLookup"))
def test_parity_with_keras(case):
    check_reference_case(StringLookup, case)


def test_adapt_accepts_lists_arrays_and_iterables_alike():
    data = [["a", "b"], ["b", "c"], ["b", "d"]]
    from_list, from_array, from_batches = StringLookup(), StringLookup(), StringLookup()
    from_list.adapt(data)
    from_array.adapt(np.array(data))
    from_batches.adapt(iter([np.array(data[:2]), np.array(data[2:])]))
    assert from_list.get_vocabulary() == from_array.get_vocabulary() == from_batches.get_vocabulary()
    assert from_list.get_vocabulary() == ["[UNK]", "b", "d", "c", "a"]


def test_bytes_and_objects_are_decoded_and_outputs_are_int64_tensors():
    layer = StringLookup(vocabulary=["héllo", "b"])
    out = layer(np.array([[b"h\xc3\xa9llo", b"zz"]], dtype=object))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.int64
    assert out.tolist() == [[1, 0]]
    assert layer("b").tolist() == 2  # a single string gives a scalar


def test_vocabulary_get_set_and_special_tokens():
    layer = StringLookup(mask_token="[MASK]", num_oov_indices=2)
    layer.set_vocabulary(["[MASK]", "[UNK]", "[UNK]", "x", "y"])  # leading special tokens are accepted
    assert layer.get_vocabulary() == ["[MASK]", "[UNK]", "[UNK]", "x", "y"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["x", "y"]
    assert layer.vocabulary_size() == 5
    assert layer(np.array(["[MASK]", "x", "y"])).tolist() == [0, 3, 4]


def test_vocabulary_from_a_text_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("red\ngreen\nblue\n", encoding="utf-8")
    layer = StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "red", "green", "blue"]
    assert layer.get_config()["vocabulary"] is None  # saved as an asset, as Keras does
    with pytest.raises(ValueError, match="vocabulary file"):
        StringLookup.from_config({**layer.get_config(), "vocabulary": str(path)})


def test_config_round_trip_keeps_the_vocabulary():
    layer = StringLookup(vocabulary=["a", "b"], output_mode="count", name="lookup")
    clone = StringLookup.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    np.testing.assert_array_equal(clone(np.array([["a", "a", "q"]])), layer(np.array([["a", "a", "q"]])))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(max_tokens=1)
    with pytest.raises(ValueError, match="num_oov_indices"):
        StringLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="output_mode"):
        StringLookup(output_mode="nope")
    with pytest.raises(ValueError, match="output_mode"):
        StringLookup(invert=True, output_mode="multi_hot")
    with pytest.raises(ValueError, match="repeated"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="mask_token"):
        StringLookup(vocabulary=["a", "[M]"], mask_token="[M]")
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="idf_weights"):
        StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(RuntimeError, match="vocabulary"):
        StringLookup(output_mode="multi_hot")(np.array(["b"]))
    with pytest.raises(ValueError, match="static vocabulary"):
        StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(ValueError, match="sparse"):
        StringLookup(sparse=True, output_mode="multi_hot")
