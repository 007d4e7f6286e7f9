"""SeededRandomness: one owner of a layer's seeded streams, whose state restores them exactly."""

import pytest
import torch

from torchkeras.layers.regularization.base_random import SeededRandomness


def test_restored_states_continue_every_stream():
    random = SeededRandomness(7)
    like = torch.zeros(4, 5)
    random.normal(like, 0.0, 1.0)
    random.python_random().random()
    states = random.generator_states()
    expected = (random.keep_mask((4, 5), 0.5, like), random.python_random().random())
    restored = SeededRandomness(7)
    restored.set_generator_states(states)  # before any draw: applied when each stream is created
    assert torch.equal(restored.keep_mask((4, 5), 0.5, like), expected[0])
    assert restored.python_random().random() == expected[1]
    drawn = SeededRandomness(7)
    drawn.normal(like, 0.0, 1.0)
    drawn.set_generator_states(states)  # after draws: the live streams are rewound
    assert torch.equal(drawn.keep_mask((4, 5), 0.5, like), expected[0])


def test_no_seed_draws_from_the_global_generator_and_the_seed_is_restored():
    assert SeededRandomness(None).generator("cpu") is None
    unseeded = SeededRandomness(None)
    unseeded.set_generator_states(SeededRandomness(3).generator_states())
    assert unseeded.seed == 3
    assert torch.equal(unseeded.generator("cpu").get_state(), torch.Generator().manual_seed(3).get_state())


def test_a_state_that_does_not_fit_is_refused_and_nothing_changes():
    random = SeededRandomness(1)
    before = random.generator("cpu").get_state()
    for bad in ({"cpu": torch.zeros(8, dtype=torch.uint8)}, {"cpu": "abc"}, {"python": (3, (1,), None)},
                {"seed": "x"}, {"nowhere": torch.zeros(8, dtype=torch.uint8)}):  # fmt: skip
        with pytest.raises(ValueError, match="random stream|seed"):
            random.set_generator_states({"seed": 5, **bad})
        assert random.seed == 1
        assert torch.equal(random.generator("cpu").get_state(), before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a device this machine lacks")
def test_the_state_of_an_absent_device_is_kept_for_a_later_save():
    state = torch.arange(16, dtype=torch.uint8)
    random = SeededRandomness(1)
    random.set_generator_states({"cuda:0": state})
    assert torch.equal(random.generator_states()["cuda:0"], state)
