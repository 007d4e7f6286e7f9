"""The state shared by nested layer calls: training flag, depth, the losses' generation, and a
count of the weights created so far (so callers can cache facts about a model's weights)."""

from __future__ import annotations

__all__ = ["CallContext", "call_context"]


class CallContext:
    """State of the current (possibly nested) layer call, shared by all layers."""

    def __init__(self) -> None:
        self.depth = 0  # how many layer calls are on the stack
        self.training: bool | None = None  # the training flag of the outermost call
        self.generation = 0  # incremented at each outermost call; dates `add_loss` losses
        self.loss_generation = -1  # the generation in which `add_loss` was last used
        self.weights_created = 0  # incremented by every `add_weight`


call_context = CallContext()
