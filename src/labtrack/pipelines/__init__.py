"""Pipelines: steps (notebooks or MLproject entry points) chained by what they need from each
other, run as a parent run with a child run per step, with caching and resume.

>>> from labtrack.pipelines import load_pipeline, run_pipeline   # doctest: +SKIP
>>> result = run_pipeline("pipeline.yaml", {"rows": 500}, executor="dask")
>>> resume_pipeline(result.parent_run_id)                        # after a failed step

Modules: ``expressions`` (references and conditions, a small grammar, never ``eval``),
``spec`` (the file, checked with line numbers), ``run`` (the execution).
"""

from labtrack.pipelines.run import PipelineResult, StepResult, resume_pipeline, run_pipeline
from labtrack.pipelines.spec import Pipeline, Step, load_pipeline

__all__ = [
    "Pipeline",
    "PipelineResult",
    "Step",
    "StepResult",
    "load_pipeline",
    "resume_pipeline",
    "run_pipeline",
]
