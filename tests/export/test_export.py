"""Model.export and ExportArchive: files that plain torch (or ONNX) runs, giving the model's outputs."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import torchkeras as keras


def _functional(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.normal(size=(32, 6)).astype("float32"), rng.integers(0, 3, 32), epochs=1, verbose=0)
    return model


def test_torch_export_runs_in_plain_torch_with_dynamic_batch(tmp_path):
    model = _functional(0)
    path = model.export(tmp_path / "model.pt2", verbose=False)
    rng = np.random.default_rng(1)
    x3, x7 = rng.normal(size=(3, 6)).astype("float32"), rng.normal(size=(7, 6)).astype("float32")
    np.save(tmp_path / "x3.npy", x3)
    np.save(tmp_path / "x7.npy", x7)
    script = (
        "import sys; sys.modules['torchkeras'] = None\n"  # torchkeras cannot be imported here
        "import numpy as np, torch\n"
        f"program = torch.export.load({str(path)!r}).module()\n"
        f"for n in (3, 7):\n"
        f"    x = torch.from_numpy(np.load({str(tmp_path)!r} + f'/x{{n}}.npy'))\n"
        f"    np.save({str(tmp_path)!r} + f'/y{{n}}.npy', program(x).detach().numpy())\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    for n, x in ((3, x3), (7, x7)):
        expected = model.predict(x, verbose=0)
        np.testing.assert_allclose(np.load(tmp_path / f"y{n}.npy"), expected, rtol=1e-5, atol=1e-6)
    assert model.training is False or model.training is True  # the mode is restored, not forced


def test_export_restores_training_mode_and_validates(tmp_path):
    model = _functional(2)
    model.train()
    model.export(tmp_path / "m.pt2", verbose=False)
    assert model.training
    with pytest.raises(ValueError, match=r"\.pt2"):
        model.export(tmp_path / "m.bin")
    with pytest.raises(ValueError, match="format"):
        model.export(tmp_path / "m.pt2", format="tf_saved_model")
    with pytest.raises(ValueError, match="Unsupported arguments"):
        model.export(tmp_path / "m.pt2", jax2tf_kwargs={})


def test_wrapped_module_needs_and_uses_input_signature(tmp_path):
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten())
    model = keras.Model(net)
    with pytest.raises(ValueError, match="input_signature"):
        model.export(tmp_path / "w.pt2")
    model.export(tmp_path / "w.pt2", input_signature=[(None, 3, 5, 5)], verbose=False)
    program = torch.export.load(str(tmp_path / "w.pt2")).module()
    x = torch.randn(4, 3, 5, 5, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(program(x), net(x))


def test_onnx_export_matches_the_model(tmp_path):
    pytest.importorskip("onnxscript")
    from onnx.reference import ReferenceEvaluator

    model = _functional(5)
    model.export(tmp_path / "model.onnx", format="onnx", verbose=False)
    session = ReferenceEvaluator(str(tmp_path / "model.onnx"))
    for n in (2, 5):
        x = np.random.default_rng(n).normal(size=(n, 6)).astype("float32")
        (result,) = session.run(None, {session.input_names[0]: x})
        np.testing.assert_allclose(result, model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def test_export_archive_endpoints_and_variables(tmp_path):
    model = _functional(6)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model, input_signature=[(None, 6)])
    archive.add_endpoint("logits_sum", lambda x: model(x).sum(dim=-1), input_signature=[(None, 6)])
    archive.add_variable_collection("weights", model.weights)
    with pytest.raises(ValueError, match="already"):
        archive.add_endpoint("serve", model, input_signature=[(None, 6)])
    archive.write_out(tmp_path / "archive", verbose=False)
    manifest = json.loads((tmp_path / "archive" / "manifest.json").read_text())
    assert manifest["endpoints"] == {"serve": "serve.pt2", "logits_sum": "logits_sum.pt2"}
    x = np.random.default_rng(7).normal(size=(4, 6)).astype("float32")
    serve = torch.export.load(str(tmp_path / "archive" / "serve.pt2")).module()
    np.testing.assert_allclose(
        serve(torch.from_numpy(x)).detach().numpy(), model.predict(x, verbose=0), rtol=1e-5
    )
    total = torch.export.load(str(tmp_path / "archive" / "logits_sum.pt2")).module()
    np.testing.assert_allclose(total(torch.from_numpy(x)).detach().numpy(), np.ones(4), rtol=1e-5)
    from safetensors.numpy import load_file

    stored = load_file(str(tmp_path / "archive" / "weights.safetensors"))
    assert len(stored) == len(model.weights)


def test_export_archive_errors():
    archive = keras.export.ExportArchive()
    with pytest.raises(ValueError, match="track"):
        archive.add_endpoint("serve", lambda x: x, input_signature=[(None, 2)])
    with pytest.raises(ValueError, match="resource"):
        archive.track("not a layer")
    with pytest.raises(ValueError, match="name"):
        archive.add_variable_collection("bad name", [])
    with pytest.raises(ValueError, match="endpoint"):
        archive.write_out("unused")
