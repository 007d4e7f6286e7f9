"""A callback that interrupts `fit` as Ctrl-C would, for the resume tests."""

import torchkeras as tk


class CrashAfter(tk.callbacks.Callback):
    """Raises `KeyboardInterrupt` after `after` training batches in total."""

    def __init__(self, after):
        super().__init__()
        self.after, self.seen = after, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.after:
            raise KeyboardInterrupt
