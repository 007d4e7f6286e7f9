import torch, numpy as np
from torchkeras import losses, metrics
dev = "cuda"
torch.manual_seed(0)
yt = torch.randint(0, 2, (64, 5), device=dev).float(); yp = torch.rand(64, 5, device=dev)
lab = torch.randint(0, 5, (64,), device=dev); logits = torch.randn(64, 5, device=dev)
mask = torch.rand(64, device=dev) > 0.3
sw = torch.rand(64, device=dev)
objs = [losses.BinaryCrossentropy(), losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
        losses.CategoricalCrossentropy(), losses.MeanSquaredError(), losses.Huber(), losses.Hinge(),
        losses.Dice(), losses.BinaryFocalCrossentropy(), losses.CategoricalFocalCrossentropy(), losses.KLDivergence()]
sp = [losses.SparseCategoricalCrossentropy(from_logits=True), losses.SparseCategoricalCrossentropy(ignore_class=0)]
def run_losses():
    out = []
    for l in objs:
        p = yp.clone(); p._keras_mask = mask
        out.append(l(yt, p, sample_weight=sw))
    for l in sp:
        out.append(l(lab, logits.softmax(-1) if not l.from_logits else logits, sample_weight=sw))
    return out
cpu_ref = None
run_losses()
torch.cuda.set_sync_debug_mode("error")
res = run_losses()
torch.cuda.set_sync_debug_mode("default")
print("losses no-sync OK", [round(r.item(), 5) for r in res])
# compare against CPU
yt_c, yp_c, lab_c, logits_c, mask_c, sw_c = (t.cpu() for t in (yt, yp, lab, logits, mask, sw))
for l, r in zip(objs, res):
    p = yp_c.clone(); p._keras_mask = mask_c
    assert torch.allclose(l(yt_c, p, sample_weight=sw_c), r.cpu(), rtol=1e-5, atol=1e-6), l
print("losses cuda==cpu OK")
# autocast on cuda
with torch.autocast("cuda", dtype=torch.bfloat16):
    print("bce under cuda autocast", losses.BinaryCrossentropy()(yt, yp.bfloat16()).item())
# metrics
ms = [metrics.AUC(), metrics.AUC(curve="PR", multi_label=True), metrics.Precision(thresholds=[0.3, 0.6]),
      metrics.Recall(top_k=2, class_id=1), metrics.BinaryAccuracy(), metrics.F1Score(average="weighted"),
      metrics.MeanIoU(5, sparse_y_true=True), metrics.R2Score(), metrics.MeanSquaredError(), metrics.TruePositives(thresholds=[0.0, 0.5, 1.0])]
def upd(m, y_t, y_p, w, lab):
    if isinstance(m, metrics.MeanIoU):
        m.update_state(lab, y_p.argmax(-1))
    else:
        m.update_state(y_t, y_p, sample_weight=w)
import copy
cpu_ms = [copy.deepcopy(m) for m in ms]
for m in ms: upd(m, yt, yp, sw, lab)
torch.cuda.set_sync_debug_mode("error")
for m in ms: upd(m, yt, yp, sw, lab); m.result()
torch.cuda.set_sync_debug_mode("default")
for m in cpu_ms:
    for _ in range(2): upd(m, yt_c, yp_c, sw_c, lab_c)
for m, c in zip(ms, cpu_ms):
    assert all(v.device.type == "cuda" for v in m.variables), m
    assert torch.allclose(m.result().cpu(), c.result(), rtol=1e-5, atol=1e-5), (m, m.result(), c.result())
print("metrics no-sync + cuda==cpu OK")
m = metrics.Mean().to("cuda"); held = m.total
m.update_state(torch.ones(3, device="cuda")); assert m.total is held and held.device.type == "cuda"
print("to() OK")
