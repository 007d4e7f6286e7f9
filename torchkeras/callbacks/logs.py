"""Callback logs as plain Python values (see `torchkeras.utils.host_values`)."""

from torchkeras.utils.host_values import format_log_value, pythonify_logs

__all__ = ["format_log_value", "pythonify_logs"]
