"""A sweep's children are one run group (the tag labtrack.group), named after the sweep."""

from __future__ import annotations

import pandas as pd

import labtrack as lt
from labtrack.cli import main


def test_a_sweeps_children_are_grouped_under_the_sweeps_name(tracking_uri, score_project):
    args = ["--tracking-uri", tracking_uri, "run", str(score_project), "--experiment", "swept"]
    assert main([*args, "-P", "a=0.5,2", "-P", "b=1"]) == 0
    runs = lt.search_runs(experiment_names=["swept"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()].iloc[0]
    children = runs[runs["tags.mlflow.parentRunId"] == parent["run_id"]]
    assert len(children) == 2
    assert set(children["tags.labtrack.group"]) == {parent["tags.mlflow.runName"]}
    assert pd.isna(parent["tags.labtrack.group"])  # the sweep's own run is in no group
