"""An entry point's command becomes a shell-free argv; parameter values cannot inject commands."""

from __future__ import annotations

import sys

from labtrack.projects.command import command_argv
from labtrack.projects.mlproject import EntryPoint


def test_values_stay_single_arguments_whatever_they_contain():
    entry = EntryPoint("main", "python train.py --lr {lr} --name {name} {data}")
    argv = command_argv(
        entry, {"lr": "1; touch pwned", "name": "$(rm -rf ~) `id` 'q' \"dq\"", "data": "a b"}
    )
    assert argv == [
        sys.executable,
        "train.py",
        "--lr",
        "1; touch pwned",
        "--name",
        "$(rm -rf ~) `id` 'q' \"dq\"",
        "a b",
    ]


def test_a_quoted_placeholder_cannot_be_closed_by_its_value():
    entry = EntryPoint("main", "python t.py --msg \"{msg}\" --n '{n}' --tag=v{n}")
    argv = command_argv(entry, {"msg": 'a" --out /tmp/evil "', "n": "1; touch pwned"})
    assert argv == [
        sys.executable,
        "t.py",
        "--msg",
        'a" --out /tmp/evil "',
        "--n",
        "1; touch pwned",
        "--tag=v1; touch pwned",
    ]
    argv = command_argv(entry, {"msg": "it's \\ {n}", "n": "'"})
    assert argv[3] == "it's \\ {n}" and argv[5] == "'"  # no second round of substitution


def test_python_is_this_interpreter_other_programs_are_left_alone():
    assert command_argv(EntryPoint("main", "python3 -c pass"), {})[0] == sys.executable
    assert command_argv(EntryPoint("main", "echo {x}"), {"x": 1.5}) == ["echo", "1.5"]
