"""History: per-epoch lists of logs, as Keras records them."""

from __future__ import annotations

from torchkeras.callbacks import CallbackList, History

EPOCHS = [{"loss": 1.0, "val_loss": 1.5}, {"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25}]


def run(history, model, epochs_logs):
    history.set_model(model)
    history.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        history.on_epoch_end(epoch, dict(logs))
    history.on_train_end()


def test_matches_keras_across_two_fits(keras, keras_model, fake_model):
    theirs, ours = keras.callbacks.History(), History()
    for _ in range(2):  # a reused instance keeps appending to `history`, and restarts `epoch`
        run(theirs, keras_model, EPOCHS)
        run(ours, fake_model, EPOCHS)
        assert (ours.history, ours.epoch) == (theirs.history, theirs.epoch)
    assert fake_model.history is ours


def test_records_epoch_logs(fake_model):
    history = History()
    run(history, fake_model, EPOCHS)
    assert history.history == {"loss": [1.0, 0.5, 0.25], "val_loss": [1.5, 0.75]}
    assert history.epoch == [0, 1, 2]


def test_added_by_callback_list(fake_model):
    callbacks = CallbackList(add_history=True, model=fake_model, verbose=0, epochs=1, steps=1)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 2.0})
    assert fake_model.history.history == {"loss": [2.0]}
    assert fake_model.history.params == {"verbose": 0, "epochs": 1, "steps": 1}
