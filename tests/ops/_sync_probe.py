import torch

from torchkeras import ops

x = torch.randn(4, 3, device="cuda")
labels = torch.tensor([0, 2, 1, 1], device="cuda")
start = torch.tensor([1, 1], device="cuda")
zeros22 = torch.zeros(2, 2, device="cuda")
ones = torch.ones_like(x)
cases = [
    ("one_hot", lambda: ops.one_hot(labels, 3)),
    ("scce", lambda: ops.sparse_categorical_crossentropy(labels, x, from_logits=True)),
    ("scce_probs", lambda: ops.sparse_categorical_crossentropy(labels, torch.softmax(x, -1))),
    ("cce", lambda: ops.categorical_crossentropy(ops.one_hot(labels, 3), torch.softmax(x, -1))),
    ("bce", lambda: ops.binary_crossentropy(ones, torch.sigmoid(x))),
    ("bce_logits", lambda: ops.binary_crossentropy(ones, x, from_logits=True)),
    ("moments", lambda: ops.moments(x, axes=[0])),
    ("take", lambda: ops.take(x, labels, axis=1)),
    ("take_along", lambda: ops.take_along_axis(x, labels[:, None], axis=1)),
    ("slice_update", lambda: ops.slice_update(x, start, zeros22)),
    ("slice_update_int", lambda: ops.slice_update(x, (1, 1), zeros22)),
    ("scatter_update", lambda: ops.scatter_update(x, labels[:2, None], x[:2])),
    ("scatter", lambda: ops.scatter(labels[:, None], x, (5, 3))),
    ("mean", lambda: ops.mean(x, axis=0)),
    ("sum", lambda: ops.sum(x, axis=0)),
    ("var", lambda: ops.var(x)),
    ("argmax", lambda: ops.argmax(x, axis=-1)),
    ("in_top_k", lambda: ops.in_top_k(labels, x, 2)),
    ("top_k", lambda: ops.top_k(x, 2)),
    ("normalize", lambda: ops.normalize(x)),
    ("maximum", lambda: ops.maximum(x, 0.0)),
    ("clip", lambda: ops.clip(x, 0.0, 1.0)),
    ("clip_mixed", lambda: ops.clip(x, 0.0, ones)),
    ("where", lambda: ops.where(x > 0, x, 0.0)),
    ("add_scalar", lambda: ops.add(x, 2.5)),
    ("rsub_scalar", lambda: ops.subtract(2.5, x)),
    ("softmax", lambda: ops.softmax(x, axis=(0, 1))),
    ("logsumexp", lambda: ops.logsumexp(x, axis=1)),
    ("cast", lambda: ops.cast(x, "float16")),
    ("matmul_int", lambda: ops.matmul(labels[:, None], labels[None, :])),
]
for name, f in cases:
    try:
        f()
    except Exception as e:
        print(name, "ERROR", type(e).__name__, str(e)[:120])
torch.cuda.synchronize()
torch.cuda.set_sync_debug_mode("error")
for name, f in cases:
    try:
        f()
        print(name, "ok")
    except Exception as e:
        print(name, "SYNC?", type(e).__name__, str(e)[:120])
torch.cuda.set_sync_debug_mode(0)
