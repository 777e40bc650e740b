"""Step 1: the 8x8 digits, split into train and test, saved as this run's artifact."""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import labtrack as lt

parser = argparse.ArgumentParser()
parser.add_argument("--test-size", type=float)
parser.add_argument("--seed", type=int)
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=args.test_size, random_state=args.seed, stratify=y
)
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "digits.npz"
    np.savez_compressed(path, X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test)
    lt.log_artifact(str(path), "data")
lt.log_metrics({"train_rows": len(y_train), "test_rows": len(y_test)})
