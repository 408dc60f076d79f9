"""Only riskkit/market/_fast_arch.py may touch arch or scipy internals (issue: fast path behind a seam)."""

from __future__ import annotations

import re
from pathlib import Path

import riskkit

# names of arch / scipy internals the fast GARCH path relies on
PRIVATE = re.compile(r"_slsqplib|_adjust_sample|_loglikelihood|_all_parameter_names|\._normal\b|__wrapped__"
                     r"|volatility\.rec\b|_arch_volatility|from arch[\w.]* import _|scipy[\w.]*\._\w")


def test_arch_and_scipy_internals_only_in_fast_arch() -> None:
    root = Path(riskkit.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "_fast_arch.py":
            continue
        for no, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if PRIVATE.search(code) and not code.strip().startswith(('"', "'")):
                offenders.append(f"{path.relative_to(root)}:{no}: {line.strip()}")
    assert not offenders, "arch/scipy internals outside riskkit/market/_fast_arch.py:\n" + "\n".join(offenders)


def test_the_guard_sees_internals() -> None:
    assert PRIVATE.search("from scipy.optimize._slsqplib import slsqp")
    assert PRIVATE.search("am._adjust_sample(first, last)")
    assert not PRIVATE.search("am.fit(disp='off')")
