"""`SymbolicScope`: open while layers infer their output shapes on symbolic inputs."""

import torch

import torchkeras as tk
from torchkeras.utils.symbolic_scope import in_symbolic_scope


def test_open_during_shape_inference_only():
    seen = []

    class Probe(tk.layers.Layer):
        def call(self, x):
            seen.append(in_symbolic_scope())
            return x

    layer = Probe()
    layer(tk.Input((3,)))
    symbolic_calls = len(seen)
    layer(torch.ones(1, 3))
    assert symbolic_calls >= 1 and all(seen[:symbolic_calls])  # one probe per unknown size
    assert seen[symbolic_calls:] == [False]
    with tk.SymbolicScope():
        assert in_symbolic_scope()
    assert not in_symbolic_scope()
