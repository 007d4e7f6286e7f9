import time, numpy as np, torch
import torchkeras as tk
from torchkeras.layers.attention import MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention
from torchkeras.layers.core.embedding import Embedding
dev = "cuda"
torch.manual_seed(0)
q = torch.randn(4, 16, 32); ids = torch.randint(1, 9, (4, 16)); ids[0, 10:] = 0
results = []
for make, kw in [(lambda: MultiHeadAttention(4, 8), {}), (lambda: MultiHeadAttention(4, 8), {"use_causal_mask": True}),
                 (lambda: MultiHeadAttention(4, 8, dropout=0.1), {"return_attention_scores": True}),
                 (lambda: GroupedQueryAttention(8, 4, 2), {"use_causal_mask": True}),
                 (lambda: MultiHeadAttention(4, 8, attention_axes=(2,)), "rank4")]:
    cpu = make(); x = q if kw != "rank4" else q.view(4, 4, 4, 32)
    k = {} if kw == "rank4" else kw
    out_cpu = cpu(x, x, **k)
    gpu = make(); gpu(x.to(dev), x.to(dev), **k); gpu.set_weights(cpu.get_weights())
    out_gpu = gpu(x.to(dev), x.to(dev), **k)
    a = out_cpu[0] if isinstance(out_cpu, tuple) else out_cpu; b = out_gpu[0] if isinstance(out_gpu, tuple) else out_gpu
    print("parity", kw if isinstance(kw, str) else list(kw), float((a - b.cpu()).abs().max()), [str(w.device) for w in gpu.weights][:1])
# masks from Embedding on GPU, seeded dropout on GPU in training
emb = Embedding(9, 32, mask_zero=True).to(dev); e = emb(ids.to(dev))
m = MultiHeadAttention(4, 8, dropout=0.2, seed=3); o = m(e, e, training=True); o.sum().backward()
print("masked train ok", o._keras_mask.device, all(p.grad is not None for p in m.parameters()))
att = Attention(dropout=0.2, seed=1); print("attention", att([e, e], training=True).shape, AdditiveAttention()([e, e]).device)
# flash attention on bf16
f = MultiHeadAttention(4, 16, flash_attention=True, dtype="bfloat16")
xb = torch.randn(4, 128, 64, device=dev, dtype=torch.bfloat16)
print("flash", f(xb, xb, use_causal_mask=True).dtype)
# timing: fused vs explicit paths, train step, B=32 T=256 D=256 heads 8
x = torch.randn(32, 256, 256, device=dev, requires_grad=False)
for name, layer, kw in [("fused", MultiHeadAttention(8, 32), {}), ("explicit(scores)", MultiHeadAttention(8, 32), {"return_attention_scores": True}),
                        ("torch.nn.MHA", None, None)]:
    if layer is None:
        layer = torch.nn.MultiheadAttention(256, 8, batch_first=True).to(dev); fn = lambda: layer(x, x, x, need_weights=False)[0]
    else:
        layer(x, x); fn = lambda: (lambda o: o[0] if isinstance(o, tuple) else o)(layer(x, x, **kw))
    for _ in range(5): fn().sum().backward()
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(50): fn().sum().backward()
    torch.cuda.synchronize(); print(name, f"{(time.perf_counter() - t) / 50 * 1e3:.2f} ms/step fwd+bwd")
