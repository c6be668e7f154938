"""The tests' clock in a process a test starts (a CLI, `make demo`, a dashboard).

tests/clock.py's faked_env() puts this folder first on PYTHONPATH and the clock's offset from the
real one in SHOP_TESTS_CLOCK_OFFSET; Python imports this file at start-up, before any product
code, and time-machine moves the whole process's wall clock by that offset, ticking on
(monotonic clocks stay real). Debian's libfaketime did this before, but it slowed every hand-over
of the interpreter lock about tenfold (a dashboard page took 10-30 s instead of 2-3 s).
"""
import os

_offset = os.environ.get("SHOP_TESTS_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
