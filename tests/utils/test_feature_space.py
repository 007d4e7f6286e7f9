"""`utils.FeatureSpace`: encoded features against references built feature by feature.

Keras's own FeatureSpace (and its StringLookup, IntegerLookup, Hashing, Discretization.adapt)
needs TensorFlow, so the references are Keras's Normalization where it runs without it, and
formulas written here (frequency-ordered vocabularies, one-hot columns, digitized bins) elsewhere;
hashed columns use the Hashing / HashedCrossing layers, whose values are tested against TensorFlow's.
"""

import numpy as np
import pytest
import torch

import torchkeras as tk

FeatureSpace = tk.utils.FeatureSpace


def make_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "age": rng.uniform(20, 60, n).astype("float32"),
        "city": rng.choice(["paris", "rome", "oslo", "lima"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "code": rng.choice([7, 3, 11], n, p=[0.5, 0.3, 0.2]),
        "raw": rng.normal(size=n).astype("float32"),
        "price": rng.uniform(0, 100, n).astype("float32"),
        "tag": rng.choice(["x", "y", "z"], n),
        "zip": rng.integers(0, 1000, n),
        "score": rng.uniform(0, 1, n).astype("float32"),
    }


def one_hot(indices, depth):
    out = np.zeros((len(indices), depth), "float32")
    out[np.arange(len(indices)), indices] = 1.0
    return out


def lookup_indices(train, values):
    """Keras's lookup layout: OOV at 0, then tokens by descending count (ties: larger token first)."""
    tokens, counts = np.unique(train, return_counts=True)
    order = sorted(zip(counts, tokens), key=lambda pair: (-pair[0], [-ord(c) for c in str(pair[1])]))
    vocabulary = [token for _, token in order]
    return np.array([vocabulary.index(v) + 1 if v in vocabulary else 0 for v in values]), len(vocabulary) + 1


def spec():
    return {
        "age": "float_normalized",
        "city": "string_categorical",
        "code": "integer_categorical",
        "raw": "float",
        "price": FeatureSpace.float_rescaled(scale=0.01, offset=-0.5),
        "tag": "string_hashed",
        "zip": FeatureSpace.integer_hashed(num_bins=5, output_mode="int"),
        "score": FeatureSpace.float_discretized(num_bins=None, bin_boundaries=[0.25, 0.5]),
    }


def reference(data, batch, keras):
    normalization = keras.layers.Normalization(axis=-1)
    normalization.adapt(data["age"][:, None])
    city, city_depth = lookup_indices(data["city"], batch["city"])
    code, code_depth = lookup_indices(data["code"], batch["code"])
    tag = tk.layers.Hashing(num_bins=32)(batch["tag"][:, None]).numpy()[:, 0]
    cross = tk.layers.HashedCrossing(num_bins=16)([city[:, None], code[:, None]]).numpy()[:, 0]
    columns = {
        "age": keras.ops.convert_to_numpy(normalization(batch["age"][:, None])),
        "city": one_hot(city, city_depth),
        "code": one_hot(code, code_depth),
        "price": batch["price"][:, None] * 0.01 - 0.5,
        "raw": batch["raw"][:, None],
        "score": one_hot(np.digitize(batch["score"], [0.25, 0.5]), 3),
        "tag": one_hot(tag, 32),
        "zip": tk.layers.Hashing(num_bins=5)(batch["zip"][:, None]).numpy(),
        "city_X_code": one_hot(cross, 16),
    }
    return columns


def test_dict_output_matches_reference(keras):
    data = make_data()
    space = FeatureSpace(spec(), output_mode="dict", crosses=[("city", "code")], crossing_dim=16)
    space.adapt(data)
    batch = {key: value[:9] for key, value in make_data(9, seed=1).items()}
    batch["city"][0] = "tokyo"  # out of vocabulary
    out = space(batch)
    expected = reference(data, batch, keras)
    assert sorted(out) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(out[name].numpy(), value, rtol=1e-5, atol=1e-5, err_msg=name)
    assert out["city"][0, 0] == 1.0  # the OOV index


def test_concat_output_order_and_iterable_adapt(keras):
    data = make_data()
    features = spec()
    features["zip"] = FeatureSpace.integer_hashed(num_bins=5)  # concat needs every column encoded
    space = FeatureSpace(features, crosses=[FeatureSpace.cross(("city", "code"), crossing_dim=16)])
    loader = torch.utils.data.DataLoader(
        [{key: value[i] for key, value in data.items()} for i in range(len(data["age"]))], batch_size=16
    )
    space.adapt(loader)  # batches of dicts, as a DataLoader yields them
    batch = make_data(5, seed=2)
    out = space(batch)
    expected = reference(data, batch, keras)
    expected["zip"] = one_hot(expected["zip"][:, 0], 5)
    names = sorted(features) + ["city_X_code"]
    np.testing.assert_allclose(
        out.numpy(), np.concatenate([expected[n] for n in names], axis=-1), rtol=1e-5, atol=1e-5
    )
    single = space({key: value[0] for key, value in batch.items()})  # one example, unbatched
    np.testing.assert_allclose(single.numpy(), out[0].numpy(), rtol=1e-6)


def test_config_round_trip_and_save(tmp_path):
    pytest.importorskip("h5py")
    data = make_data()
    space = FeatureSpace(spec(), output_mode="dict", crosses=[("city", "code")], crossing_dim=16)
    space.adapt(data)
    clone = FeatureSpace.from_config(space.get_config())
    assert clone.get_config() == space.get_config()
    assert sorted(clone.features) == sorted(space.features)
    path = tmp_path / "space.keras"
    space.save(str(path))
    loaded = tk.saving.load_model(str(path))
    batch = make_data(7, seed=3)
    expected, got = space(batch), loaded(batch)
    for name in expected:
        np.testing.assert_allclose(got[name].numpy(), expected[name].numpy(), err_msg=name)


def test_errors():
    with pytest.raises(ValueError, match="features"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace({"a": "float"}, output_mode="stack")
    with pytest.raises(ValueError, match="features\\['a'\\]"):
        FeatureSpace({"a": "floaty"})
    with pytest.raises(ValueError, match="crosses"):
        FeatureSpace({"a": "string_categorical"}, crosses=[("a", "b")])
    space = FeatureSpace({"a": "float_normalized"})
    with pytest.raises(ValueError, match="adapt"):
        space({"a": np.zeros(3)})
    with pytest.raises(ValueError, match="dict"):
        FeatureSpace({"a": "float"})(np.zeros(3))
    space = FeatureSpace({"a": FeatureSpace.integer_categorical(output_mode="int")})
    space.adapt({"a": np.array([1, 2, 2])})
    with pytest.raises(ValueError, match="output_mode='dict'"):
        space({"a": np.array([1, 2])})
    np.testing.assert_array_equal(
        FeatureSpace({"a": "float"})({"a": np.array([1.5, 2.0])}).numpy(), [[1.5], [2.0]]
    )  # nothing to adapt: usable at once


def test_functional_model_on_raw_feature_dicts():
    data = make_data()
    features = spec()
    features["zip"] = FeatureSpace.integer_hashed(num_bins=5)
    space = FeatureSpace(features, crosses=[("city", "code")], crossing_dim=16)
    space.adapt(data)
    encoded = space.get_encoded_features()
    # 1 age + 5 city + 4 code + 1 price + 1 raw + 3 score + 32 tag + 5 zip + 16 cross
    assert tuple(encoded.shape) == (None, 68)
    head = tk.layers.Dense(1, activation="sigmoid")(encoded)
    model = tk.Model(space.get_inputs(), head)
    batch = make_data(6, seed=4)
    encoder = tk.Model(space.get_inputs(), encoded)
    np.testing.assert_allclose(encoder.predict(batch, verbose=0), space(batch).numpy(), rtol=1e-6)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    labels = (data["age"] > 40).astype("float32")
    history = model.fit(data, labels, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    dict_space = FeatureSpace({"city": "string_categorical", "raw": "float"}, output_mode="dict")
    dict_space.adapt(data)
    symbolic = dict_space.get_encoded_features()
    assert tuple(symbolic["city"].shape) == (None, 5) and tuple(symbolic["raw"].shape) == (None, 1)
