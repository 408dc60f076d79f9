"""riskkit figures display themselves: as the last expression of a cell in a real IPython kernel
they produce an ``image/png`` output (what JupyterLab and executed notebooks show), whatever
backend the environment selects, and they are never shown twice by the inline backend."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import numpy as np
import pytest

from riskkit._figures import RiskFigure, new_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_repr_png_renders_the_figure() -> None:
    fig = new_figure(3, 2)
    fig.subplots().plot([0, 1], [0, 1])
    png = fig._repr_png_()
    assert png.startswith(PNG_MAGIC)
    # width and height from the IHDR chunk: a 3 x 2 inch figure at matplotlib's 100 dpi, with
    # bbox_inches="tight" adding its 0.1 inch padding on each side (so about 320 x 220)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 260 <= width <= 340 and 170 <= height <= 240, (width, height)


def test_every_plot_module_returns_a_displayable_figure() -> None:
    from riskkit.credit import plots as credit_plots
    from riskkit.market import plots as market_plots
    import pandas as pd

    rng = np.random.default_rng(3)
    p = rng.uniform(size=200)
    y = (rng.uniform(size=200) < p).astype(int)
    returns = pd.Series(rng.normal(0, 0.01, 300), index=pd.bdate_range("2020-01-01", periods=300))
    forecasts = pd.DataFrame({"var": 0.02, "es": 0.025}, index=returns.index)
    figures = [credit_plots.roc_curve(y, p), credit_plots.ks_curve(y, p),
               market_plots.plot_var_backtest(returns, forecasts),
               market_plots.plot_exception_count(returns < -0.02, window=100)]
    for fig in figures:
        assert isinstance(fig, RiskFigure)
        assert fig._repr_png_().startswith(PNG_MAGIC)


@pytest.fixture(params=["", "Agg"], ids=["default-backend", "MPLBACKEND=Agg"])
def kernel(request: pytest.FixtureRequest) -> Iterator[object]:
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if request.param:
        env["MPLBACKEND"] = request.param
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), env.get("PYTHONPATH", "")] if p)
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME

    manager, client = start_new_kernel(kernel_name=NATIVE_KERNEL_NAME, env=env,
                                       extra_arguments=["--IPKernelApp.log_level=ERROR"])
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _execute(client: object, code: str) -> list[dict]:
    msg_id = client.execute(code)  # type: ignore[attr-defined]
    messages = []
    while True:
        msg = client.get_iopub_msg(timeout=60)  # type: ignore[attr-defined]
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
        messages.append(msg)


def test_plot_as_last_expression_shows_one_image_in_a_real_kernel(kernel: object) -> None:
    code = (
        "import numpy as np\n"
        "from riskkit.credit import plots\n"
        "rng = np.random.default_rng(0); p = rng.uniform(size=300); y = (rng.uniform(size=300) < p).astype(int)\n"
        "plots.roc_curve(y, p, label='test')\n"
    )
    messages = _execute(kernel, code)
    errors = [m for m in messages if m["msg_type"] == "error"]
    assert not errors, errors[0]["content"]["traceback"] if errors else ""
    images = [m for m in messages if m["msg_type"] in ("execute_result", "display_data")
              and "image/png" in m["content"]["data"]]
    # exactly one: the figure is not also flushed by the inline backend at the end of the cell
    assert len(images) == 1, [m["msg_type"] for m in messages]
    assert base64.b64decode(images[0]["content"]["data"]["image/png"]).startswith(PNG_MAGIC)
    stderr = [m for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert not stderr, stderr[0]["content"]["text"]


def test_pyplot_backend_of_the_user_is_left_alone(kernel: object) -> None:
    messages = _execute(kernel, "import matplotlib; before = matplotlib.get_backend()\n"
                                "import riskkit.credit.plots, riskkit.market.plots, riskkit.grading.plots\n"
                                "print(before == matplotlib.get_backend())")
    out = "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")
    assert out.strip() == "True", out


@pytest.mark.parametrize("kernel", [""], indirect=True, ids=["default-backend"])
def test_long_loops_show_a_widget_bar_only_when_asked(kernel: object) -> None:
    """In JupyterLab a long loop's bar is a widget (tqdm.auto with ipywidgets), not red text on
    stderr; without ``progress=True`` (executed notebooks, scheduled runs) there is no output."""
    setup = ("import numpy as np, pandas as pd\n"
             "from riskkit.market import rolling_var\n"
             "r = pd.Series(np.random.default_rng(0).standard_t(5, 400) / 100,\n"
             "              index=pd.bdate_range('2020-01-01', periods=400))\n")
    call = "f = rolling_var(r, alpha=0.01, window=250, model='garch', dist='normal', refit_every=50, progress={})\n"
    quiet = _execute(kernel, setup + call.format(False))
    assert not [m for m in quiet if m["msg_type"] in ("stream", "display_data", "error")], quiet
    shown = _execute(kernel, call.format(True))
    errors = [m for m in shown if m["msg_type"] == "error"]
    assert not errors, errors[0]["content"]["traceback"] if errors else ""
    widgets = [m for m in shown if m["msg_type"] == "display_data"
               and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    assert widgets, [m["msg_type"] for m in shown]
    stderr = [m for m in shown if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert not stderr, stderr[0]["content"]["text"]
