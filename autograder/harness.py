"""The hidden-test protocol: what an instructor writes between the HIDDEN TESTS markers, recorded in
the grader.

    ### BEGIN HIDDEN TESTS
    from autograder.hidden import hidden

    @hidden
    def test(t):
        x = t.rng.uniform(-2, 2, size=(3, 3))                      # per-student inputs
        square = t.function("lambda x: x**2 + c", c=t.rng.uniform())  # source text + the data it uses
        t.call("central_difference", square, x, h=1e-2, rtol=1e-10)
        t.call("product_rule", np.sin, np.cos, np.exp, np.exp, at=[x])  # evaluate the returned function
        t.call("mean", x, returns=float)                              # the type, checked in the grader
        t.play("next_step", game, start, target, check=found)         # a game the grader drives
        t.mistake("central_difference", lambda f, x, h=1e-5: (f(x + h) - f(x)) / h,
                  "That is the forward difference; step to both sides.")
    ### END HIDDEN TESTS

The test runs only in the grader, with the student's seed: against the instructor's solution it
records each case's expected outcome, and the plan, the calls as plain data (autograder.plans),
that the student's kernel makes (autograder.kernel_side). Nothing of the test's code, its checks,
its helpers or its expected values enters the kernel; the outcomes come back as raw data and are
judged here (autograder.verdict). A call's arguments must be data: numbers, strings, arrays,
lists, tuples and dicts of them, numpy functions, and functions declared with `t.function`, whose
source and data the student may read (never give one a minimum, a root or a true parameter: play a
game instead, where the grader keeps the state and sends only the numbers of each probe).
"""
import contextvars
import json
import sys

from . import kernel_side
from .kernel_side import Unserializable, decode, encode  # noqa: F401  (the codec, for the grader)


class PlanError(ValueError):
    """A hidden test would send something into the student's kernel that is not data."""


_COLLECTOR = contextvars.ContextVar("autograder_collector", default=None)


class Case:
    """One case: what was called, how to judge it, what the instructor's code gave."""

    def __init__(self, label, spec, name=None):
        self.label = label
        self.name = name          # the student's function called
        self.spec = spec          # rtol, atol, check, weight, returns, symmetric
        self.outcome = None       # "returned" | "raised" | "interrupted" | "not run"
        self.value = None
        self.after = []           # the mutable arguments after each call (arrays, lists, dicts)
        self.error_type = None
        self.error_message = None
        self.call = None          # the call as the kernel makes it (data), for t.call
        self.game = None          # (generator function, args, kwargs) for t.play
        self.line = None          # where the hidden test made it


def _numpy_name(value):
    """'linalg.norm' for np.linalg.norm, if `value` is a numpy function reachable by that name."""
    import numpy as np
    name, module = getattr(value, "__name__", None), getattr(value, "__module__", None) or "numpy"
    if not isinstance(name, str):
        return None
    for path in ([name], [module.split(".")[-1], name]):
        target = np
        try:
            for part in path:
                target = getattr(target, part)
        except AttributeError:
            continue
        if target is value:
            return ".".join(path)
    return None


class Served:
    """Stands for a function whose values the grader serves (t.served) in a hidden test's calls."""

    def __init__(self, function, index):
        self.function, self.index = function, index
        self.__name__ = getattr(function, "__name__", "a function")

    def __call__(self, *args):
        return self.function(*args)


MAX_REQUEST = 1_000_000       # bytes of arguments one request for a served function's value may send


def serve_request(functions, prompt):
    """The answer (JSON text) to a request from kernel_side.ServedFunction: the value of
    functions[n] at the arguments sent, computed here. Whatever the kernel sent is decoded as data
    only, never code; an argument the function cannot take raises in the student's code."""
    import numpy as np
    try:
        if not isinstance(prompt, str) or not prompt.startswith(kernel_side.SERVED) or len(prompt) > MAX_REQUEST:
            raise ValueError("not a request for a function's value")
        request = json.loads(prompt[len(kernel_side.SERVED):])
        function = functions[int(request["served"])]
        args = [decode(a) for a in request["args"]]
    except Exception as error:  # noqa: BLE001  (whatever the kernel sent)
        return json.dumps({"error_type": "ValueError", "error": f"a request the grader could not read ({error})"[:200]})
    try:
        with np.errstate(all="ignore"):   # an overflowing argument gives inf, as the function would there
            return json.dumps({"value": encode(function(*args))})
    except Exception as error:  # noqa: BLE001  (the student's arguments did not fit the function)
        return json.dumps({"error_type": type(error).__name__, "error": str(error)[:300]})


