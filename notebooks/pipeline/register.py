"""Step 4 (when the evaluation is good enough): the better model registered."""

import argparse

import labtrack as lt

parser = argparse.ArgumentParser()
parser.add_argument("--evaluation-run")
parser.add_argument("--name")
args = parser.parse_args()

evaluation = lt.get_run(args.evaluation_run)
version = lt.register_model(evaluation.data.tags["best_model_uri"], args.name)
lt.set_tag("registered_version", version.version)
