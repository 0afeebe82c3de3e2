"""The only grading code that runs in the student's kernel: make the calls a plan names, hand the
outcomes out as raw data.

A plan is data the grader built (autograder.harness): for each call, the name of the student's
function, its arguments (numbers, strings, arrays as dtype + shape + bytes, and functions given as
source text with the data they use), and how to read the result (evaluate a returned function at
points, call again with other arguments). Nothing in it is an expected value, a tolerance or a
check, and nothing that comes back is a judgement: the kernel reports what the student's functions
returned or raised and the state of each mutable argument after the call, and the grader decides.

The student's code runs in the same process and can read or replace anything here; at worst it
spoils its own outcomes, which are judged as the student's answers.

This file must stay self-contained (standard library and numpy only): the grader sends its source
text into the sandbox, where the autograder package is not installed. The grader imports it too,
for the codec, so both sides encode and decode alike.
"""
import base64
import json
import math

MIME = "application/vnd.mvcalc.autograder+json"
MAX_PAYLOAD = 2_000_000  # bytes of encoded outcomes one round may hand out

def _numpy():
    import numpy as np
    return np


def _scalar_types(np):
    floats = {"float64": np.float64, "float32": np.float32, "float16": np.float16}
    ints = {name: getattr(np, name) for name in ("int8", "int16", "int32", "int64",
                                                  "uint8", "uint16", "uint32", "uint64")}
    return floats, ints


def encode(value, depth=0):
    """Plain JSON data for a value, by its exact type. Anything else (a subclass, an object array,
    an object, a function) is reported as what it is, never coerced into a number."""
    np = _numpy()
    kind = type(value)
    if depth > 20:
        return {"__unserializable__": "a value nested too deeply"}
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return {"__int__": str(value)}
    if kind is float:
        return {"__float__": float.__repr__(value), "type": "float"}
    if kind is complex:
        return {"__complex__": [float.__repr__(value.real), float.__repr__(value.imag)]}
    if kind is np.bool_:
        return {"__bool__": bool(value), "type": "bool_"}
    floats, ints = _scalar_types(np)
    for name, numpy_type in floats.items():
        if kind is numpy_type:
            return {"__float__": float.__repr__(float(value)), "type": name}
    for name, numpy_type in ints.items():
        if kind is numpy_type:
            return {"__int__": str(int(value)), "type": name}
    if kind is np.complex128:
        return {"__complex__": [float.__repr__(float(value.real)), float.__repr__(float(value.imag))]}
    if kind is np.ndarray:
        if value.dtype.kind in "biufc" and value.dtype.names is None:
            data = np.ascontiguousarray(value).reshape(value.shape)  # ascontiguousarray makes 0-d 1-d
            return {"__ndarray__": base64.b64encode(data.tobytes()).decode(),
                    "dtype": data.dtype.str, "shape": list(data.shape)}
        return {"__unserializable__": f"an array of dtype {value.dtype} (not numbers)"}
    if kind is tuple:
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if kind is list:
        return {"__list__": [encode(v, depth + 1) for v in value]}
    if kind is dict:
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, np.ndarray):
        return {"__unserializable__": f"an array of the subclass {kind.__name__!s:.60} (return a plain numpy array)"}
    if isinstance(value, (bool, int, float, complex, str, tuple, list, dict)):
        return {"__unserializable__": f"a {kind.__name__!s:.60}, a subclass of {kind.__mro__[1].__name__}"}
    if callable(value):
        return {"__unserializable__": "a function"}
    return {"__unserializable__": f"an object of type {kind.__name__!s:.60}"}


class Unserializable:
    """A result that is not data: a function, an object, a subclass of a number or an array."""

    def __init__(self, what):
        self.what = str(what)[:200]

    def __repr__(self):
        return f"<{self.what}>"


SERVED = "autograder-served:"   # the prompt of a request for a served function's value


class ServedFunction:
    """A function the grader evaluates: its definition (which could give the answer away) stays in
    the grader, and each call sends only the arguments, through the kernel's stdin channel."""
    ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, FloatingPointError, OverflowError)

    def __init__(self, index, serve=None):
        self.index, self.serve = index, serve   # serve: how a request reaches the grader (else input())
        self.__name__ = "a function"

    def __call__(self, *args):
        request = json.dumps({"served": self.index, "args": [encode(a) for a in args]})
        reply = json.loads((self.serve or input)(SERVED + request))
        if "value" in reply:
            return decode(reply["value"])
        error = {e.__name__: e for e in self.ERRORS}.get(reply.get("error_type"), RuntimeError)
        raise error(str(reply.get("error", "the function could not be evaluated"))[:300])


class PlanFunction:
    """A function the grader passes to the student's code: its source text and the data it uses.
    The same class is built in the grader (autograder.harness) and in the kernel."""

    def __init__(self, source, data=None):
        self.source = source
        self.data = dict(data or {})
        namespace = {"np": _numpy(), "math": math}
        namespace.update(self.data)
        self._function = eval(compile(source, "<function given to your code>", "eval"), namespace)
        self.__name__ = "a function"

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)


