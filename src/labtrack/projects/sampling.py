"""Which parameter values a sweep tries: every combination of a grid, random draws from
ranges and choices, or Optuna's TPE sampler asking for the next trial as results come in.

A range is written ``uniform:LOW:HIGH``, ``loguniform:LOW:HIGH`` or ``int:LOW:HIGH`` (both
ends included), a set of values ``choice:A,B,C`` or simply ``A,B,C``; any other value is
fixed. On the command line: ``-P lr=loguniform:1e-4:1e-1 -P layers=1,2,3``.

Every sampler hands out points with ``ask()`` (``None`` once it has given them all) and
hears how each went with ``tell()``; only Optuna's uses what it hears.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.projects.parameters import expand_grid, swept_names

SAMPLERS = ("grid", "random", "optuna")
# How a point of a sweep ended, as a sampler hears it.
FINISHED, STOPPED, FAILED = "finished", "stopped", "failed"


@dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from [low, high] (on a log scale when ``log``)."""

    low: float
    high: float
    log: bool = False

    def draw(self, rng: random.Random) -> float:
        """One value, drawn with ``rng``."""
        if self.log:
            return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return rng.uniform(self.low, self.high)

    def bounds(self) -> list[Any]:
        """The extreme values (every option of a choice): what a type check must accept."""
        return [self.low, self.high]


@dataclass(frozen=True)
class IntUniform:
    """An integer drawn uniformly from low..high, both included."""

    low: int
    high: int

    def draw(self, rng: random.Random) -> int:
        """One value, drawn with ``rng``."""
        return rng.randint(self.low, self.high)

    def bounds(self) -> list[Any]:
        """The extreme values (every option of a choice): what a type check must accept."""
        return [self.low, self.high]


@dataclass(frozen=True)
class Choice:
    """One of ``options``, each as likely."""

    options: tuple[Any, ...]

    def draw(self, rng: random.Random) -> Any:
        """One value, drawn with ``rng``."""
        return rng.choice(self.options)

    def bounds(self) -> list[Any]:
        """The extreme values (every option of a choice): what a type check must accept."""
        return list(self.options)


Distribution = Uniform | IntUniform | Choice


def parse_distribution(name: str, text: str) -> Distribution | None:
    """``uniform:0:1``, ``loguniform:1e-4:1e-1``, ``int:1:8`` or ``choice:a,b`` as a
    distribution; ``None`` for any other text (a fixed value)."""
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in ("uniform", "loguniform", "int", "choice"):
        return None
    if kind == "choice":
        options = tuple(part.strip() for part in rest.split(",") if part.strip())
        if not options:
            raise InvalidParameter(f"parameter {name!r}: choice: needs at least one value")
        return Choice(options)
    parts = rest.split(":")
    number = int if kind == "int" else float
    try:
        low, high = (number(part.strip()) for part in parts)
    except ValueError:
        raise InvalidParameter(
            f"parameter {name!r}: {kind}: takes two {number.__name__} bounds LOW:HIGH, got {text!r}"
        ) from None
    return _checked(
        name, IntUniform(low, high) if kind == "int" else Uniform(low, high, kind[0] == "l")
    )


def _checked(name: str, distribution: Distribution) -> Distribution:
    if distribution.low > distribution.high:
        raise InvalidParameter(
            f"parameter {name!r}: the low end {distribution.low} is above the high end "
            f"{distribution.high}"
        )
    if isinstance(distribution, Uniform) and distribution.log and distribution.low <= 0:
        raise InvalidParameter(
            f"parameter {name!r}: loguniform needs a positive low end, got {distribution.low}"
        )
    return distribution


def search_space(given: Mapping[str, Any]) -> tuple[dict[str, Distribution], dict[str, Any]]:
    """``given`` split into what is drawn and what is fixed. A list (or tuple) is a choice,
    a distribution or a string that reads as one is drawn, anything else is fixed."""
    space: dict[str, Distribution] = {}
    fixed: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, (Uniform, IntUniform, Choice)):
            space[name] = _checked(name, value) if not isinstance(value, Choice) else value
        elif isinstance(value, (list, tuple)):
            if not value:
                raise InvalidParameter(f"parameter {name!r} has no values to choose from")
            space[name] = Choice(tuple(value))
        elif isinstance(value, str) and (parsed := parse_distribution(name, value)) is not None:
            space[name] = parsed
        else:
            fixed[name] = value
    if not space:
        raise InvalidParameter(
            "a random or optuna sweep needs a parameter to draw: a range such as "
            "lr=loguniform:1e-4:1e-1, or values such as layers=1,2,3"
        )
    return space, fixed


