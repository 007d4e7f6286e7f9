"""`DTypePolicy` and `FloatDTypePolicy`, at Keras's path (`keras.src.dtype_policies.dtype_policy`).

They are defined with the global policy in `torchkeras.mixed_precision`, which `fit` reads on
every step; this module names them where a Keras user looks.
"""

from __future__ import annotations

from torchkeras.mixed_precision import DTypePolicy, FloatDTypePolicy

__all__ = ["DTypePolicy", "FloatDTypePolicy"]
