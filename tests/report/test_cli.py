"""``labtrack report``: writes the file, and says clearly what is wrong."""

from __future__ import annotations

import pytest

from labtrack.cli import main


def test_report_command_writes_the_file(sweep, tracking_uri, tmp_path, capsys, payload):
    out = tmp_path / "sweep.html"
    code = main(
        [
            "--tracking-uri",
            tracking_uri,
            "report",
            "-e",
            "sweep",
            "-o",
            str(out),
            "--filter",
            "params.optimizer = 'sgd'",
            "--metrics",
            "loss, acc",
            "--metric",
            "loss",
            "--best",
            "1",
            "--title",
            "SGD runs",
        ]
    )
    assert code == 0
    assert f"wrote {out}" in capsys.readouterr().out
    data = payload(out)
    assert data["title"] == "SGD runs"
    assert sorted(data["table"]["data"]["run_name"]) == ["a", "d"]
    assert data["metrics"] == ["loss", "acc"] and data["lower_is_better"] is True
    assert [run["run_name"] for run in data["compare"]["runs"]] == ["d"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-e", "nope"], "no experiment named 'nope'"),
        (["-e", "sweep", "--metric", "f1"], "no run logs 'f1'"),
        (["-e", "sweep", "--filter", "metrics.acc >"], "filter"),
    ],
)
def test_report_command_errors(sweep, tracking_uri, tmp_path, capsys, args, message):
    out = tmp_path / "r.html"
    assert main(["--tracking-uri", tracking_uri, "report", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("labtrack: error:") and message in err
    assert not out.exists()


def test_report_command_needs_an_experiment(capsys):
    with pytest.raises(SystemExit):
        main(["report"])
    assert "--experiment" in capsys.readouterr().err