def plan_value(value, where, depth=0):
    """An argument as the data that goes into the kernel; PlanError for anything that is not data."""
    if isinstance(value, Served):
        return {"__served__": value.index}
    if isinstance(value, kernel_side.PlanFunction):
        return {"__function__": value.source,
                "data": {k: plan_value(v, where, depth + 1) for k, v in value.data.items()}}
    kind = type(value)
    if kind in (tuple, list):
        return {f"__{kind.__name__}__": [plan_value(v, where, depth + 1) for v in value]}
    if kind is dict:
        return {"__dict__": [[plan_value(k, where, depth + 1), plan_value(v, where, depth + 1)]
                             for k, v in value.items()]}
    if callable(value):
        name = _numpy_name(value)
        if name is not None:
            return {"__numpy__": name}
        raise PlanError(f"{where} passes a Python function ({getattr(value, '__name__', type(value).__name__)}) "
                        "to the student's code. Only data may enter the kernel, where a function's code, "
                        "closure and defaults can be read: declare it with t.function(\"lambda ...\", "
                        "name=data, ...) if its data may be read, or play a game (t.play)")
    encoded = encode(value)
    if isinstance(encoded, dict) and "__unserializable__" in encoded:
        raise PlanError(f"{where} passes {encoded['__unserializable__']} to the student's code: "
                        "only numbers, strings, arrays, lists, tuples and dicts can enter the kernel")
    return encoded


class Tester:
    """The `t` a hidden test receives, in the grader."""

    def __init__(self, namespace, seed):
        import numpy as np
        self.rng = np.random.default_rng(seed)
        self.namespace = namespace
        self.cases = []
        self.mistakes = []
        self._labels = {}
        self._stopped = None
        self.served_functions = []  # the functions whose values the grader serves (t.served), by index

    def label(self, obj, text):
        """Name an input (a function, a big array) in feedback: `t.label(f, "x**2 + sin x")`."""
        self._labels[id(obj)] = text
        return obj

    def function(self, source, label=None, **data):
        """A function to pass to the student's code, as Python source (an expression, usually a
        lambda) and the data it uses by name (numbers, arrays, other t.function's); numpy is `np`.
        The student can read all of it, as they could read any function they are given."""
        function = kernel_side.PlanFunction(source, data)
        body = source.split(":", 1)[1] if source.lstrip().startswith("lambda") and ":" in source else source
        self._labels[id(function)] = label or " ".join(body.split())
        return function

    def serve(self, prompt):
        """Served functions' values for the calls made here, through the same requests as the kernel's."""
        return serve_request(self.served_functions, prompt)

    def served(self, function, label=None):
        """A function to pass to the student's code whose definition stays in the grader (it would give
        the answer away: a landscape's minimum, a true parameter): the student's code calls it as any
        function, and each call sends only its arguments to the grader, which sends back the value."""
        wrapped = Served(function, len(self.served_functions))
        self.served_functions.append(function)
        if label:
            self._labels[id(wrapped)] = label
        return wrapped

    @staticmethod
    def _where():
        """The line of the hidden test that called t.call or t.play."""
        frame = sys._getframe(2)
        return frame.f_lineno if frame is not None else None

    def call(self, name, *args, label=None, rtol=1e-7, atol=1e-12, check=None, weight=1.0, returns=None,
             symmetric=False, at=None, also=None, then=None, **kwargs):
        """One case: call the student's `name` with these arguments. The grader judges the result:
        approximate equality with the instructor's (rtol, atol), its type (`returns=float`), that it is
        exactly symmetric (`symmetric=True`), that no array argument was changed in place; or
        `check(got, expected, case)` -> True/False or (passed, message). `at=[points]`: the result is a
        function, evaluated at each point (the value is the list). `also=[args, ...]`: call again with
        these argument tuples; the value is the list of all results (`returns=` is then each one's type)."""
        line = self._where()
        where = f"t.call({name!r}, ...) on line {line} of the hidden test" if line else f"t.call({name!r}, ...)"
        if then is not None:
            raise PlanError(f"{where} uses then=, which would run in the student's kernel: use at=[points] "
                            "to evaluate a returned function, also=[...] for more calls, returns= for a type, "
                            "symmetric=True, or check= (run in the grader)")
        spec = {"rtol": rtol, "atol": atol, "check": check, "weight": float(weight), "returns": returns,
                "symmetric": bool(symmetric)}
        case = Case(label or self._describe(name, args, kwargs), spec, name)
        case.line = line
        call = {"name": name, "args": [plan_value(a, where) for a in args],
                "kwargs": {k: plan_value(v, where) for k, v in kwargs.items()}}
        if at is not None:
            call["at"] = [plan_value(p, where) for p in at]
        if also is not None:
            call["also"] = [[[plan_value(a, where) for a in more], {}] for more in also]
        case.call = call
        self.cases.append(case)
        self._run(case, [call])
        return case

    def play(self, name, game, *args, label=None, rtol=1e-7, atol=1e-12, check=None, weight=1.0, **kwargs):
        """One case the grader drives: `game(*args, **kwargs)` is a generator that keeps its state here
        and yields the arguments (a tuple) of each call of the student's `name`, receiving its result;
        what it returns is the case's value. Only the yielded numbers reach the student's kernel; a
        call that raises ends the game with that outcome."""
        case = Case(label or f"{name} played in {getattr(game, '__name__', 'a game')}",
                    {"rtol": rtol, "atol": atol, "check": check, "weight": float(weight), "returns": None,
                     "symmetric": False}, name)
        case.line = self._where()
        case.game = (game, args, kwargs)
        self.cases.append(case)
        if self._stopped:
            case.outcome, case.error_message = "not run", self._stopped
            return case
        function = self.namespace.get(name)
        if function is None:
            case.outcome, case.error_type, case.error_message = "raised", "NameError", f"name '{name}' is not defined"
            return case
        player = Game(case)
        call = player.start()
        while call is not None:
            call = player.receive(kernel_side.make_call(function, call, self.serve))
        player.finish(case)
        return case

    def _run(self, case, calls):
        if self._stopped:
            case.outcome, case.error_message = "not run", self._stopped
            return
        function = self.namespace.get(case.name)
        if function is None:
            case.outcome, case.error_type = "raised", "NameError"
            case.error_message = f"name '{case.name}' is not defined"
            return
        read_record(case, kernel_side.make_call(function, calls[0], self.serve))
        if case.outcome == "interrupted":
            self._stopped = "not run: an earlier case hit the time limit"

    def mistake(self, name, implementation, message):
        """Register a known mistake: if the student's outcomes match those of `implementation`
        (used in place of `name`), the feedback says `message`. Only the grader uses it."""
        self.mistakes.append((name, implementation, message))

    def _describe(self, name, args, kwargs):
        parts = [self._short(a) for a in args] + [f"{k}={self._short(v)}" for k, v in kwargs.items()]
        return f"{name}({', '.join(parts)})"

    def _short(self, value):
        if id(value) in self._labels:
            return self._labels[id(value)]
        if callable(value):
            name = getattr(value, "__name__", type(value).__name__)
            return "a function" if name == "<lambda>" else name
        shape = getattr(value, "shape", None)
        if shape is not None and len(shape) > 0:
            return f"array of shape {tuple(shape)}"
        if isinstance(value, float) or type(value).__name__.startswith("float"):
            return f"{float(value):.6g}"
        if isinstance(value, (list, tuple)):
            return f"a {type(value).__name__} of {len(value)} items"
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."


