"""Erlang C and Erlang A staffing for the 12356 hotline: pure functions, seconds everywhere.

The article behind this project says authorities will "add seats as needed" (按需增加坐席) to raise
the answer rate; these functions turn a forecast of calls into a defensible number of seats.

* **Erlang C** (M/M/n, callers wait for ever): the classic formula, computed from the Erlang B
  recurrence ``B(n) = A·B(n-1) / (n + A·B(n-1))`` so that nothing overflows up to (and well past)
  10,000 seats: no factorials, no powers.
* **Erlang A** (M/M/n+M, Palm's model: a caller hangs up after an exponential patience): the
  stationary distribution of the birth-death chain (below ``n`` seats it is the Erlang B
  distribution, so it is anchored on ``log B(n)``; above, the product of ``λ / (nμ + jθ)`` is
  summed in log space), and the service level from the tagged-caller chain solved by
  uniformisation (see :func:`answered_within`).

Definitions (the docs repeat them):

* traffic ``A = calls × AHT / interval`` in Erlangs;
* ``p_wait``: probability that an arriving caller finds every seat busy;
* ``service_level``: share of *offered* calls answered within ``target_s`` (for Erlang A callers
  who hang up count as not answered in time);
* ``asa_s``: average wait in seconds (Erlang C: over all callers; Erlang A: over all callers,
  answered or not, as ``E[queue] / λ`` by Little's law);
* ``occupancy``: carried load ÷ seats; ``abandon_rate`` (Erlang A only): share of callers who hang
  up before an answer;
* ``positions = ceil(seats / (1 - shrinkage))``: people to roster so that ``seats`` are staffed.

Sizing rule (version :data:`RULE_VERSION`): the smallest number of seats whose service level
reaches the target, whose occupancy does not pass the maximum and (Erlang A) whose abandonment does
not pass the maximum. All three improve monotonically with seats, so the search is a scan (Erlang
C) or a galloping bisection (Erlang A). References: A. K. Erlang (1917); Gans, Koole & Mandelbaum,
"Telephone call centers: tutorial, review and research prospects", M&SOM 5(2), 2003; Mandelbaum &
Zeltyn, "The M/M/n+G queue: summary of performance measures" (2005).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from minsheng.core.errors import InvalidInput

RULE_VERSION = "erlang-2026.1"

# Terms of the queue distribution smaller than e**-_LOG_TAIL relative to the largest are dropped.
_LOG_TAIL = 45.0
# Absolute guard against float fuzz when rounding seat counts up (14 / 0.7 = 20.000000000000004).
_EPS = 1e-9
_INF = math.inf
# The Erlang C scans call ``exp`` about once per sizing. A seat count fails when ``C·e^x > goal``
# with ``x = -(n - A)·t/AHT ≤ 0``; since ``e^x ≥ 1 + x``, a count with ``C·(1 + x) > goal·_SURE``
# fails for certain. Rounding in ``1 + x``, the products and ``exp`` (under an ulp each) is far
# below the 1e-12 margin where ``1 + x`` is near 1, and where it is not (``x < -1/2``) ``e^x``
# exceeds ``1 + x`` by more than 0.1. Every other count meets the exact test the scan always used,
# so the answers are those of the plain scan, bit for bit.
_SURE = 1.0 + 1e-12
_exp = math.exp
_floor = math.floor
_ceil = math.ceil
_new_tuple = tuple.__new__
# 1.0, 2.0, ... as floats: the Erlang B recurrence adds them to floats (the same sums as with ints).
_ONE_TO_LEN = 4096
_ONE_TO = tuple(float(k) for k in range(1, _ONE_TO_LEN))
# Its first n terms for the short recurrences of hotline-sized loads, ready-made (260 kB).
_SHORT = 256
_PREFIXES = tuple(_ONE_TO[:n] for n in range(_SHORT))
# ... and from 2.0 (the recurrence's first step is taken apart, see size_c).
_FROM_TWO = tuple(_ONE_TO[1:n] for n in range(_SHORT))

Model = Literal["C", "A"]


class PlanningInputError(InvalidInput):
    """A planning input broke a rule (the field and the rule are named)."""


class NonPositiveTime(PlanningInputError):
    """A duration (interval, handling time, target, patience) was zero or negative."""


class FractionOutOfRange(PlanningInputError):
    """A share (service level, shrinkage, occupancy, abandonment) was outside its range."""


class NegativeCalls(PlanningInputError):
    """A number of calls was negative or not finite."""


class InvalidSeats(PlanningInputError):
    """A number of seats was not a positive integer."""


class LoadAtOrAboveCapacity(PlanningInputError):
    """Erlang C has no steady state when the offered load is at or above the seats.

    The error carries ``stable_from_seats``: the first seat count at which the queue is stable.
    """

    def __init__(self, traffic: float, seats: int) -> None:
        stable = first_stable_seats(traffic)
        super().__init__(
            f"offered load {traffic:.4g} Erlangs is at or above {seats} seat(s): the queue grows "
            f"without bound and Erlang C has no steady state; it becomes stable from "
            f"{stable} seats",
            field="seats",
            extra={"traffic_erlangs": traffic, "stable_from_seats": stable},
        )
        self.stable_from_seats = stable


class Load(NamedTuple):
    """Calls offered in one interval and how long each takes (seconds).

    Immutable; a ``NamedTuple`` rather than a frozen dataclass because callers build one per
    sizing, and building a frozen dataclass cost as much as the sizing itself.
    """

    calls: float
    interval_s: float
    aht_s: float

    @property
    def traffic(self) -> float:
        """Offered traffic in Erlangs."""
        return self.calls * self.aht_s / self.interval_s

    @property
    def arrival_rate(self) -> float:
        """Calls per second."""
        return self.calls / self.interval_s


@dataclass(frozen=True, slots=True)
class Target:
    """What the staffing must achieve. Defaults are the 12356 planning defaults."""

    target_s: float = 30.0
    service_level: float = 0.8
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    max_abandon: float | None = None
    # Set once here, read by size_c: every field in range and no abandonment limit, so sizing
    # many loads against one target checks the target once; and the scan's goal (1 - service
    # level) with its margin (see ``_SURE``). Not part of its value.
    _plain_c: bool = field(default=False, init=False, repr=False, compare=False)
    _goal: float = field(default=0.0, init=False, repr=False, compare=False)
    _goal_hi: float = field(default=0.0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # NaN fails every comparison, so a NaN field leaves the target to validate().
        plain = (
            MIN_TIME_S <= self.target_s <= MAX_TIME_S
            and 0.0 < self.service_level < 1.0
            and 0.0 <= self.shrinkage < 1.0
            and 0.0 < self.max_occupancy <= 1.0
            and self.max_abandon is None
        )
        goal = 1.0 - self.service_level
        object.__setattr__(self, "_plain_c", plain)
        object.__setattr__(self, "_goal", goal)
        object.__setattr__(self, "_goal_hi", goal * _SURE)


@dataclass(frozen=True, slots=True)
class Performance:
    """How a given number of seats performs under a load."""

    model: Model
    seats: int
    traffic_erlangs: float
    service_level: float
    p_wait: float
    asa_s: float
    occupancy: float
    abandon_rate: float | None


class Staffing(NamedTuple):
    """The seats a load needs for a target, with the performance they give.

    An immutable record like the other results, but a ``NamedTuple``: a sizing is answered in
    about a microsecond, and building a frozen dataclass of eleven fields took longer than that.
    """

    model: Model
    seats: int
    positions: int
    service_level: float
    p_wait: float
    asa_s: float
    occupancy: float
    abandon_rate: float | None
    traffic_erlangs: float
    decided_by: str
    rule: str = RULE_VERSION

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


# --------------------------------------------------------------------------------------------
# validation


# Bounds that keep one request's work finite (docs/security.md): no planning interval, handling
# time, target or patience is longer than a week, and the Erlang A queue law is refused when it
# would need more states than MAX_QUEUE_STATES (an unbounded patience once grew that list, and
# the server, to 9 GB).
MAX_TIME_S = 7 * 86400.0
# ... and none is shorter than a millisecond: 1 / 5e-324 s is an infinite rate, and the queue
# law then takes the logarithm of 0.
MIN_TIME_S = 1e-3
MAX_QUEUE_STATES = 200_000
MAX_UNIFORMISATION_STEPS = 2_000_000
# No interval of any hotline comes near 100,000 erlangs (ten times the API's ``seats`` cap): a
# larger load (``calls=1e9`` in one second) made the Erlang C scan loop once per seat, for hours.
MAX_TRAFFIC_ERLANGS = 100_000.0


def _check_time(name: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise NonPositiveTime(
            f"{name} must be a positive number of seconds, got {value}", field=name
        )
    if value < MIN_TIME_S:
        raise NonPositiveTime(
            f"{name} must be at least {MIN_TIME_S} seconds, got {value}", field=name
        )
    if value > MAX_TIME_S:
        raise NonPositiveTime(
            f"{name} must be at most {MAX_TIME_S:.0f} seconds (one week), got {value}", field=name
        )


def _check_open_fraction(name: str, value: float) -> None:
    if not math.isfinite(value) or not 0 < value < 1:
        raise FractionOutOfRange(
            f"{name} must lie strictly between 0 and 1, got {value}", field=name
        )


def validate(load: Load, target: Target, patience_s: float | None = None) -> None:
    """Refuse inputs that have no meaning, naming the field and the rule broken."""
    if not math.isfinite(load.calls) or load.calls < 0:
        raise NegativeCalls(f"calls must be zero or more, got {load.calls}", field="calls")
    _check_time("interval_s", load.interval_s)
    _check_time("aht_s", load.aht_s)
    _check_time("target_s", target.target_s)
    _check_open_fraction("service_level", target.service_level)
    if not math.isfinite(target.shrinkage) or not 0 <= target.shrinkage < 1:
        raise FractionOutOfRange(
            f"shrinkage must lie in [0, 1), got {target.shrinkage}", field="shrinkage"
        )
    if not math.isfinite(target.max_occupancy) or not 0 < target.max_occupancy <= 1:
        raise FractionOutOfRange(
            f"max_occupancy must lie in (0, 1], got {target.max_occupancy}", field="max_occupancy"
        )
    if target.max_abandon is not None:
        _check_open_fraction("max_abandon", target.max_abandon)
    if patience_s is not None:
        _check_time("patience_s", patience_s)
    _check_traffic(load.calls * load.aht_s / load.interval_s)


def _check_traffic(traffic: float, field: str = "calls") -> None:
    if traffic > MAX_TRAFFIC_ERLANGS:
        raise PlanningInputError(
            f"the load is {traffic:.0f} erlangs (calls × aht_s / interval_s); "
            f"at most {MAX_TRAFFIC_ERLANGS:.0f} can be planned in one interval",
            field=field,
        )


# --------------------------------------------------------------------------------------------
# Erlang B and C


def first_stable_seats(traffic: float) -> int:
    """The fewest seats with a steady state under Erlang C: the first integer above the load."""
    return math.floor(traffic) + 1


def erlang_b(seats: int, traffic: float) -> float:
    """Blocking probability of ``seats`` servers offered ``traffic`` Erlangs (recurrence)."""
    b = 1.0
    for k in range(1, seats + 1):
        b = traffic * b / (k + traffic * b)
    return b


def log_erlang_b(seats: int, traffic: float) -> float:
    """``log B(seats, traffic)``, exact even where B itself underflows to zero."""
    if traffic <= 0:
        return 0.0 if seats == 0 else -math.inf
    log_a = math.log(traffic)
    log_b = 0.0
    for k in range(1, seats + 1):
        # log(k + A·B) with A·B possibly far below k: log k + log1p(A·B/k).
        ab = math.exp(log_a + log_b)
        log_b = log_a + log_b - math.log(k + ab)
    return log_b


def _c_from_b(seats: int, traffic: float, b: float) -> float:
    return seats * b / (seats - traffic * (1.0 - b))


def erlang_c(seats: int, traffic: float) -> float:
    """Probability that a caller waits (Erlang C). Refuses loads at or above the seats."""
    if seats <= traffic:
        raise LoadAtOrAboveCapacity(traffic, seats)
    return _c_from_b(seats, traffic, erlang_b(seats, traffic))


def _c_performance(seats: int, load: Load, target_s: float, c: float) -> Performance:
    a = load.traffic
    gap = seats - a
    return Performance(
        model="C",
        seats=seats,
        traffic_erlangs=a,
        service_level=1.0 - c * math.exp(-gap * target_s / load.aht_s),
        p_wait=c,
        asa_s=c * load.aht_s / gap,
        occupancy=a / seats,
        abandon_rate=None,
    )


def evaluate_c(seats: int, load: Load, target_s: float) -> Performance:
    """Erlang C performance of ``seats`` seats; refuses an unstable load with the stable count."""
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidSeats(f"seats must be a positive integer, got {seats!r}", field="seats")
    if load.calls == 0:
        return Performance("C", seats, 0.0, 1.0, 0.0, 0.0, 0.0, None)
    return _c_performance(seats, load, target_s, erlang_c(seats, load.traffic))


def _positions(seats: int, shrinkage: float) -> int:
    return math.ceil(seats / (1.0 - shrinkage) - _EPS)


def _staffing(perf: Performance, target: Target, decided_by: str) -> Staffing:
    return Staffing(
        model=perf.model,
        seats=perf.seats,
        positions=_positions(perf.seats, target.shrinkage),
        service_level=perf.service_level,
        p_wait=perf.p_wait,
        asa_s=perf.asa_s,
        occupancy=perf.occupancy,
        abandon_rate=perf.abandon_rate,
        traffic_erlangs=perf.traffic_erlangs,
        decided_by=decided_by,
    )


def _no_calls(model: Model, target: Target) -> Staffing:
    perf = Performance(model, 0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0 if model == "A" else None)
    return _staffing(perf, target, "no_calls")


def size_c(load: Load, target: Target) -> Staffing:
    """Fewest seats meeting ``target`` under Erlang C (one O(seats) pass of the recurrence).

    The hot path of every planner: the inputs are checked with one chain of comparisons (any
    doubt goes to :func:`validate`, which names the field), the scan runs on plain floats (most
    seat counts need no ``exp``: see ``_SURE``) and only the answer is built.
    Its figures are those of :func:`evaluate_c` at the answer, computed by the same expressions.
    """
    # Indexing, not unpacking: unpacking a tuple subclass goes through an iterator (3× slower).
    calls = load[0]
    interval_s = load[1]
    aht_s = load[2]
    # Any doubt goes to validate(), which names the field: a target it has not passed, a time
    # outside its bounds, and (tested on the load itself) calls that are not a positive finite
    # number, NaN or a load past MAX_TRAFFIC_ERLANGS (NaN fails every comparison).
    if (
        target._plain_c
        and MIN_TIME_S <= interval_s <= MAX_TIME_S
        and MIN_TIME_S <= aht_s <= MAX_TIME_S
    ):
        a = calls * aht_s / interval_s
        if not 0.0 < a <= MAX_TRAFFIC_ERLANGS:
            validate(load, target)
            if calls == 0:
                return _no_calls("C", target)
    else:
        validate(load, target)
        if calls == 0:
            return _no_calls("C", target)
        a = calls * aht_s / interval_s
    n = _floor(a) + 1
    forced = False
    max_occ = target.max_occupancy
    # At full occupancy ceil(a - eps) never passes the stable count: skip the division.
    if max_occ < 1.0:
        by_occupancy = _ceil(a / max_occ - _EPS)
        if by_occupancy > n:
            n = by_occupancy
            forced = True
    # The recurrence's first step from B(0) = 1 (a·1 is a, exactly), then 2.0 ... n as floats.
    b = a / (1.0 + a)
    if n < _SHORT:
        for k in _FROM_TWO[n]:
            ab = a * b
            b = ab / (k + ab)
        nf = _ONE_TO[n - 1]
    else:
        for k in _ONE_TO[1:n] if n < _ONE_TO_LEN else range(2, n + 1):
            ab = a * b
            b = ab / (k + ab)
        nf = float(n)
    # -(nf - a)·scale, as evaluate_c's exponent is written, with the sign moved onto the scale
    # (negation is exact: the same float).
    target_s = target.target_s
    neg_scale = -target_s / aht_s
    goal = target._goal
    goal_hi = target._goal_hi
    # Seat counts as floats: the same sums and products as with ints, without conversions.
    while True:
        c = nf * b / (nf - a * (1.0 - b))
        gap = nf - a
        x = gap * neg_scale
        if c * (1.0 + x) <= goal_hi:
            e = _exp(x)
            if c * e <= goal:
                break
        nf += 1.0
        ab = a * b
        b = ab / (nf + ab)
    if forced:
        forced = nf == n
    # floor of a whole float is that number, as int() would give, in a fifth of the time.
    n = _floor(nf)
    # The service level is reported by evaluate_c's expression; its exponent is usually the
    # scan's to the last bit, and then so is exp of it.
    x_report = -gap * target_s / aht_s
    shrinkage = target.shrinkage
    return _new_tuple(
        Staffing,
        (
            "C",
            n,
            n if shrinkage == 0.0 else _ceil(n / (1.0 - shrinkage) - _EPS),
            1.0 - c * (e if x_report == x else _exp(x_report)),
            c,
            c * aht_s / gap,
            a / n,
            None,
            a,
            "max_occupancy" if forced else "service_level",
            RULE_VERSION,
        ),
    )


def seats_c_many(calls: list[float], interval_s: float, aht_s: float, target: Target) -> list[int]:
    """Erlang C seat counts for many intervals sharing one handling time and target.

    The same rule as :func:`size_c` (and the same answers: tested), validated once and without
    building a result per interval: for planners sizing a directory's whole week at once.
    """
    validate(Load(0.0, interval_s, aht_s), target)
    scale = target.target_s / aht_s
    goal = 1.0 - target.service_level
    goal_hi = goal * _SURE
    max_occ = target.max_occupancy
    out: list[int] = []
    for i, c in enumerate(calls):
        if not 0.0 <= c < _INF:
            raise NegativeCalls(f"calls[{i}] must be zero or more, got {c}", field=f"calls[{i}]")
        if c == 0:
            out.append(0)
            continue
        a = c * aht_s / interval_s
        if a > MAX_TRAFFIC_ERLANGS:
            _check_traffic(a, f"calls[{i}]")
        n = max(_floor(a) + 1, _ceil(a / max_occ - _EPS))
        b = 1.0
        for k in (
            _PREFIXES[n] if n < _SHORT else _ONE_TO[:n] if n < _ONE_TO_LEN else range(1, n + 1)
        ):
            ab = a * b
            b = ab / (k + ab)
        nf = float(n)
        while True:
            p = nf * b / (nf - a * (1.0 - b))
            x = -(nf - a) * scale
            if p * (1.0 + x) <= goal_hi and p * _exp(x) <= goal:
                break
            nf += 1.0
            ab = a * b
            b = ab / (nf + ab)
        out.append(int(nf))
    return out


# --------------------------------------------------------------------------------------------
# Erlang A


@dataclass(frozen=True, slots=True)
class _QueueDistribution:
    """Stationary law of M/M/n+M: mass below ``n`` busy seats, and each queue length ``j ≥ 0``."""

    below: float  # P(fewer than n callers in the system)
    queue: list[float]  # queue[j] = P(n + j callers in the system)


def _queue_distribution(seats: int, lam: float, mu: float, theta: float) -> _QueueDistribution:
    a = lam / mu
    # log of the unnormalised masses, relative to pi_n = 1: everything up to n is 1/B(n, A).
    log_upto_n = -log_erlang_b(seats, a)
    log_q = [0.0]
    peak = max(log_upto_n, 0.0)
    j = 0
    while True:
        j += 1
        if j > MAX_QUEUE_STATES:
            raise PlanningInputError(
                f"the queue this load builds is longer than {MAX_QUEUE_STATES} callers before "
                "patience thins it; add seats or shorten patience_s",
                field="patience_s",
            )
        ratio = lam / (seats * mu + j * theta)
        nxt = log_q[-1] + math.log(ratio)
        log_q.append(nxt)
        peak = max(peak, nxt)
        if ratio < 1.0 and nxt < peak - _LOG_TAIL:
            break
    upto_n = math.exp(log_upto_n - peak)
    q = [math.exp(x - peak) for x in log_q]
    total = upto_n + sum(q[1:])  # q[0] (= pi_n) is already inside upto_n
    queue = [x / total for x in q]
    return _QueueDistribution(below=max(0.0, 1.0 - sum(queue)), queue=queue)


def answered_within(
    seats: int, mu: float, theta: float, target_s: float, start: list[float]
) -> float:
    """Probability that a waiting caller is answered within ``target_s``.

    ``start[j]`` is the (possibly unnormalised) probability that the caller arrives with ``j``
    callers ahead. The tagged caller's position falls at rate ``n·μ + j·θ`` (a seat frees up or
    someone ahead hangs up); from position 0 a seat takes them at rate ``n·μ``; at every moment
    they hang up themselves at rate ``θ``. That absorbing chain is solved by uniformisation: the
    Poisson weights are taken in log space so long horizons do not underflow.
    """
    size = len(start)
    if size == 0 or target_s <= 0:
        return 0.0
    advance = [seats * mu + j * theta for j in range(size)]
    rate = advance[-1] + theta
    step = [x / rate for x in advance]
    stay = [1.0 - (x + theta) / rate for x in advance]
    x = rate * target_s
    log_x = math.log(x)
    steps = int(x + 10.0 * math.sqrt(x) + 50)
    if steps * size > MAX_UNIFORMISATION_STEPS:
        raise PlanningInputError(
            "answering within target_s needs too many steps to compute for this many seats; "
            "shorten target_s",
            field="target_s",
        )
    dist = list(start)
    served = 0.0
    result = 0.0
    for k in range(1, steps + 1):
        served += dist[0] * step[0]
        nxt = [dist[j] * stay[j] + dist[j + 1] * step[j + 1] for j in range(size - 1)]
        nxt.append(dist[-1] * stay[-1])
        dist = nxt
        weight = math.exp(-x + k * log_x - math.lgamma(k + 1))
        result += weight * served
    return result


def evaluate_a(seats: int, load: Load, target_s: float, patience_s: float) -> Performance:
    """Erlang A performance of ``seats`` seats; stable at any load, since callers hang up."""
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidSeats(f"seats must be a positive integer, got {seats!r}", field="seats")
    if load.calls == 0:
        return Performance("A", seats, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    lam = load.arrival_rate
    mu = 1.0 / load.aht_s
    theta = 1.0 / patience_s
    dist = _queue_distribution(seats, lam, mu, theta)
    p_wait = sum(dist.queue)
    mean_queue = sum(j * p for j, p in enumerate(dist.queue))
    abandon = min(1.0, theta * mean_queue / lam)
    # Drop start states too rare to matter; the uniformisation cost grows with their number.
    cut = len(dist.queue)
    while cut > 1 and dist.queue[cut - 1] < 1e-14:
        cut -= 1
    delayed_ok = answered_within(seats, mu, theta, target_s, dist.queue[:cut])
    return Performance(
        model="A",
        seats=seats,
        traffic_erlangs=load.traffic,
        service_level=min(1.0, dist.below + delayed_ok),
        p_wait=p_wait,
        asa_s=mean_queue / lam,
        occupancy=lam * (1.0 - abandon) * load.aht_s / seats,
        abandon_rate=abandon,
    )


def meets(perf: Performance, target: Target) -> bool:
    """Whether a performance reaches every part of a target."""
    return (
        perf.service_level >= target.service_level
        and perf.occupancy <= target.max_occupancy + _EPS
        and (target.max_abandon is None or (perf.abandon_rate or 0.0) <= target.max_abandon)
    )


def _decided_by_a(perf: Performance, below: Performance | None, target: Target) -> str:
    if below is None:
        return "service_level"
    if below.service_level < target.service_level:
        return "service_level"
    if target.max_abandon is not None and (below.abandon_rate or 0.0) > target.max_abandon:
        return "max_abandon"
    return "max_occupancy"


def size_a(load: Load, target: Target, patience_s: float) -> Staffing:
    """Fewest seats meeting ``target`` under Erlang A (galloping search, then bisection)."""
    validate(load, target, patience_s)
    if load.calls == 0:
        return _no_calls("A", target)
    cache: dict[int, Performance] = {}

    def perf(n: int) -> Performance:
        if n not in cache:
            cache[n] = evaluate_a(n, load, target.target_s, patience_s)
        return cache[n]

    # The answer lies within O(sqrt(A)) of the load, and far below it the queue (hence the cost
    # of one evaluation) is huge: gallop outwards from the load, then bisect. ``lo`` always
    # fails (0 seats answer nobody) and ``hi`` always meets the target.
    base = max(1, math.floor(load.traffic))
    step = 1
    if meets(perf(base), target):
        lo, hi = 0, base
        while base - step >= 1:
            if not meets(perf(base - step), target):
                lo = base - step
                break
            hi = base - step
            step *= 2
    else:
        lo = base
        while not meets(perf(base + step), target):
            lo = base + step
            step *= 2
        hi = base + step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(perf(mid), target):
            hi = mid
        else:
            lo = mid
    below = perf(hi - 1) if hi > 1 else None
    return _staffing(perf(hi), target, _decided_by_a(perf(hi), below, target))


# --------------------------------------------------------------------------------------------
# one entry point for the CLI, the API and the planner


def staff(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    target_s: float,
    service_level: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
    patience_s: float | None = None,
    max_abandon: float | None = None,
) -> Staffing:
    """Seats for one interval: Erlang A when a patience is given, else Erlang C."""
    load = Load(calls=calls, interval_s=interval_s, aht_s=aht_s)
    target = Target(
        target_s=target_s,
        service_level=service_level,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
        max_abandon=max_abandon,
    )
    if patience_s is None:
        if max_abandon is not None:
            raise PlanningInputError(
                "max_abandon needs a patience: Erlang C has no abandonment", field="max_abandon"
            )
        return size_c(load, target)
    return size_a(load, target, patience_s)


def evaluate(
    *,
    seats: int,
    calls: float,
    interval_s: float,
    aht_s: float,
    target_s: float,
    patience_s: float | None = None,
) -> Performance:
    """Performance of a given number of seats (Erlang A with a patience, else Erlang C)."""
    load = Load(calls=calls, interval_s=interval_s, aht_s=aht_s)
    validate(load, Target(target_s=target_s), patience_s)
    if patience_s is None:
        return evaluate_c(seats, load, target_s)
    return evaluate_a(seats, load, target_s, patience_s)


def answer(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    target_s: float,
    service_level: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
    patience_s: float | None = None,
    max_abandon: float | None = None,
    seats: int | None = None,
) -> tuple[Staffing, dict[str, Any]]:
    """The sizing of one interval as the CLI and the API print it, and optionally how ``seats``
    seats perform against the same target (``evaluated``)."""
    result = staff(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target_s=target_s,
        service_level=service_level,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience_s=patience_s,
        max_abandon=max_abandon,
    )
    out = result.to_dict()
    if seats is not None:
        perf = evaluate(
            seats=seats,
            calls=calls,
            interval_s=interval_s,
            aht_s=aht_s,
            target_s=target_s,
            patience_s=patience_s,
        )
        target = Target(
            target_s=target_s,
            service_level=service_level,
            max_occupancy=max_occupancy,
            max_abandon=max_abandon,
        )
        out["evaluated"] = {
            "seats": perf.seats,
            "service_level": perf.service_level,
            "p_wait": perf.p_wait,
            "asa_s": perf.asa_s,
            "occupancy": perf.occupancy,
            "abandon_rate": perf.abandon_rate,
            "meets_target": meets(perf, target),
        }
    return result, out
