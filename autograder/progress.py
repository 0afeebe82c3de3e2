"""A small progress bar on stderr (one line per step when stderr is not a terminal)."""
import sys
import time


class Progress:
    def __init__(self, total, label="grading", stream=sys.stderr):
        self.total, self.done, self.label, self.stream = total, 0, label, stream
        self.start = time.monotonic()
        self.tty = stream.isatty()

    def step(self, note=""):
        self.done += 1
        elapsed = time.monotonic() - self.start
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        line = (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                f" {elapsed:5.1f}s {note}")
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