def read_record(case, record):
    """Fill a Case from an outcome record (kernel_side.make_call's), decoding strictly."""
    case.outcome = record.get("outcome")
    case.error_type, case.error_message = record.get("error_type"), record.get("error_message")
    if case.outcome == "returned":
        case.value = decode(record.get("value"))
        case.after = [[decode(v) for v in group] for group in record.get("after", [])]


GAME_ERROR = "GameError"   # the outcome of a game whose own code failed on the student's answers


class Game:
    """One play of a game (t.play), stepped by whoever makes the calls: the grader in process, or
    the rounds of calls sent to the student's kernel (autograder.plans)."""

    def __init__(self, case):
        game, args, kwargs = case.game
        self.name = case.name
        self.where = f"the game {getattr(game, '__name__', '')!s} (line {case.line})"
        self.generator = game(*args, **kwargs)
        self.record = {"outcome": "returned", "error_type": None, "error_message": None}
        self.calls = 0

    def _next(self, send):
        try:
            probe = self.generator.send(send) if send is not _START else next(self.generator)
        except StopIteration as stop:
            self.record["value"] = encode(stop.value)
            self.record["after"] = []
            return None
        except Exception as error:  # noqa: BLE001  (the game met a step it cannot take: the student's data)
            self.record = {"outcome": "raised", "error_type": GAME_ERROR,
                           "error_message": f"the game could not go on with what {self.name} returned "
                                            f"({type(error).__name__}: {str(error)[:150]})"}
            return None
        if type(probe) is not tuple:
            probe = (probe,)
        self.calls += 1
        return {"name": self.name, "args": [plan_value(a, self.where) for a in probe], "kwargs": {}}

    def start(self):
        return self._next(_START)

    def receive(self, record):
        """The outcome of the last call: the next call to make, or None when the game is over."""
        if not isinstance(record, dict) or record.get("outcome") != "returned":
            record = record if isinstance(record, dict) else {}
            self.record = {"outcome": record.get("outcome") if record.get("outcome") in
                           ("raised", "interrupted") else "not run",
                           "error_type": record.get("error_type") if isinstance(record.get("error_type"), str) else None,
                           "error_message": str(record.get("error_message") or "")[:300] or None}
            self.generator.close()
            return None
        try:
            value = decode(record.get("value"))
        except Exception:  # noqa: BLE001  (the kernel's data: unreadable is the student's answer)
            value = Unserializable("a value that could not be read")
        return self._next(value)

    def finish(self, case):
        read_record(case, self.record)


_START = object()


class collecting:
    """`with collecting(seed) as found:` runs hidden tests in grader mode; found["testers"]."""

    def __init__(self, seed):
        self.found = {"seed": seed, "testers": []}

    def __enter__(self):
        self._token = _COLLECTOR.set(self.found)
        return self.found

    def __exit__(self, *exc):
        _COLLECTOR.reset(self._token)
        return False


def collector():
    return _COLLECTOR.get()
