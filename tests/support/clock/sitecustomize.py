"""Move this interpreter's clock when the test runner asks (see scripts/run-tests.sh).

``CREDWATCH_TEST_CLOCK_OFFSET`` holds seconds to add to the real clock. The
runner computes it once and exports it, and this directory is on
``PYTHONPATH``, so pytest, the isolated intake reader and any worker a test
starts all agree on "now" while their clocks keep ticking. ``time.monotonic``
is left alone, so timeouts, sleeps and timed waits behave as usual.

Only the test runner puts this file on the path; nothing in the product
imports it.
"""
import os

_offset = os.environ.get("CREDWATCH_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    _traveller = time_machine.travel(time.time() + float(_offset), tick=True)
    _traveller.start()
    time.time()  # time-machine ticks from the first reading: take it now, so every process agrees