def decode(value, plan=False, serve=None):
    """The value `encode` describes: exact types back (numpy scalars as numpy scalars), strictly.
    Plans (plan=True: only the kernel decodes those, from the grader) also carry functions:
    {"__function__": source, "data": ...}, {"__numpy__": "sin"} and {"__served__": n}. The grader
    decodes what the kernel sends with plan=False: data only, never code."""
    np = _numpy()
    if not isinstance(value, dict):
        if value is None or type(value) in (bool, str):
            return value
        raise ValueError(f"not an encoded value: {type(value).__name__}")
    floats, ints = _scalar_types(np)
    if "__int__" in value:
        number = int(str(value["__int__"]))
        return ints[value["type"]](number) if value.get("type") in ints else number
    if "__float__" in value:
        number = float(str(value["__float__"]))
        return floats[value["type"]](number) if value.get("type") in floats else number
    if "__bool__" in value:
        return np.bool_(bool(value["__bool__"]))
    if "__complex__" in value:
        real, imag = value["__complex__"]
        return complex(float(str(real)), float(str(imag)))
    if "__ndarray__" in value:
        dtype = np.dtype(str(value["dtype"]))
        if dtype.kind not in "biufc":
            raise ValueError("an array that is not numbers")
        raw = base64.b64decode(str(value["__ndarray__"]), validate=True)
        return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in value["shape"]]).copy()
    if "__list__" in value:
        return [decode(v, plan, serve) for v in value["__list__"]]
    if "__tuple__" in value:
        return tuple(decode(v, plan, serve) for v in value["__tuple__"])
    if "__dict__" in value:
        return {decode(k, plan, serve): decode(v, plan, serve) for k, v in value["__dict__"]}
    if "__unserializable__" in value:
        return Unserializable(value["__unserializable__"])
    if not plan:
        raise ValueError("not data")
    if "__function__" in value:
        return PlanFunction(str(value["__function__"]), {str(k): decode(v, plan, serve) for k, v in value["data"].items()})
    if "__served__" in value:
        return ServedFunction(int(value["__served__"]), serve)
    if "__numpy__" in value:
        target = np
        for part in str(value["__numpy__"]).split("."):
            target = getattr(target, part)
        return target
    raise ValueError("unknown encoded value")


MUTABLE = ("__ndarray__", "__list__", "__dict__")
RECORD_KEYS = ("outcome", "error_type", "error_message", "value", "after")   # all an outcome record holds


def mutable_positions(encoded_args, encoded_kwargs):
    """Which arguments could be changed in place (arrays, lists, dicts): their state after the
    call goes back to the grader."""
    positions = [i for i, a in enumerate(encoded_args) if isinstance(a, dict) and any(k in a for k in MUTABLE)]
    names = [k for k, a in encoded_kwargs.items() if isinstance(a, dict) and any(m in a for m in MUTABLE)]
    return positions, names


def make_call(function, call, serve=None):
    """One call of the plan: (outcome record). `call` has "args", "kwargs", and optionally "at"
    (points at which to evaluate a returned function) and "also" (more argument lists: the value
    is then the list of every call's result)."""
    record = {"outcome": "not run", "error_type": None, "error_message": None}
    groups = [(call["args"], call.get("kwargs", {}))] + [(a, k) for a, k in call.get("also", [])]
    values, afters = [], []
    try:
        for encoded_args, encoded_kwargs in groups:
            args = [decode(a, True, serve) for a in encoded_args]
            kwargs = {k: decode(v, True, serve) for k, v in encoded_kwargs.items()}
            result = function(*args, **kwargs)
            if "at" in call:
                result = [result(decode(point, True, serve)) for point in call["at"]]
            values.append(result)
            positions, names = mutable_positions(encoded_args, encoded_kwargs)
            afters.append([encode(args[i]) for i in positions] + [encode(kwargs[k]) for k in names])
        record["outcome"] = "returned"
        record["value"] = encode(values[0] if "also" not in call else values)
        record["after"] = afters
    except KeyboardInterrupt:
        record["outcome"], record["error_message"] = "interrupted", "stopped by the time limit"
    except BaseException as error:  # SystemExit included: a test must never end the kernel
        record["outcome"], record["error_type"] = "raised", type(error).__name__
        try:
            record["error_message"] = str(error)[:300]
        except BaseException:
            record["error_message"] = "(its message could not be read)"
    return record


def run(plan_text, namespace, serve=None):
    """Make every call of a plan (JSON text) with the functions in `namespace` (the student's
    globals); return the outcomes as plain data. `serve`: how served functions reach the grader
    (by default input(), which the grader answers on the kernel's stdin channel)."""
    plan = json.loads(plan_text)
    records, stopped = [], None
    for call in plan["calls"]:
        if stopped:
            records.append({"outcome": "not run", "error_type": None, "error_message": stopped})
            continue
        function = namespace.get(call["name"])
        if function is None:
            records.append({"outcome": "raised", "error_type": "NameError",
                            "error_message": f"name '{call['name']}' is not defined"})
            continue
        record = make_call(function, call, serve)
        if record["outcome"] == "interrupted":
            stopped = "not run: an earlier case hit the time limit"
        records.append(record)
    return {"records": records}


def publish(plan_text, namespace):
    """Run a plan and display its outcomes as one output of our MIME type."""
    payload = run(plan_text, namespace)
    if len(json.dumps(payload)) > MAX_PAYLOAD:
        payload = {"records": [], "error": "the results were too large to hand out"}
    from IPython.display import display
    display({MIME: payload}, raw=True)
