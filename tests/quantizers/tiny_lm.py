"""A tiny language model for GPTQ / AWQ calibration tests, written once for Keras and torchkeras,
and Keras with its calibration made to work (see `keras_with_working_hooks`)."""

import contextlib

import numpy as np
import pytest
import torch


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def lm_class(k):
    """A tiny language model written once for `k` = keras or torchkeras: an embedding, two
    blocks (an MLP, a 3D query projection and an attention-output projection) and a head."""

    class Block(k.layers.Layer):
        def __init__(self, dim, **kwargs):
            super().__init__(**kwargs)
            self.up = k.layers.Dense(2 * dim, activation="relu")
            self.down = k.layers.Dense(dim)
            self.query = k.layers.EinsumDense("btd,dhk->bthk", (None, 2, dim // 4))
            self.attention_output = k.layers.EinsumDense("bthk,hkd->btd", (None, dim))

        def call(self, x):
            return x + self.down(self.up(x)) + self.attention_output(self.query(x))

    class TinyLM(k.Model):
        def __init__(self, vocabulary=24, dim=16, **kwargs):
            super().__init__(**kwargs)
            self.embedding = k.layers.Embedding(vocabulary, dim)
            self.blocks = [Block(dim), Block(dim)]
            self.head = k.layers.Dense(vocabulary)

        def call(self, tokens):
            x = self.embedding(tokens)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

        def get_quantization_layer_structure(self, mode):
            return {"pre_block_layers": [self.embedding], "sequential_blocks": self.blocks}

    return TinyLM


def calibrated_layers(model):
    return [
        layer
        for block in model.blocks
        for layer in (block.up, block.down, block.query, block.attention_output)
    ]


class Tokenizer:
    def tokenize(self, text):
        return np.array([ord(c) % 24 for c in text], dtype="int32")


@pytest.fixture
def keras_with_working_hooks(monkeypatch):
    """Keras with its calibration hooks on the path a quantized layer runs (`_gptq_call` /
    `_awq_call`; Keras 3.15 patches `call`, never run, so its statistics stay empty) and with
    torchkeras's calibration windows (Keras's strided offset changes from process to process)."""
    keras = pytest.importorskip("keras")
    from keras.src.quantizers import awq_core, gptq_core

    from torchkeras.quantizers.calibration import get_dataloader

    def streaming(method, update):
        @contextlib.contextmanager
        def stream(layers_map, objects):
            for name, layer in layers_map.items():
                original = getattr(layer, method)

                def hook(inputs, *args, _name=name, _original=original, **kwargs):
                    getattr(objects[_name], update)(keras.ops.reshape(inputs, (-1, objects[_name].rows)))
                    return _original(inputs, *args, **kwargs)

                setattr(layer, method, hook)
            try:
                yield
            finally:
                for layer in layers_map.values():
                    delattr(layer, method)

        return stream

    monkeypatch.setattr(gptq_core, "stream_hessians", streaming("_gptq_call", "update_hessian_with_batch"))
    monkeypatch.setattr(
        awq_core, "stream_activations", streaming("_awq_call", "update_activation_magnitudes")
    )
    monkeypatch.setattr(gptq_core, "get_dataloader", get_dataloader)
    monkeypatch.setattr(awq_core, "get_dataloader", get_dataloader)
    return keras


def twin_models(keras):
    import torchkeras

    keras.utils.set_random_seed(1)
    ref = lm_class(keras)()
    ours = lm_class(torchkeras)()
    tokens = np.random.default_rng(14).integers(0, 24, size=(2, 10)).astype("int32")
    ref(tokens)
    ours(tokens)
    ours.set_weights([_np(w) for w in ref.get_weights()])
    return ref, ours, tokens


def dataset():
    return [np.random.default_rng(15).integers(0, 24, size=300).astype("int32")]
