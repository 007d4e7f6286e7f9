"""`metrics.get` / `serialize` / `deserialize`: Keras's names, schema, and errors."""

import pytest

from torchkeras import losses, metrics


def test_public_names_match_keras(keras):
    theirs = {name for name in dir(keras.metrics) if not name.startswith("_")}
    ours = set(metrics.__all__) - {"MetricVariable"}
    assert ours == theirs


@pytest.mark.parametrize(
    "identifier",
    ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mse", "MAE",
     "mape", "msle", "bce", "auc", "AUC", "precision", "recall", "f1_score", "r2_score", "log_cosh_error",
     "root_mean_squared_error", "top_k_categorical_accuracy", "kl_divergence", "hinge", "true_positives",
     "mean", "sum", "binary_crossentropy", "pearson_correlation", "MeanSquaredError"],
)  # fmt: skip
def test_get_gives_the_instance_keras_gives(keras, identifier):
    ours, theirs = metrics.get(identifier), keras.metrics.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    ours_config.pop("name"), theirs_config.pop("name")
    assert ours_config == theirs_config


@pytest.mark.parametrize("identifier", ["acc", "logcosh", "kld", "mean_iou"])
def test_get_rejects_what_keras_rejects(keras, identifier):
    with pytest.raises(ValueError):
        keras.metrics.get(identifier)
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get(identifier)


def test_unknown_name_suggests_close_ones():
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        metrics.get("acuracy")


def test_get_passes_through_and_instantiates():
    assert metrics.get(None) is None
    metric = metrics.AUC()
    assert metrics.get(metric) is metric and metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert isinstance(metrics.get(metrics.Precision), metrics.Precision)
    with pytest.raises(ValueError, match="`metric` must be"):
        metrics.get(1.5)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.MeanSquaredError(),
        lambda m: m.BinaryAccuracy(threshold=0.7, name="acc"),
        lambda m: m.AUC(curve="PR", thresholds=[0.1, 0.4, 0.8], name="pr_auc"),
        lambda m: m.Precision(top_k=2, class_id=1, name="p"),
        lambda m: m.F1Score(average="macro", threshold=0.5),
        lambda m: m.MeanIoU(num_classes=3, ignore_class=0, name="miou"),
        lambda m: m.SparseTopKCategoricalAccuracy(k=3),
        lambda m: m.SensitivityAtSpecificity(0.7, num_thresholds=10, name="s"),
        lambda m: m.sparse_categorical_accuracy,
    ],
)
def test_serialize_matches_keras_and_round_trips(keras, make):
    ours, theirs = make(metrics), make(keras.metrics)
    config = metrics.serialize(ours)
    assert config == keras.metrics.serialize(theirs)
    clone = metrics.deserialize(config)
    if isinstance(ours, metrics.Metric):
        assert type(clone) is type(ours) and clone.get_config() == ours.get_config()
    else:
        assert clone is ours


def test_mean_metric_wrapper_round_trips_its_function(keras):
    ours = metrics.MeanMetricWrapper(losses.mean_squared_error, name="wrapped")
    theirs = keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="wrapped")
    config = metrics.serialize(ours)
    assert config == keras.metrics.serialize(theirs)
    clone = metrics.deserialize(config)
    assert clone._fn is losses.mean_squared_error and clone.name == "wrapped"


def test_custom_metric_needs_custom_objects():
    class Count(metrics.Sum):
        pass

    config = metrics.serialize(Count(name="count"))
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.deserialize(config)
    assert isinstance(metrics.deserialize(config, custom_objects={"Count": Count}), Count)
