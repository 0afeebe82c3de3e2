"""The hidden-test protocol: what an instructor writes between the HIDDEN TESTS markers.

A hidden test is a function of one argument, `t`, decorated with `@hidden`:

    ### BEGIN HIDDEN TESTS
    from autograder.harness import hidden

    @hidden
    def test(t):
        x = t.rng.uniform(-2, 2, size=(3, 3))             # per-student inputs
        t.call("central_difference", np.sin, x, h=1e-2, rtol=1e-10)
        t.call("product_rule", np.sin, np.cos, np.exp, np.exp, then=lambda d: d(x))
        t.mistake("central_difference", lambda f, x, h=1e-5: (f(x + h) - f(x)) / h,
                  "That is the forward difference; step to both sides.")
    ### END HIDDEN TESTS

The same function runs twice, with the same seed:
* in the student's sandboxed kernel, where `t.call` calls the *student's* function and the
  outcomes (values or raised exceptions) leave the kernel as plain data; and
* in the grader, where `t.call` calls the *instructor's* function from the source notebook and
  records the expected outcome, the tolerances and the registered mistakes.
Verdicts are reached only in the grader (autograder.verdict). Nothing the student's code does
to numpy, builtins or this module inside the kernel can change a verdict: at worst it spoils
its own outputs.

This file must stay self-contained (standard library and numpy only): the grader sends its
source text into the sandbox, where the autograder package is not installed.
"""
import base64
import contextvars
import json

MIME = "application/vnd.mvcalc.autograder+json"
MAX_PAYLOAD = 2_000_000  # bytes of encoded outcomes one hidden test may hand out

# "standalone" when the source notebook runs in Jupyter; the grader's copy of this module
# in the kernel sets "student"; the grader itself uses `collecting()`.
MODE = "standalone"
SEED = 0
_COLLECTOR = contextvars.ContextVar("autograder_collector", default=None)


class Case:
    """One call of a student's function: what was called, how to judge it, what came back."""

    def __init__(self, label, spec, name=None):
        self.label = label
        self.name = name          # the function called
        self.spec = spec          # rtol, atol, check, weight: read only by the grader
        self.outcome = None       # "returned" | "raised" | "interrupted" | "not run"
        self.value = None
        self.error_type = None
        self.error_message = None


class Tester:
    """The `t` a hidden test receives."""

    def __init__(self, namespace, seed):
        import numpy as np
        self.rng = np.random.default_rng(seed)
        self.namespace = namespace
        self.cases = []
        self.mistakes = []
        self._labels = {}
        self._stopped = None

    def label(self, obj, text):
        """Name an input (a function, a big array) in feedback: `t.label(f, "x**2 + sin x")`."""
        self._labels[id(obj)] = text
        return obj

    def call(self, name, *args, then=None, label=None, rtol=1e-7, atol=1e-12, check=None,
             weight=1.0, **kwargs):
        """Call the function `name` with the arguments; `then(result)` post-processes the result
        inside the kernel (e.g. evaluates a returned function). `check(got, expected, case)`
        replaces the default comparison (approximate equality, shapes and types included) and
        returns True/False or (passed, message)."""
        case = Case(label or self._describe(name, args, kwargs),
                    {"rtol": rtol, "atol": atol, "check": check, "weight": float(weight)}, name)
        self.cases.append(case)
        if self._stopped:
            case.outcome, case.error_message = "not run", self._stopped
            return case
        try:
            function = self.namespace[name]
        except KeyError:
            case.outcome, case.error_type = "raised", "NameError"
            case.error_message = f"name '{name}' is not defined"
            return case
        try:
            result = function(*args, **kwargs)
            case.value = then(result) if then is not None else result
            case.outcome = "returned"
        except KeyboardInterrupt:
            case.outcome, case.error_message = "interrupted", "stopped by the time limit"
            self._stopped = "not run: an earlier case hit the time limit"
        except BaseException as error:  # SystemExit included: a test must never end the kernel
            case.outcome, case.error_type = "raised", type(error).__name__
            case.error_message = str(error)[:300]
        return case

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


def hidden(test):
    """Decorator that runs a hidden test in whichever of the three places it finds itself."""
    collector = _COLLECTOR.get()
    if collector is not None:           # in the grader: record expectations
        tester = Tester(test.__globals__, collector["seed"])
        test(tester)
        collector["testers"].append(tester)
    elif MODE == "student":             # in the sandboxed kernel: hand outcomes out
        tester = Tester(test.__globals__, SEED)
        try:
            test(tester)
        finally:
            _publish(tester)
    else:                               # the instructor running the source notebook
        from autograder.verdict import self_check
        self_check(test)
    return test


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


# --- plain-data encoding of outcomes (kernel side) and decoding (grader side) ---------------

def encode(value, depth=0):
    import numpy as np
    if depth > 20:
        return {"__unserializable__": "too deeply nested"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {"__int__": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return {"__float__": repr(float(value))}
    if isinstance(value, (complex, np.complexfloating)):
        return {"__complex__": [repr(value.real), repr(value.imag)]}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            data = np.ascontiguousarray(value).reshape(value.shape)  # ascontiguousarray makes 0-d 1-d
            return {"__ndarray__": base64.b64encode(data.tobytes()).decode(),
                    "dtype": data.dtype.str, "shape": list(data.shape)}
        return {"__ndarray_object__": [encode(v, depth + 1) for v in value.ravel().tolist()],
                "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return {"__list__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if callable(value):
        return {"__unserializable__": "a function"}
    return {"__unserializable__": f"an object of type {type(value).__name__}"}


def decode(value):
    import numpy as np
    if not isinstance(value, dict):
        return value
    if "__int__" in value:
        return int(value["__int__"])
    if "__float__" in value:
        return float(value["__float__"])
    if "__complex__" in value:
        return complex(float(value["__complex__"][0]), float(value["__complex__"][1]))
    if "__ndarray__" in value:
        raw = base64.b64decode(value["__ndarray__"])
        return np.frombuffer(raw, dtype=np.dtype(value["dtype"])).reshape(value["shape"]).copy()
    if "__ndarray_object__" in value:
        items = [decode(v) for v in value["__ndarray_object__"]]
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(value["shape"])
    if "__list__" in value:
        return [decode(v) for v in value["__list__"]]
    if "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {decode(k): decode(v) for k, v in value["__dict__"]}
    if "__unserializable__" in value:
        return Unserializable(value["__unserializable__"])
    raise ValueError("unknown encoded value")


class Unserializable:
    """Stands for a result that could not leave the kernel as data (a function, an object)."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<{self.what}>"


def record(case):
    """A Case as the plain data that leaves the kernel."""
    data = {"label": case.label, "outcome": case.outcome,
            "error_type": case.error_type, "error_message": case.error_message}
    if case.outcome == "returned":
        data["value"] = encode(case.value)
    return data


def outcomes(tester):
    return [record(case) for case in tester.cases]


def _publish(tester):
    payload = {"cases": outcomes(tester)}
    if len(json.dumps(payload)) > MAX_PAYLOAD:
        payload = {"cases": [], "error": "the results were too large to hand out"}
    from IPython.display import display
    display({MIME: payload}, raw=True)
