"""Muon: parity with Keras (Muon for 2-D weights, AdamW for the rest), the orthogonalization, config."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Muon


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.02, "nesterov": False, "rms_rate": None, "weight_decay": 0.1, "ns_steps": 3}],
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Muon(**kwargs), rtol=1e-5, atol=1e-5)


def test_parity_through_step(check_parity):
    check_parity(lambda m: m.optimizers.Muon(learning_rate=0.01, adam_lr_ratio=0.5), use_step=True, atol=1e-5)


def test_newton_schulz_makes_singular_values_near_one():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(16, 8, generator=generator, dtype=torch.float64)
    optimizer = Muon(ns_steps=10)
    singular = torch.linalg.svdvals(optimizer._orthogonalize(x))
    assert torch.all(singular > 0.6) and torch.all(singular < 1.3)  # the quintic's band around 1
    torch.testing.assert_close(optimizer._orthogonalize(x.T), optimizer._orthogonalize(x).T)


def test_embedding_paths_and_patterns_use_adamw():
    class Named(torch.nn.Parameter):
        pass

    embedding = Named(torch.zeros(4, 3))
    embedding.path = "token_embedding/embeddings"
    dense = Named(torch.zeros(4, 3))
    dense.path = "head/kernel"
    optimizer = Muon(exclude_layers=["head"])
    assert optimizer._uses_adamw(embedding) and optimizer._uses_adamw(dense)
    assert not Muon()._uses_adamw(dense) and Muon()._uses_adamw(torch.zeros(3))


def test_config_and_errors(check_config):
    check_config(lambda m: m.optimizers.Muon(momentum=0.9, exclude_layers=["out"], name="opt"))
    with pytest.raises(ValueError, match="ns_steps"):
        Muon(ns_steps=0)
    assert np.isfinite(Muon().get_config()["muon_a"])
