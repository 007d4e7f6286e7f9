import torch, torchkeras.initializers as I, torchkeras.activations as A, torchkeras.constraints as C, torchkeras.regularizers as R
dev = "cuda"
for cls in (I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.GlorotUniform, I.HeNormal, I.Orthogonal):
    for seed in (None, 3):
        a = cls(seed=seed)((64, 32), device=dev)
        assert a.device.type == "cuda", cls
        if seed is not None:
            assert torch.equal(a, cls(seed=seed)((64, 32), device=dev))
print("initializers on cuda ok")
for c in (I.Zeros(), I.Ones(), I.Constant(2.0), I.Identity(), I.STFT()):
    shape = (8, 1, 5) if isinstance(c, I.STFT) else (4, 4)
    assert c(shape, device=dev).device.type == "cuda"
x = torch.randn(4, 6, 8, device=dev)
for name, fn in A.ALL_OBJECTS_DICT.items():
    kw = {"threshold": 0.1, "default_value": 0.0} if name == "threshold" else {}
    assert fn(x, **kw).device.type == "cuda", name
w = torch.randn(5, 3, device=dev)
for r in (R.L1(), R.L2(), R.L1L2(0.1, 0.1), R.OrthogonalRegularizer()):
    assert r(w).device.type == "cuda"
for c in (C.MaxNorm(), C.NonNeg(), C.UnitNorm(), C.MinMaxNorm()):
    assert c(w).device.type == "cuda"
print("all on cuda ok", torch.__version__)
