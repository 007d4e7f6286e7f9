"""RemoteMonitor: posts each epoch's logs to a local HTTP server (127.0.0.1 only)."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
import torch

import torchkeras as tk


@pytest.fixture
def server():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Token"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_form_and_json_bodies(server):
    root, received = server
    form = tk.callbacks.RemoteMonitor(root=root, headers={"X-Token": "t"})
    form.on_epoch_end(0, {"loss": torch.tensor(0.5), "acc": np.float32(0.25)})
    as_json = tk.callbacks.RemoteMonitor(root=root, path="/json", send_as_json=True)
    as_json.on_epoch_end(3, {"loss": 1.5})
    (path, kind, token, body), (json_path, json_kind, _, json_body) = received
    assert (path, kind, token) == ("/publish/epoch/end/", "application/x-www-form-urlencoded", "t")
    assert json.loads(urllib.parse.parse_qs(body.decode())["data"][0]) == {
        "epoch": 0,
        "acc": 0.25,
        "loss": 0.5,
    }
    assert (json_path, json_kind) == ("/json", "application/json")
    assert json.loads(json_body) == {"epoch": 3, "loss": 1.5}


def test_fit_posts_every_epoch(server):
    root, received = server
    model = tk.Sequential([tk.Input((2,)), tk.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 2), "float32")
    model.fit(
        x, x[:, :1], epochs=2, verbose=0, callbacks=[tk.callbacks.RemoteMonitor(root=root, send_as_json=True)]
    )
    assert [json.loads(body)["epoch"] for *_, body in received] == [0, 1]


def test_unreachable_server_warns_and_bad_root_raises():
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        tk.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2).on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="root"):
        tk.callbacks.RemoteMonitor(root="file:///etc/passwd")
