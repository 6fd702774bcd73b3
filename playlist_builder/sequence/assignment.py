"""scipy's minimum-cost assignment (`linear_sum_assignment`), loaded without all of `scipy.optimize`.

Importing `scipy.optimize` costs about 0.4 s of CPU (it brings in scipy.linalg, sparse matrices and
every optimiser), a fifth of the 2-second budget of `session build` on 100,000 tracks, for one
compiled function. That function lives in its own extension module, which needs only numpy: it is
loaded straight from scipy's folder. Any surprise (another scipy layout) falls back to the public
import, so the result is always scipy's own function.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

_MODULE = "scipy.optimize._lsap"


def _load() -> Callable[..., Any]:
    try:
        scipy_spec = importlib.util.find_spec("scipy")  # finds the package without importing it
        if scipy_spec is None or scipy_spec.origin is None:
            raise ImportError("scipy not found")
        candidates = sorted((Path(scipy_spec.origin).parent / "optimize").glob("_lsap.*"))
        spec = importlib.util.spec_from_file_location(_MODULE, candidates[0]) if candidates else None
        if spec is None or spec.loader is None:
            raise ImportError(f"no {_MODULE} extension")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        function = module.linear_sum_assignment
        if not callable(function):
            raise ImportError(f"{_MODULE}.linear_sum_assignment is not callable")
        return function  # type: ignore[no-any-return]
    except Exception:
        from scipy.optimize import linear_sum_assignment

        return linear_sum_assignment


linear_sum_assignment = _load()
