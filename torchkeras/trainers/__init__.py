"""The training loop: data adapters, compile specs, device placement and the Trainer."""
