"""An entry point's command becomes a shell-free argv; parameter values cannot inject commands."""

from __future__ import annotations

import sys

from labtrack.projects.command import command_argv
from labtrack.projects.mlproject import EntryPoint


def test_values_stay_single_arguments_whatever_they_contain():
    entry = EntryPoint("main", "python train.py --lr {lr} --name {name} {data}")
    argv = command_argv(entry, {"lr": "1; touch pwned", "name": "$(rm -rf ~) `id` 'q' \"dq\"", "data": "a b"})
    assert argv == [sys.executable, "train.py", "--lr", "1; touch pwned",
                    "--name", "$(rm -rf ~) `id` 'q' \"dq\"", "a b"]


def test_python_is_this_interpreter_other_programs_are_left_alone():
    assert command_argv(EntryPoint("main", "python3 -c pass"), {})[0] == sys.executable
    assert command_argv(EntryPoint("main", "echo {x}"), {"x": 1.5}) == ["echo", "1.5"]
