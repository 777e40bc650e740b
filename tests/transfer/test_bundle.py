"""Bundles: a run or an experiment as one zip, imported into another store with ids, every
point and the artifacts' bytes; importing twice copies nothing; a corrupt zip is refused by
name and leaves the destination unchanged."""

from __future__ import annotations

import zipfile

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.transfer import TransferError, export_bundle, import_bundle

from .helpers import fill, run_count, snapshot


@pytest.fixture
def source(tmp_path):
    uri = f"sqlite:///{tmp_path / 'source' / 'labtrack.db'}"
    return uri, fill(lt.Client(uri))


def test_an_experiment_bundle_imports_whole_once(source, tmp_path, tracking_uri):
    src, ids = source
    bundle = tmp_path / "vision.zip"
    assert export_bundle(bundle, src, experiments=["vision"]) == 2
    report = import_bundle(bundle, tracking_uri)
    assert report.runs_copied == 2
    assert snapshot(lt.Client(tracking_uri), registry=False) == snapshot(
        lt.Client(src), registry=False
    )
    assert import_bundle(bundle, tracking_uri).copied_nothing


def test_the_cli_bundles_one_run_and_imports_it(source, tmp_path, tracking_uri, capsys):
    src, ids = source
    bundle = tmp_path / "one.zip"
    assert main(["--tracking-uri", src, "export", "--bundle", str(bundle), "--run", ids[0]]) == 0
    assert main(["--tracking-uri", tracking_uri, "import", str(bundle)]) == 0
    assert "1 runs copied" in capsys.readouterr().out
    client = lt.Client(tracking_uri)
    run = client.get_run(ids[0])
    assert run.data.params == {"lr": "0.1", "layers": "3"}
    assert len(client.get_metric_history(ids[0], "loss")) == 32
    assert client.download_artifacts(ids[0], "notes/hello.txt").endswith("hello.txt")


def test_a_corrupt_bundle_is_refused_by_name_and_nothing_is_imported(
    source, tmp_path, tracking_uri, capsys
):
    src, _ = source
    bundle = tmp_path / "vision.zip"
    export_bundle(bundle, src, experiments=["vision"])
    # Damage the bytes of one artifact, stored after the first run's: the manifest still reads.
    with zipfile.ZipFile(bundle) as archive:
        member = archive.getinfo(
            sorted(n for n in archive.namelist() if n.startswith("artifacts/"))[-1]
        )
    data = bytearray(bundle.read_bytes())
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    data[start : start + 4] = bytes(b ^ 0xFF for b in data[start : start + 4])
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    with pytest.raises(TransferError, match=f"{broken} is corrupt"):
        import_bundle(broken, tracking_uri)
    assert run_count(lt.Client(tracking_uri)) == 0
    assert lt.Client(tracking_uri).get_experiment_by_name("vision") is None

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(bundle.read_bytes()[:100])
    assert main(["--tracking-uri", tracking_uri, "import", str(truncated)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"labtrack: error: {truncated} is not a zip file (a labtrack bundle)")
    assert run_count(lt.Client(tracking_uri)) == 0


def test_a_zip_that_is_no_bundle_is_refused(tmp_path, tracking_uri):
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("cat.jpg", b"\xff\xd8")
    with pytest.raises(
        TransferError, match="is not a usable labtrack bundle: it has no manifest.json"
    ):
        import_bundle(other, tracking_uri)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("artifact", "../../outside.txt", "must be relative and stay inside"),
        ("run_id", "../../outside", "a run id is 1 to 32 letters"),
        ("status", "DONE", "unknown run status"),
    ],
)
def test_a_bundle_that_would_write_outside_or_garble_a_run_imports_nothing(
    source, tmp_path, tracking_uri, field, value, says
):
    """Checked when the bundle is opened: such a run is refused before any run is written."""
    import json

    src, ids = source
    bundle = tmp_path / "vision.zip"
    export_bundle(bundle, src, experiments=["vision"])
    with zipfile.ZipFile(bundle) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    run = manifest["runs"][-1]  # the last run: the first would be copied before a late check
    if field == "artifact":
        run["artifacts"].append(value)
        members[f"artifacts/{run['info']['run_id']}/{value}"] = b"x"
    else:
        run["info"][field] = value
    members["manifest.json"] = json.dumps(manifest).encode()
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    with pytest.raises(TransferError, match=says):
        import_bundle(tampered, tracking_uri)
    assert run_count(lt.Client(tracking_uri)) == 0
    assert not (tmp_path / "outside.txt").exists()
