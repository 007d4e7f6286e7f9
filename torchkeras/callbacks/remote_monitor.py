"""`RemoteMonitor`: posts each epoch's logs to a server (a plain HTTP POST with `urllib`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

from torchkeras.callbacks.callback import Callback
from torchkeras.callbacks.logs import pythonify_logs

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """Sends `{"epoch": i, **logs}` to `root + path` at the end of each epoch.

    Nothing is sent unless this callback is added to `fit`. The body is form-encoded,
    `{field: json.dumps(data)}`, or JSON with `send_as_json=True`. An unreachable server only
    warns; training goes on.

    Args:
        root: the server's root URL (`http://` or `https://`).
        path: the path appended to `root`.
        field: the form field holding the JSON data (when not sending JSON).
        headers: optional extra HTTP headers.
        send_as_json: send the data as an `application/json` body.
        timeout: seconds to wait for the server before warning and going on.

    Example:
    ```python
    monitor = keras.callbacks.RemoteMonitor(root="http://localhost:9000")
    model.fit(x, y, callbacks=[monitor])
    ```
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict[str, str] | None = None,
        send_as_json: bool = False,
        timeout: float = 10.0,
    ) -> None:
        super().__init__()
        if urllib.parse.urlsplit(root).scheme not in ("http", "https"):
            raise ValueError(f"Argument `root` must be an http:// or https:// URL. Received: root={root!r}")
        self.root = root
        self.path = path
        self.field = field
        self.headers = dict(headers or {})
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        data: dict[str, Any] = {"epoch": epoch}
        for key, value in pythonify_logs(logs).items():
            data[key] = value.tolist() if hasattr(value, "tolist") else value
        if self.send_as_json:
            body = json.dumps(data).encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(data)}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.root + self.path,
            data=body,
            headers={"Content-Type": content_type, **self.headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http(s) only)
                response.read()
        except (urllib.error.URLError, OSError) as error:
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root} ({error}).", stacklevel=2
            )
