"""Step 2 (twice, at once): a model trained on the prepared data, logged with its
validation accuracy."""

import argparse

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

import labtrack as lt

parser = argparse.ArgumentParser()
parser.add_argument("--data-run")
parser.add_argument("--model", choices=["logreg", "forest"])
parser.add_argument("--C", type=float)
args = parser.parse_args()

data = np.load(lt.MlflowClient().download_artifacts(args.data_run, "data/digits.npz"))
if args.model == "logreg":
    model = LogisticRegression(C=args.C, max_iter=500)
else:
    model = RandomForestClassifier(n_estimators=50, random_state=0)
lt.log_metric("val_accuracy", cross_val_score(model, data["X_train"], data["y_train"], cv=3).mean())
model.fit(data["X_train"], data["y_train"])
lt.sklearn.log_model(model, "model")
