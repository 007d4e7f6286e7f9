"""The recurrence helpers: right-padded mask detection, loop semantics on a toy step."""

import torch

from torchkeras.layers.rnn.recurrence import right_padded_lengths, run_loop


def test_right_padded_lengths():
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [0, 0, 0]], dtype=torch.bool)
    assert right_padded_lengths(mask).tolist() == [2, 3, 0]
    assert right_padded_lengths(torch.tensor([[1, 0, 1]], dtype=torch.bool)) is None
    assert right_padded_lengths(torch.tensor([[0, 1, 1]], dtype=torch.bool)) is None


def test_loop_masking_rules():
    """Masked steps keep the states and repeat the previous output (zeros before the first)."""
    step = lambda x, states: (x + states[0], [x + states[0]])  # noqa: E731  (a running sum)
    inputs = torch.arange(1.0, 5.0).reshape(1, 4, 1)
    mask = torch.tensor([[False, True, False, True]])
    last, outputs, states = run_loop(step, inputs, [torch.zeros(1, 1)], mask)
    assert (
        outputs.flatten().tolist() == [0.0, 2.0, 2.0, 6.0] and states[0].item() == 6.0 and last.item() == 6.0
    )
    _, outputs, _ = run_loop(step, inputs, [torch.zeros(1, 1)], mask, zero_output_for_mask=True)
    assert outputs.flatten().tolist() == [0.0, 2.0, 0.0, 6.0]
    _, outputs, states = run_loop(step, inputs, [torch.zeros(1, 1)], mask, go_backwards=True)
    assert outputs.flatten().tolist() == [4.0, 4.0, 6.0, 6.0] and states[0].item() == 6.0
