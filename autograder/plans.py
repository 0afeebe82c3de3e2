"""What goes into the student's kernel for a hidden test, and what comes back: the grader's side of
autograder.kernel_side.

A hidden test recorded against the solution (autograder.harness) holds its calls as data. `Rounds`
sends them to the kernel as plans: one round for the plain calls and the first probe of every
game, then one round per further probe, all the games of a test batched into each, until every
game is over. It keeps the kernel's outcome records, still encoded, for the verdict.
"""
import json

from . import kernel_side
from .harness import Game

MIME = kernel_side.MIME
MAX_ROUNDS = 2000   # a safety net: each game stops itself (it has a budget of probes)
MAX_SERVED_CALLS = 200_000    # requests for served functions' values per test: far more than honest code makes

CELL = """def __autograder_hidden():
    import types
    side = types.ModuleType("autograder_kernel_side")
    exec(compile({runner!r}, "<autograder>", "exec"), side.__dict__)
    side.publish({plan!r}, get_ipython().user_ns)
__autograder_hidden()
del __autograder_hidden
"""


def find_payload(cell):
    """The outcomes a round's cell handed out (its last output of our MIME type), or None."""
    payload = None
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if MIME in data and isinstance(data[MIME], dict):
            payload = data[MIME]
    return payload


def cell_source(plan, runner):
    """The code cell that makes one round of calls in the kernel and hands out their outcomes."""
    return CELL.format(runner=runner, plan=plan)


class Rounds:
    """The calls of one hidden test, as the student's kernel makes them, round by round."""

    def __init__(self, reference):
        self.cases = reference.cases
        self.served = reference.served_functions
        self.served_calls = 0
        self.records = [None] * len(self.cases)
        self.games = {}
        self.pending = []       # [(case index, call)] of the round under way
        self.rounds = 0

    def first(self):
        """The first round's plan (JSON text), or None if the test makes no calls."""
        for index, case in enumerate(self.cases):
            if case.game is not None:
                game = Game(case)
                self.games[index] = game
                call = game.start()
                if call is None:
                    self.records[index] = game.record
                else:
                    self.pending.append((index, call))
            elif case.call is not None:
                self.pending.append((index, case.call))
        return self._plan()

    def _plan(self):
        if not self.pending or self.rounds >= MAX_ROUNDS:
            for index, _ in self.pending:
                self.records[index] = {"outcome": "not run", "error_type": None,
                                       "error_message": "not run: the game went on too long"}
            self.pending = []
            return None
        self.rounds += 1
        return json.dumps({"calls": [call for _, call in self.pending]})

    def receive(self, payload):
        """The kernel's outcomes for the round under way (its payload, or None if it handed out
        none): the next round's plan, or None when the test is over."""
        records = payload.get("records") if isinstance(payload, dict) else None
        if not isinstance(records, list):
            why = payload.get("error") if isinstance(payload, dict) and isinstance(payload.get("error"), str) \
                else None
            for index, _ in self.pending:
                self.records[index] = {"outcome": "not run", "error_type": None,
                                       "error_message": why or "the hidden tests handed out no results"}
                if index in self.games:
                    self.games[index].generator.close()
            self.pending = []
            self.problem = why
            return None
        pending, self.pending = self.pending, []
        for position, (index, _) in enumerate(pending):
            record = records[position] if position < len(records) and isinstance(records[position], dict) \
                else {"outcome": "not run", "error_type": None, "error_message": "no result came back"}
            record = {key: record[key] for key in kernel_side.RECORD_KEYS if key in record}   # nothing else passes
            game = self.games.get(index)
            if game is None:
                self.records[index] = record
                continue
            call = game.receive(record)
            if call is None:
                self.records[index] = game.record
            else:
                self.pending.append((index, call))
        return self._plan()

    problem = None

    def serve(self, prompt):
        """The answer to a served function's request from the kernel (harness.serve_request)."""
        from .harness import serve_request
        self.served_calls += 1
        if self.served_calls > MAX_SERVED_CALLS:
            return json.dumps({"error_type": "RuntimeError", "error": "too many requests for a function's value"})
        return serve_request(self.served, prompt)

    def payload(self):
        """The student's outcomes, one record per case, for autograder.verdict.judge."""
        records = [r if r is not None else {"outcome": "not run", "error_type": None,
                                            "error_message": "this case did not run"} for r in self.records]
        return {"records": records}