def corner_points(space: Mapping[str, Distribution], fixed: Mapping[str, Any]) -> list[dict]:
    """Points that use every bound and every choice of ``space``: checking them checks the
    types of any draw before anything runs."""
    return expand_grid({**fixed, **{name: d.bounds() for name, d in space.items()}})


def point_label(values: Mapping[str, Any], names: list[str]) -> str:
    """``lr=0.00123 layers=2``: the drawn values, floats to four significant digits."""
    return " ".join(
        f"{name}={values[name]:.4g}"
        if isinstance(values[name], float)
        else f"{name}={values[name]}"
        for name in names
    )


class GridSampler:
    """Every combination of ``grid`` (already validated), in order."""

    adaptive = False

    def __init__(self, grid: list[dict[str, Any]]):
        self.points = grid
        self.swept = swept_names(grid)
        self.fixed = {k: v for k, v in grid[0].items() if k not in self.swept}
        self.size = len(grid)
        self._next = 0

    def ask(self) -> tuple[Any, dict[str, Any]] | None:
        """The next point (its index, its values), ``None`` after the last."""
        if self._next >= len(self.points):
            return None
        self._next += 1
        return self._next - 1, self.points[self._next - 1]

    def tell(self, token: Any, ended: str, value: float | None) -> None:
        """A grid does not learn."""

    def label(self, values: Mapping[str, Any]) -> str:
        """The swept values, as the child run's name shows them."""
        return " ".join(f"{name}={values[name]}" for name in self.swept)


class RandomSampler(GridSampler):
    """``trials`` points drawn from ``space`` (``seed`` makes them the same every time)."""

    def __init__(
        self,
        space: Mapping[str, Distribution],
        fixed: Mapping[str, Any],
        trials: int,
        seed: int | None = None,
    ):
        rng = random.Random(seed)
        super().__init__(
            [
                {**fixed, **{name: d.draw(rng) for name, d in space.items()}}
                for _ in range(_checked_trials(trials))
            ]
        )
        self.swept = list(space)
        self.fixed = dict(fixed)

    def label(self, values: Mapping[str, Any]) -> str:
        """The drawn values, floats to four significant digits."""
        return point_label(values, self.swept)


class OptunaSampler:
    """Optuna's TPE sampler: each ``ask`` is a new trial of one study, told its result
    (the last value of ``metric``) when its run ends; a run stopped early is a pruned trial."""

    adaptive = True

    def __init__(
        self,
        space: Mapping[str, Distribution],
        fixed: Mapping[str, Any],
        trials: int,
        *,
        maximize: bool,
        seed: int | None = None,
    ):
        try:
            import optuna
        except ImportError:
            raise InvalidParameter(
                "the optuna sampler needs Optuna: pip install 'labtrack[optuna]'"
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self.study = optuna.create_study(
            direction="maximize" if maximize else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed),
        )
        self._distributions = {name: _optuna_distribution(d) for name, d in space.items()}
        self.swept = list(space)
        self.fixed = dict(fixed)
        self.size = _checked_trials(trials)
        self._asked = 0

    def ask(self) -> tuple[Any, dict[str, Any]] | None:
        """A new trial and its values, ``None`` once ``trials`` were asked."""
        if self._asked >= self.size:
            return None
        self._asked += 1
        trial = self.study.ask(self._distributions)
        return trial, {**self.fixed, **trial.params}

    def tell(self, token: Any, ended: str, value: float | None) -> None:
        """Complete the trial with ``value``; pruned when stopped early, failed otherwise."""
        state = self._optuna.trial.TrialState
        if ended == FINISHED and value is not None and not math.isnan(value):
            self.study.tell(token, value)
        else:
            self.study.tell(token, state=state.PRUNED if ended == STOPPED else state.FAIL)

    def label(self, values: Mapping[str, Any]) -> str:
        """The drawn values, floats to four significant digits."""
        return point_label(values, self.swept)


def _optuna_distribution(distribution: Distribution):
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(distribution, Uniform):
        return FloatDistribution(distribution.low, distribution.high, log=distribution.log)
    if isinstance(distribution, IntUniform):
        return IntDistribution(distribution.low, distribution.high)
    return CategoricalDistribution(distribution.options)


def _checked_trials(trials: int | None) -> int:
    if trials is None or isinstance(trials, bool) or int(trials) < 1:
        raise InvalidParameter(f"a random or optuna sweep needs trials >= 1, got {trials!r}")
    return int(trials)
