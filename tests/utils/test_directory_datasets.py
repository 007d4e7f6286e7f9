"""`image_/text_dataset_from_directory`: Keras's file order, labels and splits; `fit` trains on them."""

import numpy as np
import pytest

import torchkeras as tk


@pytest.fixture
def image_folder(tmp_path):
    pytest.importorskip("PIL")
    for index, name in enumerate(["cats", "dogs"]):
        (tmp_path / name).mkdir()
        for item in range(3):
            value = 40.0 * index + item  # a constant image: resizing keeps the value exactly
            tk.utils.save_img(tmp_path / name / f"{item}.png", np.full((10, 14, 3), value), scale=False)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


@pytest.fixture
def text_folder(tmp_path):
    for name, texts in {"neg": ["bad movie", "awful"], "pos": ["great", "loved it", "fine"]}.items():
        (tmp_path / name).mkdir()
        for item, text in enumerate(texts):
            (tmp_path / name / f"{item}.txt").write_text(text)
    return tmp_path


def test_images_labels_and_order(image_folder, capsys):
    dataset = tk.utils.image_dataset_from_directory(
        image_folder, image_size=(5, 7), batch_size=4, shuffle=False
    )
    assert "Found 6 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["cats", "dogs"] and len(dataset) == 2
    images, labels = dataset[0]
    assert images.shape == (4, 5, 7, 3) and images.dtype.is_floating_point
    np.testing.assert_array_equal(labels.numpy(), [0, 0, 0, 1])
    np.testing.assert_allclose(images[:, 0, 0, 0].numpy(), [0.0, 1.0, 2.0, 40.0])


def test_label_modes_grayscale_and_channels_first(image_folder):
    dataset = tk.utils.image_dataset_from_directory(
        image_folder, label_mode="categorical", color_mode="grayscale", image_size=(4, 4),
        data_format="channels_first", shuffle=False, verbose=False,
    )  # fmt: skip
    images, labels = dataset[0]
    assert images.shape == (6, 1, 4, 4) and labels.shape == (6, 2)
    binary = tk.utils.image_dataset_from_directory(
        image_folder, label_mode="binary", shuffle=False, verbose=False
    )
    assert binary[0][1].shape == (6, 1)
    unlabeled = tk.utils.image_dataset_from_directory(
        image_folder, labels=None, image_size=(4, 4), verbose=False
    )
    assert unlabeled[0].shape == (6, 4, 4, 3)


def test_shuffle_and_split_follow_keras(image_folder):
    kwargs = {"image_size": (4, 4), "seed": 5, "validation_split": 0.34, "verbose": False}
    train, val = tk.utils.image_dataset_from_directory(image_folder, subset="both", **kwargs)
    assert (len(train.file_paths), len(val.file_paths)) == (4, 2)
    paths = sorted(str(p) for p in image_folder.glob("*/*.png"))
    order = np.array(paths)
    np.random.RandomState(5).shuffle(order)  # Keras shuffles the sorted list with RandomState(seed)
    assert train.file_paths + val.file_paths == order.tolist()
    labels = np.concatenate([train[0][1].numpy(), val[0][1].numpy()])
    np.testing.assert_array_equal(labels, [0 if "/cats/" in p else 1 for p in order])


def test_fit_on_an_image_dataset(image_folder):
    dataset = tk.utils.image_dataset_from_directory(
        image_folder, image_size=(4, 4), batch_size=3, seed=1, verbose=False
    )
    model = tk.Sequential(
        [tk.Input((4, 4, 3)), tk.layers.Rescaling(1 / 255), tk.layers.Flatten(), tk.layers.Dense(2)]
    )
    model.compile("adam", tk.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.fit(dataset, epochs=2, verbose=0).history["loss"]) == 2


def test_texts(text_folder):
    dataset = tk.utils.text_dataset_from_directory(
        text_folder, batch_size=8, shuffle=False, max_length=5, verbose=False
    )
    texts, labels = dataset[0]
    assert texts.tolist() == ["bad m", "awful", "great", "loved", "fine"]
    np.testing.assert_array_equal(labels.numpy(), [0, 0, 1, 1, 1])
    single = tk.utils.text_dataset_from_directory(text_folder, batch_size=None, shuffle=False, verbose=False)
    assert single[0][0] == "bad movie" and int(single[0][1]) == 0


def test_errors(image_folder, text_folder):
    with pytest.raises(ValueError, match="seed"):
        tk.utils.image_dataset_from_directory(image_folder, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="class_names"):
        tk.utils.text_dataset_from_directory(text_folder, class_names=["neg", "other"])
    with pytest.raises(ValueError, match="label_mode"):
        tk.utils.text_dataset_from_directory(text_folder, label_mode="sparse")
    with pytest.raises(ValueError, match="directory"):
        tk.utils.text_dataset_from_directory(text_folder / "missing")
