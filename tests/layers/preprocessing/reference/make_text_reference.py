"""Regenerates `text_reference.json`: what Keras 3 (with TensorFlow, which its string layers
need) computes for the string and category preprocessing layers. Not a test: run it by hand in
an environment with `keras` and `tensorflow` (`KERAS_BACKEND=tensorflow python make_text_reference.py`).
"""

import json
import os

import keras
import numpy as np

DOCS = [
    "The quick brown fox.",
    "the lazy dog!",
    "A quick dog, a QUICK fox",
    "Élan vital  tabs\tand\nlines",
    "",
]
WORDS = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"], ["c", "z", ""]]
INTS = [[12, 36, 1138], [42, 36, 7], [12, 12, 0], [5, -1, 1000]]

CASES = [
    ("StringLookup", {}, WORDS, WORDS),
    ("StringLookup", {"vocabulary": ["a", "b", "c", "d"]}, None, WORDS),
    ("StringLookup", {"mask_token": "", "max_tokens": 5}, WORDS, WORDS),
    ("StringLookup", {"num_oov_indices": 3, "vocabulary": ["a", "b"]}, None, WORDS),
    ("StringLookup", {"num_oov_indices": 3, "vocabulary": ["a", "b"], "salt": [7, 11]}, None, WORDS),
    ("StringLookup", {"num_oov_indices": 0, "vocabulary": ["a", "b", "c", "d", "e", "z", ""]}, None, WORDS),
    ("StringLookup", {"output_mode": "multi_hot"}, WORDS, WORDS),
    ("StringLookup", {"output_mode": "count", "mask_token": ""}, WORDS, WORDS),
    ("StringLookup", {"output_mode": "one_hot"}, WORDS, [["a"], ["z"], ["c"]]),
    ("StringLookup", {"output_mode": "tf_idf"}, WORDS, WORDS),
    ("StringLookup", {"output_mode": "tf_idf", "max_tokens": 8, "pad_to_max_tokens": True}, WORDS, WORDS),
    (
        "StringLookup",
        {"output_mode": "tf_idf", "vocabulary": ["a", "b", "c"], "idf_weights": [0.5, 0.25, 2.0]},
        None,
        WORDS,
    ),
    (
        "StringLookup",
        {"invert": True, "vocabulary": ["a", "b", "c"], "mask_token": ""},
        None,
        [[0, 1, 2], [3, 4, 9]],
    ),
    ("IntegerLookup", {}, INTS, INTS),
    ("IntegerLookup", {"vocabulary": [12, 36, 1138, 42]}, None, INTS),
    ("IntegerLookup", {"mask_token": 0, "num_oov_indices": 2, "vocabulary": [12, 36]}, None, INTS),
    ("IntegerLookup", {"num_oov_indices": 2, "vocabulary": [12, 36], "oov_method": "farmhash"}, None, INTS),
    ("IntegerLookup", {"output_mode": "count", "max_tokens": 4}, INTS, INTS),
    ("IntegerLookup", {"invert": True, "vocabulary": [12, 36, 1138]}, None, [[0, 1, 2], [3, 4, 9]]),
    ("Hashing", {"num_bins": 7}, None, WORDS),
    ("Hashing", {"num_bins": 7, "mask_value": ""}, None, WORDS),
    ("Hashing", {"num_bins": 5, "salt": [133, 137]}, None, WORDS),
    ("Hashing", {"num_bins": 11}, None, INTS),
    ("Hashing", {"num_bins": 6, "output_mode": "multi_hot"}, None, WORDS),
    ("Hashing", {"num_bins": 4, "output_mode": "count", "mask_value": 12}, None, INTS),
    ("TextVectorization", {}, DOCS, DOCS),
    ("TextVectorization", {"max_tokens": 6, "output_sequence_length": 3}, DOCS, DOCS),
    (
        "TextVectorization",
        {"standardize": "lower", "split": "character", "output_sequence_length": 6},
        DOCS,
        DOCS,
    ),
    ("TextVectorization", {"standardize": None, "ngrams": 2}, DOCS, DOCS),
    ("TextVectorization", {"standardize": "strip_punctuation", "ngrams": (1, 3)}, DOCS, DOCS),
    ("TextVectorization", {"output_mode": "multi_hot"}, DOCS, DOCS),
    ("TextVectorization", {"output_mode": "count", "max_tokens": 5, "pad_to_max_tokens": True}, DOCS, DOCS),
    ("TextVectorization", {"output_mode": "tf_idf", "ngrams": 2}, DOCS, DOCS),
    ("TextVectorization", {"vocabulary": ["quick", "fox", "dog"], "output_sequence_length": 5}, None, DOCS),
    (
        "TextVectorization",
        {"split": None, "standardize": "lower"},
        [["a b"], ["A b"], ["c"]],
        [["a b"], ["x"], ["c"]],
    ),
]


def main():
    cases = []
    for name, kwargs, adapt, inputs in CASES:
        layer = getattr(keras.layers, name)(**kwargs)
        if adapt is not None:
            layer.adapt(np.array(adapt))
        output = layer(np.array(inputs))
        output = np.asarray(output)
        if output.dtype.kind in "OS":
            output = np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else b)(output).tolist()
            dtype = "string"
        else:
            dtype = str(output.dtype)
            output = output.tolist()
        case = {
            "layer": name,
            "kwargs": kwargs,
            "adapt": adapt,
            "inputs": inputs,
            "output": output,
            "dtype": dtype,
        }
        if hasattr(layer, "get_vocabulary"):
            case["vocabulary"] = [int(v) if isinstance(v, np.integer) else v for v in layer.get_vocabulary()]
        cases.append(case)
    crossing = keras.layers.HashedCrossing(num_bins=5)
    features = (np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102]))
    cases.append(
        {
            "layer": "HashedCrossing",
            "kwargs": {"num_bins": 5},
            "adapt": None,
            "inputs": [f.tolist() for f in features],
            "output": np.asarray(crossing(features)).tolist(),
            "dtype": "int64",
        }
    )
    crossing = keras.layers.HashedCrossing(num_bins=9, output_mode="one_hot")
    features = (np.array([[3], [4], [-5]]), np.array([["x"], ["y"], ["long text " * 9]]))
    cases.append(
        {
            "layer": "HashedCrossing",
            "kwargs": {"num_bins": 9, "output_mode": "one_hot"},
            "adapt": None,
            "inputs": [f.tolist() for f in features],
            "output": np.asarray(crossing(features)).tolist(),
            "dtype": "float32",
        }
    )
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_reference.json")
    with open(path, "w") as file:
        json.dump({"keras_version": keras.__version__, "cases": cases}, file, indent=None, ensure_ascii=False)
        file.write("\n")


if __name__ == "__main__":
    main()
