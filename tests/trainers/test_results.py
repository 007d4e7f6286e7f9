"""`LossTracker` and `MetricResults`: what steps report."""

import torch

from torchkeras import metrics
from torchkeras.trainers.results import LossTracker, MetricResults


def test_loss_tracker_gives_the_batch_weighted_mean_of_the_kept_losses():
    # Scalar losses with Python batch sizes are kept as they come and summed when read; the
    # tracker moves its state itself (its `update_state` runs unwrapped).
    assert not hasattr(LossTracker.update_state, "__wrapped__")
    tracker, mean = LossTracker(), metrics.Mean()
    for loss, size in [(0.5, 32), (1.25, 32), (2.0, 7)]:
        tracker.update_state(torch.tensor(loss), sample_weight=size)
        mean.update_state(torch.tensor(loss), sample_weight=size)
        assert tracker.device == torch.device("cpu")  # moved at once: a compiled step cannot
    torch.testing.assert_close(tracker.result(), mean.result())
    # A training loss is kept without its graph.
    tracker.update_state(torch.tensor(2.0, requires_grad=True) * 1, sample_weight=4)
    mean.update_state(torch.tensor(2.0), sample_weight=4)
    assert tracker._pending[-1].grad_fn is None
    torch.testing.assert_close(tracker.result(), mean.result())
    # Other values take `Mean`'s path, after the kept ones.
    tracker.update_state(torch.tensor([1.0, 3.0]))
    mean.update_state(torch.tensor([1.0, 3.0]))
    torch.testing.assert_close(tracker.result(), mean.result())
    tracker.update_state(torch.tensor(4.0), sample_weight=5)
    tracker.reset_state()
    assert float(tracker.result()) == 0.0


def test_loss_tracker_counts_the_kept_losses_before_its_state_moves():
    tracker = LossTracker()
    tracker.update_state(torch.tensor(1.0), sample_weight=2)
    tracker._device = torch.device("meta")  # as if the state lived elsewhere: the next loss moves it
    tracker.update_state(torch.tensor(4.0), sample_weight=2)
    assert tracker.device == torch.device("cpu")
    assert tracker.result().item() == 2.5


def test_metric_results_reads_each_result_once_and_on_demand():
    calls = []

    class Counting(metrics.Mean):
        def result(self):
            calls.append(self.name)
            return super().result()

    results = MetricResults([Counting(name="a"), Counting(name="b")])
    assert list(results) == ["a", "b"] and calls == []
    results["a"], results["a"]
    assert calls == ["a"]
    results["extra"] = 1.0
    del results["b"]
    assert dict(results) == {"a": results["a"], "extra": 1.0} and calls == ["a"]
