"""The state shared by nested layer calls, kept per thread.

`call_context` holds what the layers of one (possibly nested) call need to agree on: how deep
the call is and the training flag of the outermost call. It is a `threading.local`, so several
threads may call one model at once (one training, others serving `predict`) without seeing
each other's flags. `torch.compile` traces it like any object; nothing in it changes from one
step to the next, so compiled steps are not recompiled.

`weight_count` counts the weights created in the process, so callers can cache facts about a
model's weights until a new one appears.
"""

from __future__ import annotations

import threading

__all__ = ["CallContext", "WeightCount", "call_context", "may_overwrite", "weight_count"]


class CallContext(threading.local):
    """State of the current thread's layer call (each thread sees its own attributes)."""

    def __init__(self) -> None:
        self.depth = 0  # how many layer calls are on this thread's stack
        self.training: bool | None = None  # the training flag of the outermost call
        # How many times a layer called `add_loss` in this thread (0: never): only then does an
        # outermost call clear the losses of its layers, and `fit` look for them; a change across
        # a call tells that the call added losses.
        self.losses_added = 0
        # Whether the autocast now active was entered for a mixed dtype policy (by a layer or
        # the trainer): a full-precision layer inside it then computes in its own dtype.
        self.policy_autocast = False
        # `(layer, tensors)`: inputs of this layer call that nothing reads afterwards, so it may
        # write its output into them (set by a functional model's replay when no gradient is
        # recorded; see `models/functional.py`).
        self.donated: tuple = (None, ())


def may_overwrite(layer: object, tensor: object) -> bool:
    """Whether `layer`'s current call may write into its input `tensor` (it was donated)."""
    owner, tensors = call_context.donated
    return owner is layer and any(tensor is donated for donated in tensors)


class WeightCount:
    """A process-wide count of the weights created by `add_weight` (any thread)."""

    def __init__(self) -> None:
        self.created = 0


call_context = CallContext()
weight_count = WeightCount()
