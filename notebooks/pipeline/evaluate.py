"""Step 3: both models on the held-out test set; the better one's URI is recorded as the tag
best_model_uri, its accuracy as the metric accuracy."""

import argparse

import numpy as np

import labtrack as lt

parser = argparse.ArgumentParser()
parser.add_argument("--data-run")
parser.add_argument("--a")
parser.add_argument("--b")
args = parser.parse_args()

data = np.load(lt.MlflowClient().download_artifacts(args.data_run, "data/digits.npz"))
scores = {}
for label, uri in (("a", args.a), ("b", args.b)):
    model = lt.sklearn.load_model(uri)
    scores[uri] = float((model.predict(data["X_test"]) == data["y_test"]).mean())
    lt.log_metric(f"accuracy_{label}", scores[uri])
best = max(scores, key=scores.get)
lt.log_metric("accuracy", scores[best])
lt.set_tag("best_model_uri", best)
